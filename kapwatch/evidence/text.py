"""What the engine reads of a study: its text, split once into the sentences it weighs."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from kapwatch.evidence.times import EARLY, early_time
from kapwatch.seeds.articles import split_sentences
from kapwatch.seeds.lexicon import Lexicon

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
# Sections that say what was done, not what was found.
_METHOD_LABELS = (
    "method",
    "design",
    "setting",
    "participant",
    "intervention",
    "measure",
    "patients and",
)


def _is_conclusion(label: str) -> bool:
    """'CONCLUSIONS', 'Conclusions and Relevance', 'INTERPRETATION', ..."""
    return label.lower().startswith(_CONCLUSION_LABELS)


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


@dataclass
class Reading:
    """A study read once: the concepts of its title, of each sentence, of its findings (no
    background) and of all of it. Everything the engine decides is made from these."""

    title: dict[str, str]
    conclusions: list[tuple[str, dict[str, str]]]  # conclusions first, in order
    rest: list[tuple[str, dict[str, str]]]  # the other sentences, last first
    findings: dict[str, str]
    full: dict[str, str]
    background: frozenset[str] = frozenset()  # sentences that set the scene, or say what was
    # done (methods), not what was found
    measured: dict[str, str] = field(default_factory=dict)  # the concepts its methods measure
    given: dict[str, str] = field(default_factory=dict)  # all of it but the therapies it only
    # sets the scene with or advises

    def finding_sentences(self) -> list[str]:
        """What the study reports, conclusions first: no background or methods, no title."""
        rest = [s for s, _f in self.rest if s not in self.background]
        return [s for s, _f in self.conclusions] + rest


def _merge(*parts: dict[str, str]) -> dict[str, str]:
    merged: dict[str, str] = {}
    for part in parts:
        for name, phrase in part.items():
            merged.setdefault(name, phrase)
    return merged


def read(text: StudyText, lexicon: Lexicon) -> Reading:
    title = lexicon.find(text.title)
    conclusions, rest, background, methods = _sentences(text)
    concluded = [(s, _find(s, lexicon)) for s in conclusions]
    others = [(s, _find(s, lexicon)) for s in rest]
    _expand_abbreviations(text.full, title, [*concluded, *others])
    measured = _merge(*(f for s, f in others if s in methods))
    meshed = lexicon.find("", text.mesh)
    # A relation (a concept that `needs` one) is among the findings where the title or the
    # conclusions state it: one correlation among the results is not what a study is about.
    relational = lexicon.relational
    results = [
        {n: p for n, p in f.items() if n not in relational} if relational & f.keys() else f
        for s, f in others
        if s not in background
    ]
    findings = _merge(title, *(f for s, f in concluded), *results, meshed)
    keywords = lexicon.find(" ".join(text.keywords)) if text.keywords else {}
    full = _merge(title, *(f for _s, f in concluded), *(f for _s, f in others), keywords, meshed)
    # The therapies a study gave are those of what it did and found: not of its scene-setting,
    # nor of its advice ("the authors recommend adjunctive psychotherapy" does not make a
    # ketamine-alone study a KAP study).
    scene = background - methods
    told = [(s, f) for s, f in [*concluded, *others] if s not in scene]
    named = _merge(title, keywords, meshed)
    given = {
        name: phrase
        for name, phrase in full.items()
        if lexicon.role_of(name) != "therapy"
        or name in named
        or any(name in f and not _advised(s, f[name]) for s, f in told)
    }
    return Reading(title, concluded, others, findings, full, frozenset(background), measured, given)


# Words that make what follows in the sentence advice or a hope, not something the study did.
_ADVICE = re.compile(
    r"\b(?:recommend\w*|advis\w*|should|warrant\w*|call(?:s|ed)? for|need(?:s|ed)? for|future"
    r"|suggested(?! that)|may benefit from|could be (?:combined|paired|added))\b",
    re.IGNORECASE,
)


def _advised(sentence: str, phrase: str) -> bool:
    """The sentence names the phrase only after advice."""
    at = sentence.lower().find(phrase.lower())
    return at > 0 and bool(_ADVICE.search(sentence, 0, at))


def _expand_abbreviations(
    text: str, title: dict[str, str], sentences: list[tuple[str, dict[str, str]]]
) -> None:
    """A concept the abstract abbreviates ("global brain connectivity (GBC)") is named by its
    abbreviation in the sentences that use it alone ("ketamine had no effect on GBC")."""
    named = {**title, **{n: p for _s, found in sentences for n, p in found.items()}}
    aliases = {}
    for name, phrase in named.items():
        at = text.find(phrase + " (")
        if at >= 0 and (match := _ABBREVIATION.match(text, at + len(phrase) + 1)):
            aliases[match[1]] = name
    for abbreviation, name in aliases.items():
        word = re.compile(rf"\b{re.escape(abbreviation)}\b")
        for sentence, found in sentences:
            if name not in found and word.search(sentence):
                found[name] = abbreviation


_ABBREVIATION = re.compile(r"\(([A-Za-z][A-Za-z0-9-]{1,9})\)")


def _find(sentence: str, lexicon: Lexicon) -> dict[str, str]:
    """The sentence's concepts, with an early time point however it is written."""
    found = lexicon.find(sentence)
    if EARLY in lexicon and EARLY not in found and (phrase := early_time(sentence)):
        found[EARLY] = phrase
    return found


def _sentences(text: StudyText) -> tuple[list[str], list[str], set[str], set[str]]:
    """(conclusion sentences, the others last-first, the background ones, the methods ones),
    each section split once: conclusions are read first, and background sentences set the scene
    rather than report what the study found."""
    if not text.sections:
        sentences = split_sentences(text.body)
        return sentences[-2:][::-1], sentences[:-2][::-1], set(sentences[:1]), set()
    split = [(label, split_sentences(body)) for label, body in text.sections]
    conclusions = [s for label, found in split if _is_conclusion(label) for s in found]
    rest = [
        s for label, found in reversed(split) if not _is_conclusion(label) for s in reversed(found)
    ]
    methods = {
        s for label, found in split if label.lower().startswith(_METHOD_LABELS) for s in found
    }
    background = methods | {
        s for label, found in split if label.lower() in _BACKGROUND_LABELS for s in found
    }
    return conclusions, rest, background, methods
