"""Evidence v1: is a study about KAP, what design is it, and which claims does it bear on, how.

Lexical and explainable on purpose: every verdict carries the words that produced it, so a
reader can see why a study was kept or dropped. The concepts come from seeds/concepts.toml.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from kapwatch.lexicon import Lexicon
from kapwatch.seeds import Claim, split_sentences

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
_N = re.compile(
    r"\b[Nn]\s*=\s*(\d{1,6})\b"
    r"|\b(\d{1,3}(?:,\d{3})*|\d+)\s+(?:adult\s+|adolescent\s+|eligible\s+|consecutive\s+)?"
    r"(?:participants|patients|adults|subjects|individuals|veterans|people|outpatients)\b"
)
# Words that turn a finding around: a null result, a failure, an effect that fades.
_CHALLENGE = re.compile(
    r"\b(?:no significant|not significant(?:ly)?|did not|does not|do not|failed to|no difference|"
    r"not superior|no evidence|not associated|no effect|were not|was not|unable to|"
    r"did not differ|comparable to placebo|no added benefit|waned|wane|faded|returned to baseline|"
    r"not sustained|not maintained|short-lived|transient|relapse(?:d)? within)\b",
    re.IGNORECASE,
)
_MIXED = re.compile(r"\b(?:however|but|although|whereas|while)\b", re.IGNORECASE)
_POSITIVE = re.compile(
    r"\b(?:improv|reduc|effective|benefit|sustain|maintain|superior"
    r"|significant(?:ly)? (?:greater|lower|higher))",
    re.IGNORECASE,
)
_CONCLUSION_LABELS = ("conclusion", "conclusions", "interpretation", "discussion", "significance")


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


def sample_size(abstract: str) -> int | None:
    """The n an abstract states, e.g. 'N = 40' or '120 patients' (the largest mentioned)."""
    values = []
    for match in _N.finditer(abstract):
        raw = match.group(1) or match.group(2)
        value = int(raw.replace(",", ""))
        if 1 < value < 1_000_000:
            values.append(value)
    return max(values) if values else None


def relevance(text: StudyText, lexicon: Lexicon) -> tuple[float, str, dict[str, str]]:
    """Score in [0, 1], a one-line reason, and the concepts found."""
    found = lexicon.find(text.full, text.mesh)
    title_found = lexicon.find(text.title)
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
    # Off-topic uses count most when they are the title's subject and no psychiatric topic is.
    title_excluded = [n for n in title_found if lexicon.role_of(n) == "exclude"]
    if title_excluded and not psych_title:
        score -= 0.6
    elif excluded and not roles.get("condition"):
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


def _sentences(text: StudyText) -> tuple[list[str], list[str]]:
    """(conclusion sentences, the others last-first): conclusions are read first."""
    if not text.sections:
        sentences = split_sentences(text.body)
        return sentences[-2:][::-1], sentences[:-2][::-1]
    conclusions = [
        s
        for label, body in text.sections
        if label.lower().rstrip(":") in _CONCLUSION_LABELS
        for s in split_sentences(body)
    ]
    rest = [
        s
        for label, body in reversed(text.sections)
        if label.lower().rstrip(":") not in _CONCLUSION_LABELS
        for s in reversed(split_sentences(body))
    ]
    return conclusions, rest


def stance_of(
    sentence: str, claim_families: set[str], study_families: set[str], lexicon: Lexicon
) -> str:
    if _CHALLENGE.search(sentence):
        # "improved X, but Y did not differ": a positive and a negative finding together.
        both = _POSITIVE.search(sentence) and _MIXED.search(sentence)
        return "mixed" if both else "challenges"
    # Same idea in a new population or with a new co-intervention: it extends the claim.
    # (Only against what the claim names: a claim silent on population is not "extended".)
    for role in ("condition", "therapy"):
        claim_side = {n for n in claim_families if lexicon.role_of(n) == role}
        study_side = {n for n in study_families if lexicon.role_of(n) == role}
        if claim_side and study_side - claim_side:
            return "extends"
    return "supports"


# Concepts too general to tie a study to a claim on their own.
_GENERIC = {"symptom_reduction", "integration", "rapid_effect", "circuits"}
MAX_LINKS = 3  # a study bears on a few claims; more would drown the digest


def _specific(names: set[str] | dict[str, str], lexicon: Lexicon) -> set[str]:
    """Families of the therapy, condition and outcome concepts that can carry a link."""
    return {
        lexicon.family_of(n)
        for n in names
        if lexicon.role_of(n) in ("therapy", "condition", "outcome") and n not in _GENERIC
    }


def _coverage(
    claim: Claim, study: set[str], study_names: set[str], lexicon: Lexicon
) -> tuple[float, set[str]]:
    """How much of the claim's idea the study shares (0 when a required part is missing)."""
    # A named therapy (CBT, written exposure) must be that therapy, not any psychotherapy.
    named = {
        n for n in claim.concepts if lexicon.role_of(n) == "therapy" and lexicon.family_of(n) != n
    }
    if named - study_names:
        return 0.0, set()
    wanted = _specific(claim.concepts, lexicon)
    shared = wanted & study
    by_role: dict[str, set[str]] = {}
    for name in wanted:
        by_role.setdefault(lexicon.role_of(name), set()).add(name)
    # A claim about a therapy needs that therapy; one about an outcome needs that outcome.
    for role in ("therapy", "outcome"):
        if by_role.get(role) and not by_role[role] & study:
            return 0.0, shared
    if len(shared) < 2 and len(wanted) > 1:
        return 0.0, shared
    return (len(shared) / len(wanted) if wanted else 0.0), shared


def link_claims(
    text: StudyText, claims: list[Claim], lexicon: Lexicon, study_concepts: dict[str, str]
) -> list[Link]:
    """The few claims this study bears on most closely, each with its stance and sentence."""
    conclusions, rest = _sentences(text)
    families = _specific(study_concepts, lexicon)
    scored = []
    for claim in claims:
        coverage, shared = _coverage(claim, families, set(study_concepts), lexicon)
        if coverage >= 0.5:
            scored.append((coverage, len(shared), claim, shared))
    scored.sort(key=lambda item: (-item[0], -item[1], item[2].id))
    links = []
    for _coverage_value, _count, claim, shared in scored[:MAX_LINKS]:
        evidence = _best_sentence(conclusions, shared, lexicon) or _best_sentence(
            rest, shared, lexicon
        )
        if evidence is None:
            continue
        claim_families = {lexicon.family_of(n) for n in claim.concepts}
        stance = stance_of(evidence, claim_families, families, lexicon)
        links.append(Link(claim.id, stance, evidence, sorted(shared)))
    return links


def _best_sentence(sentences: list[str], shared: set[str], lexicon: Lexicon) -> str | None:
    best, best_hits = None, 0
    for sentence in sentences:
        hits = len(shared & _specific(lexicon.find(sentence), lexicon))
        if hits > best_hits:
            best, best_hits = sentence, hits
    return best


def assess(text: StudyText, claims: list[Claim], lexicon: Lexicon) -> Assessment:
    score, reason, found = relevance(text, lexicon)
    relevant = score >= RELEVANCE_THRESHOLD
    links = link_claims(text, claims, lexicon, found) if relevant else []
    return Assessment(
        relevant=relevant,
        score=score,
        reason=reason,
        design=classify_design(text),
        n=sample_size(text.body),
        links=links,
    )
