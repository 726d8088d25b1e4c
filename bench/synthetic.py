"""The synthetic PubMed records: the data sets, and what each record says (names, titles,
abstracts, drawn from bench/vocabulary.json).

bench/generate.py builds the record's XML around this; every draw comes from the record's own
random generator, in a fixed order, so a record is the same whenever it is built.
"""

from __future__ import annotations

import hashlib
import json
import random
import re
from dataclasses import astuple, dataclass
from datetime import date, timedelta
from pathlib import Path

SEED = 20_261_122
GENERATOR_VERSION = 6  # bump when the output changes: cached files are keyed by it
CACHE = Path(__file__).resolve().parent / ".cache"


@dataclass(frozen=True)
class Dataset:
    """A reproducible set of records: `count` records entered between start and end."""

    name: str
    count: int
    first_pmid: int
    start: date
    end: date
    new: bool = False  # records entered last week: mostly not yet indexed for MEDLINE
    growth: float = 1.0  # >1: more records in later years, as the literature grows
    seed: int = SEED

    @property
    def base(self) -> int:
        digest = hashlib.sha256(f"{self.seed}:{self.name}".encode()).digest()
        return int.from_bytes(digest[:6], "big") << 24

    def path(self) -> Path:
        return CACHE / "data" / f"{self.name}-s{self.seed}-v{GENERATOR_VERSION}.xml"

    def pmid(self, index: int) -> str:
        return str(self.first_pmid + index)

    def index_of(self, pmid: str) -> int | None:
        if not pmid.isdigit():
            return None
        index = int(pmid) - self.first_pmid
        return index if 0 <= index < self.count else None

    def entrez(self, index: int) -> date:
        """Entrez dates rise with the index (PMIDs are assigned in order)."""
        span = (self.end - self.start).days
        fraction = (index + 0.5) / self.count
        return self.start + timedelta(days=int(span * fraction ** (1 / self.growth)))


DATASETS = {
    d.name: d
    for d in [
        Dataset("weekly", 200, 41_000_000, date(2026, 1, 5), date(2026, 1, 11), new=True),
        Dataset("backfill", 10_400, 30_000_000, date(2016, 1, 1), date(2025, 12, 31), growth=1.6),
        Dataset("proc-1k", 1_000, 50_000_000, date(2016, 1, 1), date(2025, 12, 31), growth=1.6),
        Dataset("proc-10k", 10_000, 51_000_000, date(2016, 1, 1), date(2025, 12, 31), growth=1.6),
        Dataset("proc-100k", 100_000, 52_000_000, date(2016, 1, 1), date(2025, 12, 31), growth=1.6),
        # The 1M-study store (bench/store1m.py): never written as XML, served on demand.
        Dataset(
            "store-1m", 1_000_000, 10_000_000, date(1996, 1, 1), date(2025, 12, 31), growth=2.0
        ),
    ]
}


# --- vocabulary (bench/vocabulary.json) -------------------------------------------------------

_WORDS = json.loads(Path(__file__).with_name("vocabulary.json").read_text(encoding="utf-8"))
COMMON_SURNAMES: list[tuple[str, int]] = _WORDS["COMMON_SURNAMES"]  # (name, weight)
SYLLABLES: list[str] = _WORDS["SYLLABLES"]
FORENAMES: list[tuple[str, str]] = _WORDS["FORENAMES"]  # (fore name, initials)
INSTITUTIONS: list[tuple[str, str, str, str]] = _WORDS["INSTITUTIONS"]
# (title, ISO abbreviation, ISSN, NLM id, country, DOI prefix)
JOURNALS: list[tuple[str, str, str, str, str, str]] = _WORDS["JOURNALS"]
# Topics: (weight, kind). KAP studies and ketamine in psychiatry are what the question is about;
# the rest is what a ketamine query also catches.
TOPICS: list[tuple[int, str]] = _WORDS["TOPICS"]
DESIGN: list[tuple[str, str, str]] = _WORDS["DESIGN"]  # (phrase, publication type, its MeSH UI)
DRUG: list[str] = _WORDS["DRUG"]
THERAPY: list[str] = _WORDS["THERAPY"]
CONDITION: list[str] = _WORDS["CONDITION"]
POPULATION: list[str] = _WORDS["POPULATION"]
OUTCOME: list[str] = _WORDS["OUTCOME"]
PROCEDURE: list[str] = _WORDS["PROCEDURE"]
ANAESTHESIA_OUTCOME: list[str] = _WORDS["ANAESTHESIA_OUTCOME"]
PAIN: list[str] = _WORDS["PAIN"]
ANIMAL: list[str] = _WORDS["ANIMAL"]
REGION: list[str] = _WORDS["REGION"]
MOLECULE: list[str] = _WORDS["MOLECULE"]
COUNTRY: list[str] = _WORDS["COUNTRY"]
KEYWORDS: list[str] = _WORDS["KEYWORDS"]
LINKS: list[str] = _WORDS["LINKS"]
FRAMINGS: list[str] = _WORDS["FRAMINGS"]
MESH_COMMON: list[tuple[str, str]] = _WORDS["MESH_COMMON"]  # (UI, heading)
MESH_TOPIC: dict[str, list[tuple[str, str]]] = _WORDS["MESH_TOPIC"]
QUALIFIERS: list[tuple[str, str]] = _WORDS["QUALIFIERS"]
# (publication type, its MeSH UI, the CommentsCorrections link to the article, title prefix)
NOTICES: list[tuple[str, str, str, str]] = _WORDS["NOTICES"]
_COMMON_NAMES = [name for name, weight in COMMON_SURNAMES for _ in range(weight)]
TOPIC_TABLE = [kind for weight, kind in TOPICS for _ in range(weight)]
MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
TAG = re.compile(r"<[^>]+>")


@dataclass(slots=True)
class Core:
    """What the store builder needs of a record (and the full XML is built around)."""

    pmid: str
    entrez: date
    year: int
    month: int
    title: str  # XML, inline markup included
    authors: list[tuple[str, str, str]]  # (last name, fore name, initials)
    doi: str | None
    journal: int  # index into JOURNALS
    topic: str
    design: int  # index into DESIGN
    volume: int
    issue: int
    first_page: int

    @property
    def plain_title(self) -> str:
        """The title as a parser that joins inline markup sees it."""
        return (
            TAG.sub("", self.title).replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
        )

    def author_names(self) -> list[str]:
        """As kapwatch's parser writes them: 'Surname Initials'."""
        return [f"{last} {initials}" for last, _fore, initials in self.authors]


def surname_of(rng: random.Random) -> str:
    if rng.random() < 0.3:
        return rng.choice(_COMMON_NAMES)
    n = 2 + (rng.random() < 0.4)
    return "".join(rng.choice(SYLLABLES) for _ in range(n)).title()


def title_of(rng: random.Random, topic: str, design: int) -> str:
    d = DESIGN[design][0]
    c, p, t, o, dr = (
        rng.choice(CONDITION),
        rng.choice(POPULATION),
        rng.choice(THERAPY),
        rng.choice(OUTCOME),
        rng.choice(DRUG),
    )
    title = rng.choice(_title_options(rng, topic, d, c, p, t, o, dr))
    # Real titles rarely share their opening words: lead with a gene or marker, or a framing,
    # often enough that the first 40 characters (kapwatch's title blocks) vary as they do.
    lead = rng.random()
    if lead < 0.47:
        title = f"{_symbol(rng)} {rng.choice(LINKS)} {title[0].lower()}{title[1:]}"
    elif lead < 0.97:
        framing = rng.choice(FRAMINGS).format(n=rng.randint(2, 36), country=rng.choice(COUNTRY))
        title = f"{framing}: {title}"
    if rng.random() < 0.3:  # "... (the KETAMINE-PT study)" and the like
        acronym = "".join(rng.choice("ABCDEFGHIKLMNOPRSTUVW") for _ in range(rng.randint(3, 6)))
        title += f" (the {acronym} study)"
    elif rng.random() < 0.3:
        title += f" in {rng.choice(COUNTRY)}, {rng.randint(2005, 2020)}-{rng.randint(2021, 2025)}"
    return title[0].upper() + title[1:] + "."


def _title_options(
    rng: random.Random, topic: str, d: str, c: str, p: str, t: str, o: str, dr: str
) -> list[str]:
    """The title patterns of a topic, filled in."""
    if topic == "kap":
        options = [
            f"Ketamine-assisted psychotherapy for {c} in {p}: {d}",
            f"{dr.capitalize()} combined with {t} for {c}: {d}",
            f"Effects of {dr} and {t} on {o} in {p} with {c}",
            f"{o.capitalize()} after {dr} plus {t} in {c}: {d}",
            f"Does {t} extend the effects of {dr} in {c}? {d.capitalize()}",
            f"Ketamine-assisted group therapy for {p} with {c}: {d}",
        ]
    elif topic == "psych":
        options = [
            f"{dr.capitalize()} for {c}: {d}",
            f"Predictors of response to {dr} in {p} with {c}",
            f"{dr.capitalize()} versus electroconvulsive therapy for {c}: {d}",
            f"Real-world effectiveness of {dr} for {c} in {rng.choice(COUNTRY)}",
            f"Rapid reduction of {o} with {dr} in {c}: {d}",
            f"<i>N</i>-methyl-D-aspartate receptor antagonism and {o} in {c}",
        ]
    elif topic == "anaesthesia":
        pr, ao = rng.choice(PROCEDURE), rng.choice(ANAESTHESIA_OUTCOME)
        options = [
            f"Ketamine versus propofol for procedural sedation in {p} undergoing {pr}",
            f"Effect of intraoperative {dr} on {ao} after {pr}: {d}",
            f"Low-dose {dr} and {ao} in {p} after {pr}",
            f"Ketofol for {pr}: {d}",
        ]
    elif topic == "analgesia":
        pa = rng.choice(PAIN)
        options = [
            f"Subanesthetic ketamine for {pa}: {d}",
            f"{dr.capitalize()} infusion for {pa} in {p}",
            f"Intranasal ketamine versus fentanyl for {pa}: {d}",
        ]
    elif topic == "recreational":
        cn = rng.choice(COUNTRY)
        options = [
            f"Ketamine-induced uropathy among recreational users in {cn}",
            f"Trends in recreational ketamine use in {cn}, {2000 + rng.randrange(10)}-{2015 + rng.randrange(10)}",
            f"Cognitive deficits in chronic recreational ketamine users: {d}",
        ]
    else:  # preclinical
        a, r, m = rng.choice(ANIMAL), rng.choice(REGION), rng.choice(MOLECULE)
        options = [
            f"Ketamine restores dendritic spines in the {r} of chronically stressed {a} via {m}",
            f"(<i>R</i>)-ketamine attenuates {rng.choice(['depression-like', 'anxiety-like', 'anhedonia-like'])} behavior in {a}: role of {m}",
            f"Repeated ketamine exposure induces neurotoxicity in the developing {r} of {a}",
            f"Sex differences in the antidepressant-like effects of ketamine in {a}: involvement of {m}",
        ]
    return options


def _symbol(rng: random.Random) -> str:
    """A gene- or marker-like symbol: FKBP5, GRIN2B, SLC6A4, IL6R..."""
    letters = "".join(rng.choice("ABCDEFGHIKLMNPRSTVWXZ") for _ in range(rng.randint(2, 4)))
    return (
        letters
        + (str(rng.randint(1, 20)) if rng.random() < 0.7 else "")
        + rng.choice(["", "", "A", "B", "R"])
    )


def core(ds: Dataset, index: int, rng: random.Random | None = None) -> Core:
    rng = rng or random.Random(ds.base + index)
    entrez = ds.entrez(index)
    topic = rng.choice(TOPIC_TABLE)
    design = rng.randrange(len(DESIGN))
    title = title_of(rng, topic, design)
    count = min(30, 5 + int(rng.expovariate(1 / 5)))
    authors = []
    for _ in range(count):
        fore, initials = rng.choice(FORENAMES)
        authors.append((surname_of(rng), fore, initials))
    journal = rng.randrange(len(JOURNALS))
    # Issue date: usually a month or two after entrez for print journals.
    lag = rng.choice([0, 0, 1, 2, 3, 5])
    month_index = entrez.year * 12 + entrez.month - 1 + lag
    year, month = divmod(month_index, 12)
    doi = None
    if rng.random() < 0.92:
        doi = f"{JOURNALS[journal][5]}.{year}.{ds.pmid(index)}"  # unique across data sets
    return Core(
        pmid=ds.pmid(index),
        entrez=entrez,
        year=year,
        month=month + 1,
        title=title,
        authors=authors,
        doi=doi,
        journal=journal,
        topic=topic,
        design=design,
        volume=max(1, year - 1960 + rng.randrange(-5, 40)),
        issue=rng.randint(1, 12),
        first_page=rng.randint(1, 2400),
    )


# --- abstracts -------------------------------------------------------------------------------


def _p(rng: random.Random) -> str:
    return rng.choice(
        [
            "<i>p</i> &lt; 0.001",
            "<i>p</i> = 0.003",
            "<i>p</i> = 0.02",
            "<i>p</i> = 0.04",
            "<i>p</i> &lt; 0.01",
        ]
    )


Findings = tuple[
    list[str], list[str], list[str], list[str]
]  # background, methods, results, conclusions


@dataclass(frozen=True)
class Study:
    """What an abstract's sentences are about."""

    condition: str
    therapy: str
    outcome: str
    population: str
    n: int
    null: bool  # a null result
    design: str


def abstract_of(rng: random.Random, c: Core) -> list[tuple[str, str, list[str]]]:
    """(label, NlmCategory, sentences) sections."""
    cond, ther, outc, pop = (
        rng.choice(CONDITION),
        rng.choice(THERAPY),
        rng.choice(OUTCOME),
        rng.choice(POPULATION),
    )
    n = rng.choice([12, 20, 24, 36, 40, 48, 60, 84, 120, 156, 240, 412, 1284])
    null = rng.random() < 0.2
    design = DESIGN[c.design][0]
    clinical = c.topic in ("kap", "psych")
    findings = _clinical if clinical else _other
    study = Study(cond, ther, outc, pop, n, null, design)
    background, methods, results, conclusions = findings(rng, c, study)
    return [
        ("BACKGROUND", "BACKGROUND", background),
        (
            rng.choice(["METHODS", "MATERIALS AND METHODS", "DESIGN, SETTING, AND PARTICIPANTS"]),
            "METHODS",
            methods,
        ),
        ("RESULTS", "RESULTS", results),
        (
            rng.choice(["CONCLUSIONS", "CONCLUSION", "CONCLUSIONS AND RELEVANCE"]),
            "CONCLUSIONS",
            conclusions,
        ),
    ]


def _clinical(rng: random.Random, c: Core, study: Study) -> Findings:
    """KAP and ketamine-in-psychiatry studies: MADRS, response, null results."""
    cond, ther, outc, pop, n, null, design = astuple(study)
    background = [
        f"Ketamine produces rapid but often transient improvement in {cond}.",
        f"Whether {ther} prolongs the response to ketamine remains unclear, and few controlled studies have examined {outc}.",
        f"We examined {outc} in {pop} receiving ketamine{' with ' + ther if c.topic == 'kap' else ''}.",
    ]
    methods = [
        f"In {design}, {n} {pop} with {cond} received {rng.choice([2, 4, 6, 8])} infusions of ketamine (0.5 mg/kg over 40 min){' followed by ' + ther if c.topic == 'kap' else ''}.",
        f"The primary outcome was change in Montgomery-Åsberg Depression Rating Scale (MADRS) score at week {rng.choice([4, 6, 8, 12, 26])}; secondary outcomes included {outc} and adverse events.",
        "Mixed-effects models adjusted for baseline severity, age, sex and body mass index (kg/m<sup>2</sup>).",
    ]
    if null:
        results = [
            f"Of {n} participants randomized, {int(n * 0.85)} completed the study.",
            "MADRS scores did not differ significantly between groups at week 8 (mean difference −1.2, 95% CI −4.8 to 2.4; <i>p</i> = 0.51).",
            "Response rates were comparable to placebo, and improvements returned to baseline within four weeks.",
        ]
        conclusions = [
            f"Adding {ther} to ketamine did not sustain improvement in {cond}.",
            "Larger trials with longer follow-up are needed.",
        ]
    else:
        results = [
            f"Of {n} participants, {int(n * 0.9)} completed treatment; MADRS scores fell by 14.2 points (95% CI 11.0-17.4; {_p(rng)}).",
            f"Response was sustained at follow-up in {rng.randint(35, 70)}% of participants, and {outc} improved significantly ({_p(rng)}).",
            f"Dissociative symptoms peaked at 40 min and resolved within 2 h; heterogeneity was moderate (I<sup>2</sup> = {rng.randint(20, 70)}%).",
        ]
        conclusions = [
            f"Ketamine combined with {ther} led to sustained improvements in {cond}."
            if c.topic == "kap"
            else f"Ketamine rapidly reduced symptoms of {cond} in {pop}.",
            "These findings support integrating psychotherapy with ketamine treatment; however, replication in larger samples is needed.",
        ]
    return background, methods, results, conclusions


def _other(rng: random.Random, c: Core, study: Study) -> Findings:
    """Anaesthesia, analgesia, recreational use, animal studies."""
    pop, n, null, design = study.population, study.n, study.null, study.design
    if c.topic in ("anaesthesia", "analgesia"):
        proc, aout = rng.choice(PROCEDURE), rng.choice(ANAESTHESIA_OUTCOME)
        background = [
            f"Ketamine is widely used as an adjunct to general anaesthesia and for analgesia during {proc}.",
            f"Its effect on {aout} is uncertain.",
        ]
        methods = [
            f"In {design}, {n} patients undergoing {proc} were randomized to ketamine 0.5 mg/kg or saline.",
            f"The primary outcome was {aout} within 72 h; secondary outcomes were opioid consumption and respiratory depression.",
        ]
        results = [
            f"{aout.capitalize()} occurred in {rng.randint(5, 30)}% of the ketamine group and {rng.randint(5, 30)}% of controls ({_p(rng)}).",
            f"Cumulative morphine consumption at 24 h was lower with ketamine (median 12 vs 21 mg; {_p(rng)}).",
        ]
        conclusions = [
            f"Intraoperative ketamine {'did not reduce' if null else 'reduced'} {aout} after {proc}."
        ]
    elif c.topic == "recreational":
        background = [
            "Recreational ketamine use has risen in several regions.",
            "Chronic use is associated with urological and cognitive harm.",
        ]
        methods = [
            f"We surveyed {n} {pop} attending harm-reduction services between 2015 and 2022."
        ]
        results = [
            f"Lower urinary tract symptoms were reported by {rng.randint(20, 60)}% of daily users ({_p(rng)}).",
            "Use frequency was associated with depressive symptoms and poorer working memory.",
        ]
        conclusions = [
            "Services should screen recreational ketamine users for bladder and cognitive complications."
        ]
    else:
        animal, region, mol = rng.choice(ANIMAL), rng.choice(REGION), rng.choice(MOLECULE)
        background = [
            f"Ketamine exerts rapid antidepressant-like effects in rodents, but the role of {mol} in the {region} is unknown."
        ]
        methods = [
            f"Adult {animal} (<i>n</i> = {rng.randint(6, 16)} per group) were exposed to chronic unpredictable stress and treated with ketamine (10 mg/kg, i.p.).",
            "Dendritic spine density was measured by two-photon imaging and Golgi staining; Western blotting quantified synaptic proteins.",
        ]
        results = [
            f"Ketamine restored spine density in the {region} within 24 h ({_p(rng)}) and increased {mol} expression.",
            f"Blocking {mol} abolished the behavioral effects of ketamine in the forced swim test.",
        ]
        conclusions = [
            f"{mol[0].upper() + mol[1:]} in the {region} mediates synaptogenesis and the sustained antidepressant-like effects of ketamine in {animal}."
        ]
    return background, methods, results, conclusions
