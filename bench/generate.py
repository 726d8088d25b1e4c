"""Realistic synthetic PubMed EFetch XML, deterministic by seed, written as a stream.

Every record is built from its own random generator seeded by (seed, data set, index), so any
record can be rebuilt alone: the stand-in serves records of the 1M-study store on demand, and
the store builder writes the same titles, authors and DOIs into the database.

What a record carries, as PubMed's EFetch (pubmed_250101 DTD) does: MedlineCitation status and
dates, journal with ISSN/volume/issue/PubDate, a title mixing KAP studies with off-topic ketamine
work (anaesthesia, analgesia, sedation, recreational use, animal studies) with <i>/<sup>/<sub>
markup, a structured abstract with labels and NlmCategory (or a plain one, or none), 5-30
authors with affiliations and ORCIDs, grants, publication types, chemicals, MeSH headings with
qualifiers (MEDLINE-indexed records only: a week's new records mostly have none yet), keywords,
comments/corrections (errata, retractions), history dates, article ids (DOI, PII, PMC) and a
reference list. First authors follow a skewed surname distribution (Wang, Li, Zhang, ... and a
long tail) so the store's author blocks are as uneven as a real store's.

    .venv/bin/python -m bench.generate proc-10k            # -> bench/.cache/data/...xml
    .venv/bin/python -m bench.generate --list
"""

from __future__ import annotations

import argparse
import hashlib
import random
import re
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from xml.sax.saxutils import escape

SEED = 20_261_122
GENERATOR_VERSION = 6  # bump when the output changes: cached files are keyed by it
CACHE = Path(__file__).resolve().parent / ".cache"

EFETCH_HEAD = (
    '<?xml version="1.0" ?>\n'
    '<!DOCTYPE PubmedArticleSet PUBLIC "-//NLM//DTD PubMedArticle, 1st January 2025//EN" '
    '"https://dtd.nlm.nih.gov/ncbi/pubmed/out/pubmed_250101.dtd">\n'
    "<PubmedArticleSet>\n"
)
EFETCH_TAIL = "</PubmedArticleSet>\n"


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

# --- vocabulary ------------------------------------------------------------------------------

COMMON_SURNAMES = [
    ("Wang", 14),
    ("Li", 14),
    ("Zhang", 12),
    ("Liu", 9),
    ("Chen", 9),
    ("Yang", 6),
    ("Kim", 6),
    ("Lee", 6),
    ("Huang", 5),
    ("Zhao", 5),
    ("Wu", 5),
    ("Zhou", 5),
    ("Xu", 4),
    ("Sun", 4),
    ("Ma", 3),
    ("Park", 4),
    ("Smith", 4),
    ("Nguyen", 3),
    ("Müller", 2),
    ("García", 2),
    ("Rodriguez", 2),
    ("Johnson", 2),
    ("Brown", 2),
    ("Williams", 2),
    ("Singh", 3),
    ("Kumar", 3),
    ("Tanaka", 2),
    ("Suzuki", 2),
    ("Sato", 2),
    ("Hashimoto", 1),
    ("Rossi", 1),
    ("Martin", 2),
    ("Jones", 2),
    ("Taylor", 2),
    ("Anderson", 1),
    ("Thomas", 1),
    ("Silva", 2),
    ("Santos", 2),
    ("Fernández", 1),
    ("López", 1),
    ("Schmidt", 1),
    ("Schneider", 1),
    ("Cohen", 1),
    ("Ali", 2),
    ("Khan", 2),
    ("Ahmed", 1),
    ("Yilmaz", 1),
    ("Öztürk", 1),
    ("Kowalski", 1),
    ("Novak", 1),
]
_COMMON_NAMES = [name for name, weight in COMMON_SURNAMES for _ in range(weight)]
SYLLABLES = [
    "ka",
    "lo",
    "mi",
    "ren",
    "sa",
    "to",
    "vu",
    "zel",
    "an",
    "bri",
    "cor",
    "dan",
    "el",
    "fer",
    "gil",
    "har",
    "ist",
    "jon",
    "kel",
    "lun",
    "mor",
    "nik",
    "ost",
    "par",
    "quin",
    "ros",
    "stein",
    "tor",
    "ul",
    "ven",
    "wal",
    "yor",
    "berg",
    "son",
    "ski",
    "ov",
    "ez",
    "ini",
    "ard",
    "mann",
]
FORENAMES = [
    ("James", "J"),
    ("Maria", "M"),
    ("Wei", "W"),
    ("Jie", "J"),
    ("Xiaoli", "X"),
    ("Samuel T", "ST"),
    ("Anna", "A"),
    ("David", "D"),
    ("Sarah", "S"),
    ("Hiroshi", "H"),
    ("Ji-Hoon", "JH"),
    ("Carlos A", "CA"),
    ("Fatima", "F"),
    ("Olga", "O"),
    ("Jörg", "J"),
    ("Émilie", "É"),
    ("Rahul", "R"),
    ("Laura E", "LE"),
    ("Michael", "M"),
    ("Yuki", "Y"),
    ("Chen-Yu", "CY"),
    ("Ingrid", "I"),
    ("Ahmed", "A"),
    ("Lucia", "L"),
    ("Peter J", "PJ"),
    ("Hannah", "H"),
    ("Tomasz", "T"),
    ("Ngozi", "N"),
    ("Daniel", "D"),
    ("Rebecca B", "RB"),
    ("Min", "M"),
]
INSTITUTIONS = [
    ("Department of Psychiatry", "Yale School of Medicine", "New Haven, CT", "USA"),
    (
        "Department of Psychiatry and Behavioral Sciences",
        "Stanford University",
        "Stanford, CA",
        "USA",
    ),
    ("Department of Anesthesiology", "Massachusetts General Hospital", "Boston, MA", "USA"),
    ("Department of Psychiatry", "University of Oxford", "Oxford", "UK"),
    ("Institute of Psychiatry, Psychology & Neuroscience", "King's College London", "London", "UK"),
    ("Department of Psychiatry", "Charité - Universitätsmedizin Berlin", "Berlin", "Germany"),
    ("Department of Anesthesiology", "Peking Union Medical College Hospital", "Beijing", "China"),
    ("Department of Psychiatry", "West China Hospital, Sichuan University", "Chengdu", "China"),
    (
        "Mental Health Center",
        "Shanghai Jiao Tong University School of Medicine",
        "Shanghai",
        "China",
    ),
    ("Department of Neuropsychiatry", "Keio University School of Medicine", "Tokyo", "Japan"),
    ("Department of Psychiatry", "Seoul National University College of Medicine", "Seoul", "Korea"),
    ("Centre for Addiction and Mental Health", "University of Toronto", "Toronto, ON", "Canada"),
    ("Department of Psychiatry", "Universidade de São Paulo", "São Paulo", "Brazil"),
    ("Black Dog Institute", "University of New South Wales", "Sydney, NSW", "Australia"),
    ("Department of Emergency Medicine", "Hennepin Healthcare", "Minneapolis, MN", "USA"),
    ("National Center for PTSD", "VA Connecticut Healthcare System", "West Haven, CT", "USA"),
    ("Department of Pharmacology", "Universidad de Cantabria", "Santander", "Spain"),
    ("Department of Clinical Neuroscience", "Karolinska Institutet", "Stockholm", "Sweden"),
    ("Department of Psychiatry", "All India Institute of Medical Sciences", "New Delhi", "India"),
    ("Department of Psychiatry", "Hacettepe University", "Ankara", "Turkey"),
]
JOURNALS = [
    (
        "Journal of affective disorders",
        "J Affect Disord",
        "1573-2517",
        "7906073",
        "Netherlands",
        "10.1016/j.jad",
    ),
    (
        "The American journal of psychiatry",
        "Am J Psychiatry",
        "1535-7228",
        "0370512",
        "United States",
        "10.1176/appi.ajp",
    ),
    (
        "JAMA psychiatry",
        "JAMA Psychiatry",
        "2168-6238",
        "101589550",
        "United States",
        "10.1001/jamapsychiatry",
    ),
    (
        "Biological psychiatry",
        "Biol Psychiatry",
        "1873-2402",
        "0213264",
        "United States",
        "10.1016/j.biopsych",
    ),
    (
        "Neuropsychopharmacology",
        "Neuropsychopharmacology",
        "1740-634X",
        "8904907",
        "England",
        "10.1038/s41386",
    ),
    (
        "Translational psychiatry",
        "Transl Psychiatry",
        "2158-3188",
        "101562664",
        "United States",
        "10.1038/s41398",
    ),
    (
        "Journal of psychopharmacology (Oxford, England)",
        "J Psychopharmacol",
        "1461-7285",
        "8907828",
        "United States",
        "10.1177/02698811",
    ),
    (
        "Frontiers in psychiatry",
        "Front Psychiatry",
        "1664-0640",
        "101545006",
        "Switzerland",
        "10.3389/fpsyt",
    ),
    (
        "Anesthesia and analgesia",
        "Anesth Analg",
        "1526-7598",
        "1310650",
        "United States",
        "10.1213/ANE",
    ),
    (
        "British journal of anaesthesia",
        "Br J Anaesth",
        "1471-6771",
        "0372541",
        "England",
        "10.1016/j.bja",
    ),
    ("Molecular psychiatry", "Mol Psychiatry", "1476-5578", "9607835", "England", "10.1038/s41380"),
    (
        "Psychopharmacology",
        "Psychopharmacology (Berl)",
        "1432-2072",
        "7608025",
        "Germany",
        "10.1007/s00213",
    ),
    (
        "Drug and alcohol dependence",
        "Drug Alcohol Depend",
        "1879-0046",
        "7513587",
        "Ireland",
        "10.1016/j.drugalcdep",
    ),
    (
        "The Journal of clinical psychiatry",
        "J Clin Psychiatry",
        "1555-2101",
        "7801243",
        "United States",
        "10.4088/JCP",
    ),
    (
        "Depression and anxiety",
        "Depress Anxiety",
        "1520-6394",
        "9708816",
        "United States",
        "10.1002/da",
    ),
    (
        "Psychological medicine",
        "Psychol Med",
        "1469-8978",
        "1254142",
        "England",
        "10.1017/S0033291",
    ),
    (
        "Neuropharmacology",
        "Neuropharmacology",
        "1873-7064",
        "0236217",
        "England",
        "10.1016/j.neuropharm",
    ),
    (
        "Annals of emergency medicine",
        "Ann Emerg Med",
        "1097-6760",
        "8002646",
        "United States",
        "10.1016/j.annemergmed",
    ),
    ("Paediatric anaesthesia", "Paediatr Anaesth", "1460-9592", "9206575", "France", "10.1111/pan"),
    ("BMC psychiatry", "BMC Psychiatry", "1471-244X", "100968559", "England", "10.1186/s12888"),
    ("PloS one", "PLoS One", "1932-6203", "101285081", "United States", "10.1371/journal.pone"),
    (
        "Journal of psychoactive drugs",
        "J Psychoactive Drugs",
        "2159-9777",
        "8113536",
        "United States",
        "10.1080/02791072",
    ),
]

# Topics: (weight, kind). KAP studies and ketamine in psychiatry are what the question is about;
# the rest is what a ketamine query also catches.
TOPICS = [
    (30, "kap"),
    (25, "psych"),
    (14, "anaesthesia"),
    (10, "analgesia"),
    (5, "recreational"),
    (16, "preclinical"),
]
_TOPIC_TABLE = [kind for weight, kind in TOPICS for _ in range(weight)]

DRUG = [
    "ketamine",
    "intravenous ketamine",
    "esketamine nasal spray",
    "racemic ketamine",
    "intramuscular ketamine",
    "oral ketamine",
    "sublingual ketamine",
    "(<i>S</i>)-ketamine",
    "arketamine",
]
THERAPY = [
    "psychotherapy",
    "cognitive behavioral therapy",
    "written exposure therapy",
    "prolonged exposure therapy",
    "mindfulness-based relapse prevention",
    "integration sessions",
    "motivational enhancement therapy",
    "group psychotherapy",
    "trauma-focused therapy",
    "acceptance and commitment therapy",
    "automated self-association training",
]
CONDITION = [
    "treatment-resistant depression",
    "major depressive disorder",
    "posttraumatic stress disorder",
    "alcohol use disorder",
    "suicidal ideation",
    "bipolar depression",
    "cocaine use disorder",
    "obsessive-compulsive disorder",
    "anorexia nervosa",
    "social anxiety disorder",
    "end-of-life distress",
    "postpartum depression",
    "opioid use disorder",
    "chronic PTSD",
]
POPULATION = [
    "adults",
    "veterans",
    "adolescents",
    "older adults",
    "outpatients",
    "inpatients",
    "first responders",
    "healthcare workers",
    "patients",
    "women",
    "military personnel",
]
DESIGN = [
    ("a randomized controlled trial", "Randomized Controlled Trial", "D016449"),
    ("an open-label pilot study", "Clinical Trial", "D016430"),
    ("a retrospective cohort study", "Observational Study", "D064888"),
    ("a systematic review and meta-analysis", "Meta-Analysis", "D017418"),
    ("a single-arm feasibility trial", "Clinical Trial", "D016430"),
    ("a qualitative study", "", ""),
    ("a naturalistic observational study", "Observational Study", "D064888"),
    ("study protocol for a randomized trial", "Clinical Trial Protocol", "D000078325"),
    ("a case series", "Case Reports", "D002363"),
    ("a narrative review", "Review", "D016454"),
    (
        "a secondary analysis of a randomized clinical trial",
        "Randomized Controlled Trial",
        "D016449",
    ),
    ("a double-blind, placebo-controlled trial", "Randomized Controlled Trial", "D016449"),
]
OUTCOME = [
    "sustained antidepressant response",
    "relapse prevention",
    "suicidal ideation",
    "neuroplasticity",
    "functional connectivity",
    "quality of life",
    "treatment retention",
    "PTSD symptom severity",
    "abstinence",
    "anhedonia",
    "cognitive flexibility",
    "remission rates",
    "BDNF levels",
    "mystical experience",
    "dissociative symptoms",
]
PROCEDURE = [
    "cardiac surgery",
    "total knee arthroplasty",
    "cesarean delivery",
    "spine surgery",
    "laparoscopic cholecystectomy",
    "tonsillectomy",
    "electroconvulsive therapy",
    "burn dressing changes",
    "endoscopy",
    "fracture reduction",
    "bariatric surgery",
]
ANAESTHESIA_OUTCOME = [
    "postoperative delirium",
    "emergence agitation",
    "postoperative pain",
    "opioid consumption",
    "hemodynamic stability",
    "recovery time",
    "postoperative depression",
    "chronic postsurgical pain",
    "sedation quality",
    "respiratory depression",
]
PAIN = [
    "acute pain in the emergency department",
    "cancer pain",
    "complex regional pain syndrome",
    "sickle cell crisis",
    "chronic low back pain",
    "neuropathic pain",
    "migraine",
    "fibromyalgia",
    "renal colic",
    "rib fractures",
]
ANIMAL = [
    "mice",
    "rats",
    "male C57BL/6J mice",
    "Sprague-Dawley rats",
    "zebrafish",
    "rhesus macaques",
]
REGION = [
    "medial prefrontal cortex",
    "hippocampus",
    "nucleus accumbens",
    "lateral habenula",
    "amygdala",
    "ventral tegmental area",
]
MOLECULE = [
    "<i>Bdnf</i>",
    "mTORC1",
    "GluN2B",
    "AMPA receptors",
    "eEF2 kinase",
    "TrkB",
    "5-HT<sub>1A</sub> receptors",
    "Ca<sup>2+</sup>/calmodulin kinase II",
    "<i>Homer1a</i>",
    "GSK-3β",
    "microglial activation",
    "parvalbumin interneurons",
]
COUNTRY = [
    "the United States",
    "China",
    "Taiwan",
    "Hong Kong",
    "the United Kingdom",
    "Australia",
    "Canada",
    "Germany",
    "Brazil",
    "Japan",
    "Korea",
    "India",
    "Spain",
    "Iran",
    "Denmark",
]
MESH_COMMON = [
    ("D006801", "Humans"),
    ("D008297", "Male"),
    ("D005260", "Female"),
    ("D000328", "Adult"),
    ("D008875", "Middle Aged"),
    ("D000368", "Aged"),
    ("D016896", "Treatment Outcome"),
    ("D012189", "Retrospective Studies"),
    ("D004311", "Double-Blind Method"),
    ("D011446", "Prospective Studies"),
    ("D013997", "Time Factors"),
]
MESH_TOPIC = {
    "kap": [
        ("D011613", "Psychotherapy"),
        ("D015928", "Cognitive Behavioral Therapy"),
        ("D061218", "Depressive Disorder, Treatment-Resistant"),
        ("D013313", "Stress Disorders, Post-Traumatic"),
        ("D000014", "Combined Modality Therapy"),
    ],
    "psych": [
        ("D003865", "Depressive Disorder, Major"),
        ("D000928", "Antidepressive Agents"),
        ("D061218", "Depressive Disorder, Treatment-Resistant"),
        ("D059020", "Suicidal Ideation"),
        ("D000280", "Administration, Intranasal"),
    ],
    "anaesthesia": [
        ("D018690", "Anesthetics, Dissociative"),
        ("D000077212", "Propofol"),
        ("D011183", "Postoperative Complications"),
        ("D003693", "Delirium"),
        ("D000758", "Anesthesia"),
    ],
    "analgesia": [
        ("D010149", "Pain, Postoperative"),
        ("D000701", "Analgesics, Opioid"),
        ("D059787", "Acute Pain"),
        ("D004636", "Emergency Service, Hospital"),
    ],
    "recreational": [
        ("D019966", "Substance-Related Disorders"),
        ("D001745", "Urinary Bladder Diseases"),
        ("D019970", "Illicit Drugs"),
    ],
    "preclinical": [
        ("D000818", "Animals"),
        ("D051379", "Mice"),
        ("D051381", "Rats"),
        ("D009473", "Neuronal Plasticity"),
        ("D017397", "Prefrontal Cortex"),
        ("D004195", "Disease Models, Animal"),
    ],
}
QUALIFIERS = [
    ("Q000627", "therapeutic use"),
    ("Q000008", "administration &amp; dosage"),
    ("Q000188", "drug therapy"),
    ("Q000523", "psychology"),
    ("Q000494", "pharmacology"),
    ("Q000009", "adverse effects"),
    ("Q000473", "pathology"),
    ("Q000502", "physiology"),
]
KEYWORDS = [
    "ketamine",
    "esketamine",
    "psychotherapy",
    "depression",
    "PTSD",
    "neuroplasticity",
    "NMDA receptor",
    "rapid-acting antidepressant",
    "psychedelic-assisted therapy",
    "anesthesia",
    "analgesia",
    "sedation",
    "suicide",
    "alcohol use disorder",
    "mindfulness",
    "glutamate",
    "randomized controlled trial",
    "meta-analysis",
    "emergency department",
    "synaptogenesis",
]
LINKS = [
    "genotype and",
    "methylation and",
    "expression and",
    "variants and",
    "levels and",
    "polymorphisms and",
    "signalling and",
    "as a marker of response to",
    "predicts outcomes of",
]
FRAMINGS = [
    "{n}-month follow-up",
    "{n}-week outcomes",
    "Year {n} results",
    "A {n}-site study",
    "Evidence from {country}",
    "Registry data from {country}",
    "Secondary analysis {n}",
    "Post hoc analysis of {n} sites",
    "Pooled analysis of {n} trials",
    "Sex-stratified analysis in {country}",
    "Patient perspectives from {country}",
    "Clinician survey of {n} centres",
    "Costs over {n} months",
    "Safety signals in {country}",
    "Practice patterns in {country}",
    "Lessons from {n} cases",
    "A Bayesian reanalysis of {n} trials",
    "Target trial emulation in {country}",
    "Network meta-analysis of {n} trials",
    "Implementation in {country}",
]
# (publication type, its MeSH UI, the CommentsCorrections link to the article, title prefix)
NOTICES = [
    ("Retraction of Publication", "D016440", "RetractionOf", "Retraction notice to: "),
    ("Published Erratum", "D016425", "ErratumFor", "Erratum to: "),
]
MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
_TAG = re.compile(r"<[^>]+>")


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
            _TAG.sub("", self.title).replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
        )

    def author_names(self) -> list[str]:
        """As kapwatch's parser writes them: 'Surname Initials'."""
        return [f"{last} {initials}" for last, _fore, initials in self.authors]


def _surname(rng: random.Random) -> str:
    if rng.random() < 0.3:
        return rng.choice(_COMMON_NAMES)
    n = 2 + (rng.random() < 0.4)
    return "".join(rng.choice(SYLLABLES) for _ in range(n)).title()


def _title(rng: random.Random, topic: str, design: int) -> str:
    d = DESIGN[design][0]
    c, p, t, o, dr = (
        rng.choice(CONDITION),
        rng.choice(POPULATION),
        rng.choice(THERAPY),
        rng.choice(OUTCOME),
        rng.choice(DRUG),
    )
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
    title = rng.choice(options)
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
    topic = rng.choice(_TOPIC_TABLE)
    design = rng.randrange(len(DESIGN))
    title = _title(rng, topic, design)
    count = min(30, 5 + int(rng.expovariate(1 / 5)))
    authors = []
    for _ in range(count):
        fore, initials = rng.choice(FORENAMES)
        authors.append((_surname(rng), fore, initials))
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


def _abstract(rng: random.Random, c: Core) -> list[tuple[str, str, list[str]]]:
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
    if c.topic in ("kap", "psych"):
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
    elif c.topic in ("anaesthesia", "analgesia"):
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


# --- the full record -------------------------------------------------------------------------


def _date_block(tag: str, d: date, ind: str, attrs: str = "") -> str:
    return (
        f"{ind}<{tag}{attrs}>\n{ind}    <Year>{d.year}</Year>\n{ind}    <Month>{d.month:02d}</Month>\n"
        f"{ind}    <Day>{d.day:02d}</Day>\n{ind}</{tag}>\n"
    )


def article_xml(ds: Dataset, index: int) -> str:
    """One <PubmedArticle>, indented as EFetch sends it."""
    rng = random.Random(ds.base + index)
    c = core(ds, index, rng)
    j = JOURNALS[c.journal]
    if ds.new:
        status = rng.choice(["Publisher", "Publisher", "In-Data-Review", "In-Process", "MEDLINE"])
    else:
        status = rng.choice(["MEDLINE"] * 15 + ["PubMed-not-MEDLINE"] * 4 + ["Publisher"])
    indexed = status == "MEDLINE"
    out: list[str] = []
    w = out.append
    method = ' IndexingMethod="Automated"' if indexed and rng.random() < 0.3 else ""
    w(f'<PubmedArticle>\n    <MedlineCitation Status="{status}" Owner="NLM"{method}>\n')
    w(f'        <PMID Version="1">{c.pmid}</PMID>\n')
    if indexed:
        w(_date_block("DateCompleted", c.entrez + timedelta(days=rng.randint(20, 200)), "        "))
    revised = rng.randint(0, 2) if ds.new else rng.randint(1, 400)  # a new record: just made
    w(_date_block("DateRevised", c.entrez + timedelta(days=revised), "        "))
    model = rng.choice(
        ["Print-Electronic", "Print-Electronic", "Electronic", "Print", "Electronic-eCollection"]
    )
    w(
        f'        <Article PubModel="{model}">\n            <Journal>\n'
        f'                <ISSN IssnType="Electronic">{j[2]}</ISSN>\n'
        f'                <JournalIssue CitedMedium="Internet">\n'
        f"                    <Volume>{c.volume}</Volume>\n"
    )
    if rng.random() < 0.8:
        w(f"                    <Issue>{c.issue}</Issue>\n")
    w(
        f"                    <PubDate>\n                        <Year>{c.year}</Year>\n"
        f"                        <Month>{MONTHS[c.month - 1]}</Month>\n"
    )
    if rng.random() < 0.4:
        w(f"                        <Day>{rng.randint(1, 28):02d}</Day>\n")
    w(
        "                    </PubDate>\n                </JournalIssue>\n"
        f"                <Title>{escape(j[0])}</Title>\n"
        f"                <ISOAbbreviation>{escape(j[1])}</ISOAbbreviation>\n            </Journal>\n"
    )
    non_english = rng.random() < 0.03
    # A week's new records include editorial notices about older articles (a retraction
    # notice, an erratum) that the retraction watch looks for.
    notice = NOTICES[rng.randrange(len(NOTICES))] if ds.new and rng.random() < 0.02 else None
    if notice is not None:
        w(f"            <ArticleTitle>{notice[3]}{c.title}</ArticleTitle>\n")
    elif non_english:
        w(f"            <ArticleTitle>[{c.title[:-1]}].</ArticleTitle>\n")
    else:
        w(f"            <ArticleTitle>{c.title}</ArticleTitle>\n")
    if j[1] in ("PLoS One", "Front Psychiatry", "Transl Psychiatry"):
        w(
            f"            <Pagination>\n                <StartPage>e{c.first_page:04d}{rng.randint(10, 99)}</StartPage>\n"
            f"                <MedlinePgn>e{c.first_page:04d}</MedlinePgn>\n            </Pagination>\n"
        )
    else:
        last = c.first_page + rng.randint(4, 14)
        w(
            f"            <Pagination>\n                <StartPage>{c.first_page}</StartPage>\n"
            f"                <EndPage>{last}</EndPage>\n"
            f"                <MedlinePgn>{c.first_page}-{str(last)[-2:] if last // 100 == c.first_page // 100 else last}</MedlinePgn>\n"
            "            </Pagination>\n"
        )
    if c.doi:
        w(f'            <ELocationID EIdType="doi" ValidYN="Y">{c.doi}</ELocationID>\n')
    shape = rng.random()
    if shape < 0.04 or notice is not None:
        pass  # no abstract: letters, editorials, some new records
    else:
        sections = _abstract(rng, c)
        w("            <Abstract>\n")
        if shape < 0.3:  # unstructured
            text = " ".join(s for _l, _c, sentences in sections for s in sentences)
            w(f"                <AbstractText>{text}</AbstractText>\n")
        else:
            for label, category, sentences in sections:
                w(
                    f'                <AbstractText Label="{label}" NlmCategory="{category}">{" ".join(sentences)}</AbstractText>\n'
                )
        if rng.random() < 0.5:
            w(
                f"                <CopyrightInformation>© {c.year} The Author(s). Published by Elsevier B.V. All rights reserved.</CopyrightInformation>\n"
            )
        w("            </Abstract>\n")
    w('            <AuthorList CompleteYN="Y">\n')
    institutions = [rng.choice(INSTITUTIONS) for _ in range(rng.randint(1, 4))]
    for position, (surname, fore, initials) in enumerate(c.authors):
        equal = ' EqualContrib="Y"' if position < 2 and rng.random() < 0.1 else ""
        w(
            f'                <Author ValidYN="Y"{equal}>\n'
            f"                    <LastName>{surname}</LastName>\n"
            f"                    <ForeName>{fore}</ForeName>\n"
            f"                    <Initials>{initials}</Initials>\n"
        )
        if rng.random() < 0.3:
            w(
                f'                    <Identifier Source="ORCID">0000-000{rng.randint(1, 3)}-{rng.randint(1000, 9999)}-{rng.randint(1000, 9999)}</Identifier>\n'
            )
        for dept, inst, city, country in rng.sample(
            institutions, min(len(institutions), 1 + (rng.random() < 0.2))
        ):
            w(
                f"                    <AffiliationInfo>\n                        <Affiliation>{escape(dept)}, {escape(inst)}, {city}, {country}.</Affiliation>\n"
                "                    </AffiliationInfo>\n"
            )
        w("                </Author>\n")
    if rng.random() < 0.05:
        w(
            '                <Author ValidYN="Y">\n                    <CollectiveName>Ketamine Research Consortium</CollectiveName>\n                </Author>\n'
        )
    w("            </AuthorList>\n")
    w(
        f"            <Language>{rng.choice(['chi', 'ger', 'fre', 'spa', 'jpn']) if non_english else 'eng'}</Language>\n"
    )
    if rng.random() < 0.25:
        w('            <GrantList CompleteYN="Y">\n')
        for _ in range(rng.randint(1, 3)):
            w(
                f"                <Grant>\n                    <GrantID>R01 MH{rng.randint(100000, 999999)}</GrantID>\n"
                "                    <Acronym>MH</Acronym>\n                    <Agency>NIMH NIH HHS</Agency>\n"
                "                    <Country>United States</Country>\n                </Grant>\n"
            )
        w("            </GrantList>\n")
    w(
        '            <PublicationTypeList>\n                <PublicationType UI="D016428">Journal Article</PublicationType>\n'
    )
    label, pt_ui = DESIGN[c.design][1], DESIGN[c.design][2]
    if label and (indexed or rng.random() < 0.5):
        w(f'                <PublicationType UI="{pt_ui}">{label}</PublicationType>\n')
    if rng.random() < 0.3:
        w(
            '                <PublicationType UI="D013485">Research Support, Non-U.S. Gov\'t</PublicationType>\n'
        )
    if notice is not None:
        w(f'                <PublicationType UI="{notice[1]}">{notice[0]}</PublicationType>\n')
    retracted = rng.random() < 0.003
    if retracted:
        w('                <PublicationType UI="D016441">Retracted Publication</PublicationType>\n')
    w("            </PublicationTypeList>\n")
    if non_english:
        w(f"            <VernacularTitle>{c.plain_title}</VernacularTitle>\n")
    if model != "Print":
        w(
            _date_block(
                "ArticleDate",
                c.entrez - timedelta(days=rng.randint(0, 3)),
                "            ",
                ' DateType="Electronic"',
            )
        )
    w("        </Article>\n")
    w(
        f"        <MedlineJournalInfo>\n            <Country>{j[4]}</Country>\n"
        f"            <MedlineTA>{escape(j[1])}</MedlineTA>\n            <NlmUniqueID>{j[3]}</NlmUniqueID>\n"
        f"            <ISSNLinking>{j[2]}</ISSNLinking>\n        </MedlineJournalInfo>\n"
    )
    if indexed:
        w(
            "        <ChemicalList>\n            <Chemical>\n                <RegistryNumber>690G0D6V8H</RegistryNumber>\n"
            '                <NameOfSubstance UI="D007649">Ketamine</NameOfSubstance>\n            </Chemical>\n'
            "        </ChemicalList>\n        <CitationSubset>IM</CitationSubset>\n"
        )
    corrections = []
    roll = rng.random()
    if retracted or roll < 0.002:
        corrections.append("RetractionIn")
    if roll > 0.985:
        corrections.append("ErratumIn")
    if 0.5 < roll < 0.53:
        corrections.append("CommentIn")
    if notice is not None:  # about an article of the 1M-study store's PMID range
        corrections = [notice[2]]
    if corrections:
        w("        <CommentsCorrectionsList>\n")
        for kind in corrections:
            target = int(c.pmid) + rng.randint(1000, 90000)
            if notice is not None:
                store = DATASETS["store-1m"]
                target = store.first_pmid + rng.randrange(store.count)
            w(
                f'            <CommentsCorrections RefType="{kind}">\n'
                f"                <RefSource>{escape(j[1])}. {c.year + 1};{c.volume + 1}:{rng.randint(1, 900)}. doi: {c.doi or '10.1000/x'}.c</RefSource>\n"
                f'                <PMID Version="1">{target}</PMID>\n'
                "            </CommentsCorrections>\n"
            )
        w("        </CommentsCorrectionsList>\n")
    if indexed:
        w("        <MeshHeadingList>\n")
        headings = rng.sample(MESH_TOPIC[c.topic], min(len(MESH_TOPIC[c.topic]), rng.randint(2, 5)))
        headings += rng.sample(MESH_COMMON, rng.randint(3, 8))
        headings.insert(0, ("D007649", "Ketamine"))
        for k, (ui, name) in enumerate(headings):
            major = "Y" if k == 0 and rng.random() < 0.6 else "N"
            w(
                f'            <MeshHeading>\n                <DescriptorName UI="{ui}" MajorTopicYN="{major}">{name}</DescriptorName>\n'
            )
            for q_ui, q_name in rng.sample(QUALIFIERS, rng.choice([0, 0, 1, 2])):
                w(
                    f'                <QualifierName UI="{q_ui}" MajorTopicYN="N">{q_name}</QualifierName>\n'
                )
            w("            </MeshHeading>\n")
        w("        </MeshHeadingList>\n")
    if rng.random() < 0.65:
        w('        <KeywordList Owner="NOTNLM">\n')
        for keyword in rng.sample(KEYWORDS, rng.randint(3, 7)):
            w(f'            <Keyword MajorTopicYN="N">{keyword}</Keyword>\n')
        w("        </KeywordList>\n")
    if rng.random() < 0.4:
        w(
            "        <CoiStatement>Declaration of competing interest: the authors report no conflicts of interest.</CoiStatement>\n"
        )
    w("    </MedlineCitation>\n    <PubmedData>\n        <History>\n")
    received = c.entrez - timedelta(days=rng.randint(60, 240))
    w(_date_block("PubMedPubDate", received, "            ", ' PubStatus="received"'))
    w(
        _date_block(
            "PubMedPubDate",
            c.entrez - timedelta(days=rng.randint(5, 50)),
            "            ",
            ' PubStatus="accepted"',
        )
    )
    for stamp in ("pubmed", "medline"):
        w(_date_block("PubMedPubDate", c.entrez, "            ", f' PubStatus="{stamp}"'))
    # The entrez stamp carries a time, as real records do.
    w(
        f'            <PubMedPubDate PubStatus="entrez">\n                <Year>{c.entrez.year}</Year>\n'
        f"                <Month>{c.entrez.month}</Month>\n                <Day>{c.entrez.day}</Day>\n"
        f"                <Hour>{rng.randint(0, 23)}</Hour>\n                <Minute>{rng.randint(0, 59)}</Minute>\n"
        "            </PubMedPubDate>\n"
    )
    w(
        f"        </History>\n        <PublicationStatus>{'aheadofprint' if status == 'Publisher' else 'ppublish'}</PublicationStatus>\n"
        f'        <ArticleIdList>\n            <ArticleId IdType="pubmed">{c.pmid}</ArticleId>\n'
    )
    if c.doi:
        w(f'            <ArticleId IdType="doi">{c.doi}</ArticleId>\n')
    if j[5].startswith("10.1016"):
        w(
            f'            <ArticleId IdType="pii">S{rng.randint(1000, 9999)}-{rng.randint(1000, 9999)}({c.year % 100:02d})0{rng.randint(1000, 9999)}-{rng.randint(0, 9)}</ArticleId>\n'
        )
    if rng.random() < 0.35:
        w(
            f'            <ArticleId IdType="pmc">PMC{rng.randint(5_000_000, 12_000_000)}</ArticleId>\n'
        )
    w("        </ArticleIdList>\n")
    if rng.random() < 0.5:
        w("        <ReferenceList>\n")
        for _ in range(rng.randint(8, 40)):
            ref_j = JOURNALS[rng.randrange(len(JOURNALS))]
            ref_year = c.year - rng.randint(1, 25)
            w(
                f"            <Reference>\n                <Citation>{_surname(rng)} {rng.choice(FORENAMES)[1]}, {_surname(rng)} {rng.choice(FORENAMES)[1]}, et al. "
                f"{_TAG.sub('', _title(rng, rng.choice(_TOPIC_TABLE), rng.randrange(len(DESIGN))))} "
                f"{escape(ref_j[1])}. {ref_year};{rng.randint(1, 400)}:{rng.randint(1, 2000)}-{rng.randint(1, 99)}.</Citation>\n"
                f'                <ArticleIdList>\n                    <ArticleId IdType="pubmed">{rng.randint(1_000_000, 39_000_000)}</ArticleId>\n'
                "                </ArticleIdList>\n            </Reference>\n"
            )
        w("        </ReferenceList>\n")
    w("    </PubmedData>\n</PubmedArticle>\n")
    return "".join(out)


# --- files -----------------------------------------------------------------------------------


def records(ds: Dataset, start: int = 0, stop: int | None = None) -> Iterator[str]:
    for index in range(start, ds.count if stop is None else min(stop, ds.count)):
        yield article_xml(ds, index)


def efetch(ds: Dataset) -> bytes:
    """The whole data set as one EFetch body, in memory: for small sets (the tests' stand-in)."""
    return (EFETCH_HEAD + "".join(records(ds)) + EFETCH_TAIL).encode()


def write(
    ds: Dataset, path: Path | None = None, progress: Callable[[int], None] | None = None
) -> Path:
    """Stream the data set to disk (one record in memory at a time); cached by name/seed/version."""
    path = path or ds.path()
    if path.exists():
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".partial")
    with partial.open("w", encoding="utf-8", newline="\n") as handle:
        handle.write(EFETCH_HEAD)
        for index, xml in enumerate(records(ds)):
            handle.write(xml)
            if progress is not None and index % 10_000 == 9_999:
                progress(index + 1)
        handle.write(EFETCH_TAIL)
    partial.replace(path)
    return path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("names", nargs="*", help="data sets to write (default: all but store-1m)")
    parser.add_argument("--list", action="store_true", help="list the data sets")
    args = parser.parse_args(argv)
    if args.list:
        for ds in DATASETS.values():
            print(
                f"{ds.name:10} {ds.count:>9,} records  entrez {ds.start}..{ds.end}  PMIDs {ds.first_pmid}+"
            )
        return 0
    for name in args.names or [n for n in DATASETS if n != "store-1m"]:
        path = write(DATASETS[name])
        print(f"{name}: {path} ({path.stat().st_size / 1e6:,.1f} MB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
