"""Evidence v1: is a study about KAP, what design is it, and which claims does it bear on, how.

Lexical and explainable on purpose: every verdict carries the words that produced it, so a
reader can see why a study was kept or dropped. The concepts come from seeds/concepts.toml.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field, replace

from kapwatch.seeds.articles import Claim, split_sentences
from kapwatch.seeds.lexicon import Lexicon

RELEVANCE_THRESHOLD = 0.5

# Publication types (PubMed's controlled list), most specific first.
_DESIGN_BY_TYPE = [
    ("meta-analysis", "meta-analysis"),
    ("systematic review", "systematic review"),
    ("randomized controlled trial", "randomized controlled trial"),
    ("clinical trial protocol", "protocol"),
    ("clinical trial, phase", "clinical trial"),
    ("controlled clinical trial", "clinical trial"),
    ("clinical trial", "clinical trial"),
    ("observational study", "observational"),
    ("case reports", "case report"),
    ("retraction of publication", "retraction notice"),
    ("published erratum", "erratum"),
    ("review", "narrative review"),
    ("editorial", "commentary"),
    ("comment", "commentary"),
    ("letter", "commentary"),
    ("preprint", "preprint"),
]
# When publication types say little (feeds, new records), the abstract often does.
_DESIGN_BY_TEXT = [
    (r"\bmeta-analys[ie]s\b", "meta-analysis"),
    (r"\bsystematic review\b", "systematic review"),
    (r"\brandomi[sz]ed\b.{0,60}\b(?:trial|study)\b|\bRCT\b", "randomized controlled trial"),
    (r"\bstudy protocol\b|\bprotocol for\b", "protocol"),
    (r"\bopen[- ]label\b|\bpilot\b|\bsingle[- ]arm\b|\bfeasibility\b", "open-label/pilot"),
    (
        r"\bretrospective\b|\bcohort\b|\bobservational\b|\bcross-sectional\b|\bregistry\b",
        "observational",
    ),
    (r"\bcase report\b|\bcase series\b", "case report"),
    (r"\bqualitative\b|\binterviews?\b|\bthematic analysis\b", "qualitative"),
    (r"\b(?:rats?|mice|mouse|rodents?|in vitro|cell cultures?)\b", "preclinical"),
    (r"\breview\b", "narrative review"),
]
_UNITS = [
    "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven",
    "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen",
]  # fmt: skip
_TENS = ["twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"]
_WORD_NUMBER = (
    r"(?:(?:" + "|".join(_TENS) + r")(?:[- ](?:" + "|".join(_UNITS[:9]) + r"))?"
    r"|" + "|".join(sorted(_UNITS, key=len, reverse=True)) + r")"
)
_PEOPLE = (
    r"(?:participants|patients|inpatients|outpatients|adults|subjects|individuals|veterans|"
    r"people|volunteers|women|men|adolescents|children|youths?|persons|cases)"
)
# "N = 40", "40 patients", "Sixty-eight adults", "40 randomized participants with TRD".
_N = re.compile(
    r"\b[Nn]\s*=\s*(?P<eq>\d{1,6})\b"
    r"|\b(?P<num>\d{1,3}(?:,\d{3})+|\d+|" + _WORD_NUMBER + r")\s+"
    r"(?P<words>(?:(?!of\b|studies\b|trials\b|articles\b|reports\b)[a-z-]+\s+){0,3}?)"
    + _PEOPLE
    + r"\b"
    r"|\b(?P<verb>\d{1,3}(?:,\d{3})+|\d+)\s+(?:were|was)\s+(?:randomi[sz]ed|enrolled|included)\b",
    re.IGNORECASE,
)
# Counts of people who were not in the study: screened, assessed, approached.
_NOT_ENROLLED = re.compile(r"\b(?:screened|assessed|approached|eligible|invited)\b", re.I)
# Words that turn a finding around: a null result, a failure, an effect that fades.
_CHALLENGE = re.compile(
    r"\b(?:no (?:statistically )?significant|not (?:statistically )?significant(?:ly)?|"
    r"(?:did|does|do|was|were) not (?:differ|separate|improve|reduce|outperform|reach|meet|"
    r"achieve|show|produce|predict|prevent|extend|prolong|enhance|sustain|maintain|persist|last|"
    r"significantly)|failed to|no (?:difference|evidence|effect|benefit|improvement|advantage)|"
    r"not (?:superior|better|effective|efficacious|associated|supported)|inferior to|"
    r"no better than|comparable to placebo|similar to placebo|no added benefit|unable to)\b",
    re.IGNORECASE,
)
_POSITIVE = re.compile(
    r"\b(?:improv|reduc|effective|efficac|benefit|sustain|maintain|superior|support|faster|"
    r"alleviat|relie[fv]|enhanc|promot|restor|significant(?:ly)? (?:greater|lower|higher))",
    re.IGNORECASE,
)
_BACKGROUND_LABELS = {
    "background",
    "introduction",
    "objective",
    "objectives",
    "purpose",
    "aim",
    "aims",
    "context",
    "rationale",
    "importance",
}
_CONCLUSION_LABELS = ("conclusion", "interpretation", "discussion", "significance")


def _is_conclusion(label: str) -> bool:
    """'CONCLUSIONS', 'Conclusions and Relevance', 'INTERPRETATION', ..."""
    return label.lower().startswith(_CONCLUSION_LABELS)


@dataclass
class Link:
    claim_id: str
    stance: str  # supports | challenges | extends | mixed
    evidence: str  # the abstract sentence that shows it
    shared: list[str] = field(default_factory=list)


@dataclass
class Assessment:
    relevant: bool
    score: float
    reason: str
    design: str
    n: int | None
    links: list[Link]


@dataclass
class StudyText:
    """What the engine reads of a study (from a Record or a stored Study alike)."""

    title: str
    abstract: str
    sections: list[tuple[str, str]]
    pub_types: list[str]
    mesh: list[str]
    keywords: list[str]

    @property
    def body(self) -> str:
        return self.abstract or " ".join(text for _, text in self.sections)

    @property
    def full(self) -> str:
        return " ".join([self.title, self.body, " ".join(self.keywords)])


def classify_design(text: StudyText) -> str:
    types = [t.lower() for t in text.pub_types]
    for needle, design in _DESIGN_BY_TYPE:
        if any(needle in t for t in types):
            # "Clinical Trial" with an open-label/pilot abstract is more precisely that.
            if design == "clinical trial" and re.search(
                r"\bopen[- ]label\b|\bpilot\b|\bsingle[- ]arm\b", text.full, re.IGNORECASE
            ):
                return "open-label/pilot"
            return design
    if "Animals" in text.mesh and "Humans" not in text.mesh:
        return "preclinical"
    for pattern, design in _DESIGN_BY_TEXT:
        if re.search(pattern, text.full, re.IGNORECASE):
            return design
    return "study"


def _number(raw: str) -> int:
    raw = raw.lower().replace(",", "")
    if raw.isdigit():
        return int(raw)
    total = 0
    for part in re.split(r"[- ]", raw):
        if part in _TENS:
            total += 10 * (_TENS.index(part) + 2)
        elif part in _UNITS:
            total += _UNITS.index(part) + 1
    return total


# Where a match of _N can start: a word that begins with a digit, is a number word, or is "N".
# The leading class lets the scan skip every other position without trying the words.
_FIRST = "".join(sorted({w[0] for w in _UNITS + _TENS} | {"n"}))
_COUNT_START = re.compile(
    rf"(?=[\d{_FIRST}{_FIRST.upper()}])\b(?:\d|[Nn]\b|(?i:{'|'.join(_UNITS + _TENS)})\b)"
)


def _counts(text: str) -> Iterator[re.Match[str]]:
    """What _N.finditer(text) gives, found faster: _N is tried only where a count can start
    (found by one scan in C), not at every position."""
    end = 0
    for candidate in _COUNT_START.finditer(text):
        start = candidate.start()
        if start < end:
            continue
        match = _N.match(text, start)
        if match is not None:
            end = match.end()
            yield match


def sample_size(abstract: str) -> int | None:
    """The n an abstract states ('N = 40', '120 patients', 'Sixty-eight adults'): the largest
    count of people studied, not of those screened."""
    values = []
    for match in _counts(abstract):
        if match["eq"] or match["verb"]:
            values.append(int((match["eq"] or match["verb"]).replace(",", "")))
            continue
        after = abstract[match.end() : match.end() + 25]
        if _NOT_ENROLLED.search(match["words"] or "") or _NOT_ENROLLED.search(after):
            continue
        value = _number(match["num"])
        if 1 < value < 1_000_000:
            values.append(value)
    return max(values) if values else None


def relevance(
    text: StudyText, lexicon: Lexicon, reading: Reading | None = None
) -> tuple[float, str, dict[str, str]]:
    """Score in [0, 1], a one-line reason, and the concepts found."""
    reading = reading or read(text, lexicon)
    found, title_found = reading.full, reading.title
    roles: dict[str, list[str]] = {}
    for name, phrase in found.items():
        roles.setdefault(lexicon.role_of(name), []).append(phrase)
    if "drug" not in roles:
        return 0.0, "no mention of ketamine or esketamine", found
    score = 0.35 if any(lexicon.role_of(n) == "drug" for n in title_found) else 0.2
    score += 0.25 * bool(roles.get("condition"))
    score += 0.25 * bool(roles.get("therapy"))
    score += 0.15 * bool(roles.get("outcome"))
    psych_title = any(lexicon.role_of(n) in ("condition", "therapy") for n in title_found)
    score += 0.15 * psych_title
    excluded = roles.get("exclude", [])
    # Off-topic uses count most when they are the title's subject and no psychiatric topic is;
    # a setting such as surgery or recreational use in the title settles it whatever else it
    # names (mood after surgery is still a surgical study), unless a psychotherapy is named.
    title_excluded = [n for n in title_found if lexicon.role_of(n) == "exclude"]
    setting = [n for n in title_excluded if lexicon.group_of(n) == "context"]
    therapy_named = any(lexicon.role_of(n) == "therapy" and n != "integration" for n in found)
    if (setting and not therapy_named) or (title_excluded and not psych_title):
        score -= 0.6
    elif excluded and not (roles.get("condition") or therapy_named):
        score -= 0.4
    elif excluded:
        score -= 0.1 * min(len(excluded), 2)
    score = round(max(0.0, min(1.0, score)), 2)
    parts = [f"ketamine ({roles['drug'][0]})"]
    for role in ("condition", "therapy", "outcome"):
        if roles.get(role):
            parts.append(f"{role}: {', '.join(sorted(set(roles[role]))[:3])}")
    if excluded:
        parts.append(f"off-topic signals: {', '.join(sorted(set(excluded))[:3])}")
    return score, "; ".join(parts), found


@dataclass
class Reading:
    """A study read once: the concepts of its title, of each sentence, of its findings (no
    background) and of all of it. Everything the engine decides is made from these."""

    title: dict[str, str]
    conclusions: list[tuple[str, dict[str, str]]]  # conclusions first, in order
    rest: list[tuple[str, dict[str, str]]]  # the other sentences, last first
    findings: dict[str, str]
    full: dict[str, str]


def _merge(*parts: dict[str, str]) -> dict[str, str]:
    merged: dict[str, str] = {}
    for part in parts:
        for name, phrase in part.items():
            merged.setdefault(name, phrase)
    return merged


def read(text: StudyText, lexicon: Lexicon) -> Reading:
    title = lexicon.find(text.title)
    conclusions, rest, background = _sentences(text)
    concluded = [(s, lexicon.find(s)) for s in conclusions]
    others = [(s, lexicon.find(s)) for s in rest]
    meshed = lexicon.find("", text.mesh)
    findings = _merge(
        title, *(f for s, f in concluded), *(f for s, f in others if s not in background), meshed
    )
    keywords = lexicon.find(" ".join(text.keywords)) if text.keywords else {}
    full = _merge(title, *(f for _s, f in concluded), *(f for _s, f in others), keywords, meshed)
    return Reading(title, concluded, others, findings, full)


def _sentences(text: StudyText) -> tuple[list[str], list[str], set[str]]:
    """(conclusion sentences, the others last-first, the background ones), each section split
    once: conclusions are read first, and background sentences set the scene rather than report
    what the study found."""
    if not text.sections:
        sentences = split_sentences(text.body)
        return sentences[-2:][::-1], sentences[:-2][::-1], set(sentences[:1])
    split = [(label, split_sentences(body)) for label, body in text.sections]
    conclusions = [s for label, found in split if _is_conclusion(label) for s in found]
    rest = [
        s for label, found in reversed(split) if not _is_conclusion(label) for s in reversed(found)
    ]
    background = {s for label, found in split if label.lower() in _BACKGROUND_LABELS for s in found}
    return conclusions, rest, background


# A claim that says what happens *without* a therapy is about ketamine alone.
_WITHOUT = re.compile(r"\bwithout\b(?:\s+\w+){0,2}\s*$", re.IGNORECASE)
# Words that say an effect does not last: the finding some claims make, and others deny.
_FADES = re.compile(
    r"\b(?:fade[sd]?|fading|wane[sd]?|waning|relapse[sd]?|returned to baseline|not sustained|"
    r"not maintained|short-lived|transient(?:ly)?|diminish(?:ed|es)?|dissipat\w*|"
    r"loss of (?:effect|response|benefit))\b",
    re.IGNORECASE,
)
_NEGATED = re.compile(
    r"\b(?:did not|does not|do not|was not|were not|is not|are not|not|no|failed to|unable to)"
    r"\s+(?:\w+\s+)?\w+",
    re.IGNORECASE,
)
MAX_LINKS = 4  # a study bears on a few claims; more would drown the digest


@dataclass(frozen=True)
class Profile:
    """What a claim or a study is about, by concept family and role."""

    drug: bool
    therapies: frozenset[str]  # concept names (cbt, exposure_therapy, psychotherapy, ...)
    conditions: frozenset[str]  # families (trd counts as depression)
    outcomes: dict[str, frozenset[str]]  # group -> families
    without_therapy: bool = False  # a claim about what happens without the therapy
    asserts_fading: bool = False  # a claim that the effect fades
    preclinical: bool = False  # an animal or cell study
    about_mechanism: bool = False  # its title names a mechanism (connectivity, synapses, ...)
    concludes_fading: bool = False  # its conclusions say the effect faded
    title_conditions: frozenset[str] = frozenset()  # the population its title names

    def groups(self) -> set[str]:
        return {g for g, names in self.outcomes.items() if names and g != "effect"}


def profile(text: str, found: dict[str, str], lexicon: Lexicon, claim: bool = False) -> Profile:
    therapies: set[str] = set()
    conditions: set[str] = set()
    outcomes: dict[str, set[str]] = {}
    without = False
    for name, phrase in found.items():
        role = lexicon.role_of(name)
        if role == "therapy":
            if claim and _mentions_without(text, phrase):
                without = True
                continue
            therapies.add(name)
        elif role == "condition":
            conditions.add(lexicon.family_of(name))
        elif role == "outcome":
            # A claim asks for what it names; a study shows that and its broader family too
            # (synaptogenesis is neuroplasticity, not the other way round).
            group = lexicon.group_of(name) or "effect"
            outcomes.setdefault(group, set()).add(name)
            if not claim:
                outcomes[group].add(lexicon.family_of(name))
    drug = any(lexicon.role_of(n) == "drug" for n in found)
    return Profile(
        drug=drug,
        therapies=frozenset(therapies),
        conditions=frozenset(conditions),
        outcomes={g: frozenset(v) for g, v in outcomes.items()},
        without_therapy=without,
        asserts_fading=claim and bool(_FADES.search(text)),
    )


def _mentions_without(text: str, phrase: str) -> bool:
    at = text.lower().find(phrase.lower())
    return at >= 0 and bool(_WITHOUT.search(text[:at]))


def _specific(therapies: frozenset[str], lexicon: Lexicon) -> set[str]:
    """Named therapies (CBT, exposure therapy), not psychotherapy in general."""
    return {t for t in therapies if lexicon.family_of(t) != t}


INTEGRATION = "integration"  # integrating the ketamine experience: a therapy's part, not one


def linkable(claim: Profile) -> bool:
    """A claim kapwatch can hold studies against: about ketamine (or a population) and some
    effect or population. Definitions, rhetoric, and claims about psychotherapy alone are not:
    every study the monitor sees is a ketamine study."""
    if not (claim.drug or claim.conditions):
        return False
    if claim.therapies and not claim.drug:
        return False
    return bool(claim.groups() or claim.conditions or claim.outcomes.get("effect"))


def bears_on(claim: Profile, study: Profile, findings: Profile, lexicon: Lexicon) -> str | None:
    """'same' or 'new population' when the study tests the claim's idea, else None.

    `findings` is the study read without its background: outcomes must be among them."""
    if claim.drug and not study.drug:
        return None
    # Intervention: a claim about ketamine with a therapy needs that therapy (a named one by
    # name); a claim about ketamine alone needs a study of ketamine alone.
    named = _specific(claim.therapies, lexicon)
    if INTEGRATION in claim.therapies and INTEGRATION not in study.therapies:
        return None  # integrating the experience is the claim's point
    if claim.without_therapy:
        pass  # what happens without therapy: studies with or without it both speak to it
    elif named:
        if not named & study.therapies:
            return None
    elif claim.therapies - {INTEGRATION}:
        if not study.therapies - {INTEGRATION}:
            return None
    elif study.therapies - {INTEGRATION} and claim.drug:
        return None
    # A claim about what ketamine does for people is not tested in animals, nor by a study
    # whose title says it is about a mechanism.
    if "mechanism" not in claim.groups() and (study.preclinical or study.about_mechanism):
        return None
    if claim.asserts_fading:
        # "Without therapy the benefit fades" is tested by ketamine alone fading, when the
        # study concludes so (a relapse mentioned in passing is not its finding).
        return "same" if not study.therapies and study.concludes_fading else None
    # Outcome: each kind of outcome the claim names must be in the study.
    for group in claim.groups():
        if group == "course" and named and named & study.therapies:
            continue  # the named therapy itself carries such a claim
        if not claim.outcomes[group] & findings.outcomes.get(group, frozenset()):
            return None
    # Population: the same, or a new one (extends); none at all only for mechanisms.
    if not claim.conditions:
        return "same"
    # The population a study is about is the one its title names, when it names one.
    population = study.title_conditions or study.conditions
    if claim.conditions & population:
        return "same"
    if population:
        return "new population"
    return "same" if "mechanism" in claim.groups() else None


def _tone(text: str) -> tuple[bool, bool, bool]:
    """(a null or negative finding, an effect that fades, a positive finding) in text."""
    negative = bool(_CHALLENGE.search(_FADES.sub(" ", text)))
    fades = bool(_FADES.search(text))
    # "did not sustain" is no positive finding: read positives with negated phrases removed.
    positive = bool(_POSITIVE.search(_NEGATED.sub(" ", text)))
    return negative, fades, positive


def stance(
    claim: Profile,
    study: Profile,
    population: str,
    sentences: list[str],
    tones: dict[str, tuple[bool, bool, bool]] | None = None,
) -> str:
    """How the study's conclusions bear on the claim: read for null results and fading.

    `tones` keeps what a text was read to say, for the next claim of the same study: its
    claims mostly share their evidence sentences."""
    text = " ".join(sentences)
    tones = {} if tones is None else tones
    if text not in tones:
        tones[text] = _tone(text)
    negative, fades, positive = tones[text]
    if claim.asserts_fading:
        return "supports"  # linked only when ketamine alone faded (bears_on)
    if fades:
        # An effect that did not last denies a claim about lasting; of any other claim it is
        # half the story.
        lasting = "durability" in claim.outcomes.get("course", frozenset())
        return "challenges" if lasting and not positive else "mixed"
    if negative:
        return "mixed" if positive else "challenges"
    return "extends" if population == "new population" else "supports"


@dataclass
class Engine:
    """The evidence engine for one set of claims: claim profiles are computed once."""

    claims: list[Claim]
    lexicon: Lexicon
    profiles: dict[str, Profile] = field(init=False)

    def __post_init__(self) -> None:
        self.profiles = {}
        for claim in self.claims:
            found = {
                n: p for n, p in claim.concepts.items() if self.lexicon.role_of(n) != "exclude"
            }
            claim_profile = profile(claim.text, found, self.lexicon, claim=True)
            if linkable(claim_profile):
                self.profiles[claim.id] = claim_profile

    def links(self, text: StudyText, reading: Reading, design: str = "") -> list[Link]:
        found, title = reading.full, reading.title
        conclusions = [s for s, _f in reading.conclusions]
        study = replace(
            profile(text.full, found, self.lexicon),
            preclinical=design == "preclinical",
            about_mechanism=any(self.lexicon.group_of(n) == "mechanism" for n in title),
            concludes_fading=bool(_FADES.search(" ".join(conclusions))),
            title_conditions=frozenset(
                self.lexicon.family_of(n) for n in title if self.lexicon.role_of(n) == "condition"
            ),
        )
        findings = profile("", reading.findings, self.lexicon)
        candidates = []
        tones: dict[str, tuple[bool, bool, bool]] = {}
        for claim in self.claims:
            claim_profile = self.profiles.get(claim.id)
            if claim_profile is None:
                continue
            population = bears_on(claim_profile, study, findings, self.lexicon)
            if population is None:
                continue
            wanted = set(claim.concepts)
            evidence = _best_sentence(reading.conclusions, wanted, self.lexicon)
            if evidence is None:
                evidence = _best_sentence(reading.rest, wanted, self.lexicon)
            if evidence is None:
                continue
            how = stance(claim_profile, study, population, [*conclusions[:2], evidence], tones)
            shared = sorted(wanted & set(found))
            # The claims the study covers most completely first: a short claim fully matched
            # beats a long one half matched.
            names = set(found) | {self.lexicon.family_of(n) for n in found}
            covered = sum(1 for n in wanted if n in names or self.lexicon.family_of(n) in names)
            coverage = covered / len(wanted) if wanted else 0.0
            link = Link(claim.id, how, evidence, shared)
            candidates.append((-coverage, -len(shared), claim.id, link))
        candidates.sort(key=lambda item: item[:3])
        return [link for *_key, link in candidates[:MAX_LINKS]]

    def assess(self, text: StudyText) -> Assessment:
        reading = read(text, self.lexicon)
        score, reason, _found = relevance(text, self.lexicon, reading)
        relevant = score >= RELEVANCE_THRESHOLD
        design = classify_design(text)
        return Assessment(
            relevant=relevant,
            score=score,
            reason=reason,
            design=design,
            n=sample_size(text.body),
            links=self.links(text, reading, design) if relevant else [],
        )


def _best_sentence(
    sentences: list[tuple[str, dict[str, str]]], wanted: set[str], lexicon: Lexicon
) -> str | None:
    """The sentence naming most of the claim's concepts (at least one besides the drug)."""
    best, best_hits = None, 0
    wanted = wanted | {lexicon.family_of(n) for n in wanted}
    for sentence, concepts in sentences:
        found = {n for n in concepts if lexicon.role_of(n) != "drug"}
        hits = len((found | {lexicon.family_of(n) for n in found}) & wanted)
        if hits > best_hits:
            best, best_hits = sentence, hits
    return best


def assess(text: StudyText, claims: list[Claim], lexicon: Lexicon) -> Assessment:
    """One study against the claims (build an Engine once to assess many)."""
    return Engine(claims, lexicon).assess(text)
