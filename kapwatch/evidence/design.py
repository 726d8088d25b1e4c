"""A study's design badge and the sample size its abstract states."""

from __future__ import annotations

import re
from collections.abc import Iterator

from kapwatch.evidence.text import StudyText

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
