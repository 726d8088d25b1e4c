"""A preprint and its journal version when no identifier links them (issue 14).

Three kinds of evidence, each asking less of the title the more the authors say:

- the titles alone are nearly one (dedupe's fuzzy ratio, the same main title, or every topic
  word of one main title in the other) and the first author, or two authors, are shared;
- the same first author and at least two more of the leading authors, in the same order, and
  main titles that share most of their topic words;
- the same three leading authors in the same places (a byline kept as it was), and main titles
  that share a good part of their topic words.

The journal version is never earlier than the preprint, and the two author-led kinds want it
within VERSION_YEARS. Titles are compared on topic words: numbers dropped (sample sizes change
between versions), plurals and endings folded, an acronym in one title matched to the phrase it
stands for in the other ("PTSD" and "post-traumatic stress disorder"), and, for the author-led
kinds, the main title only: a subtitle names a design ("a retrospective cohort study") or a data
source a group writes on all its papers.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from functools import lru_cache

from rapidfuzz import fuzz

from kapwatch.store.dedupe import FUZZY_TITLE_MIN, author_key, fold, is_preprint_doi, title_key

# Words that carry no topic: a reworded ending often swaps only these.
_STOP = frozenset(
    [
        "a",
        "an",
        "and",
        "are",
        "as",
        "at",
        "by",
        "for",
        "from",
        "in",
        "into",
        "is",
        "of",
        "on",
        "or",
        "the",
        "to",
        "with",
        "without",
        "its",
        "their",
        "this",
        "that",
        "than",
        "versus",
        "vs",
        "via",
        "among",
        "after",
        "before",
        "during",
        "using",
        "based",
        "study",
        "trial",
        "results",
    ]
)
_SUBTITLE = re.compile(r"\s*(?::|\?|\s[-–—]\s|\(|\.\s)")
VERSION_HEAD_WORDS = 6  # a main title this long, the same in both, links whatever follows it
VERSION_HEAD_MIN = 92.0  # fuzz.ratio of the two main titles
VERSION_SHARED_WORDS = 4  # topic words a main title needs for TITLE_OVERLAP_MIN to count
TITLE_OVERLAP_MIN = 0.9  # share of the smaller main title's topic words found in the other's
STEM = 6  # letters of a word kept: "depressed" and "depression" are one topic word

LEADING_AUTHORS = 6  # how far down the byline shared authors are looked for
LATEST_YEARS = 3  # the latest a journal version comes after its preprint at all
VERSION_YEARS = 2  # the latest a journal version comes after its preprint, for the author-led kinds
KEPT_AUTHORS = 3  # leading authors that, in the same places, make a byline kept as it was
SAME_ORDER_AUTHORS = 3  # the first author and two more of the leading ones, in the same order
SAME_ORDER_OVERLAP = 0.7  # main-title topic words shared, with the first author and two more
KEPT_BYLINE_OVERLAP = 0.4  # main-title topic words shared, with the byline kept as it was

# A name with one of these words is a group, not a person ("The OpenSAFELY Collaborative").
_GROUP = frozenset(
    [
        "collaborative",
        "collaboration",
        "consortium",
        "group",
        "investigators",
        "committee",
        "network",
        "team",
    ]
)


@dataclass(frozen=True, slots=True)
class Version:
    """What linking a preprint to its journal version reads of either."""

    title: str
    authors: tuple[str, ...]  # as the source wrote them
    published: date | None = None
    year: int | None = None
    doi: str | None = None


# --- authors --------------------------------------------------------------------------------


def _person(author: str) -> str:
    """A person's surname key, transliterated the way German names are ("Wölfel" = "Woelfel");
    "" for a group author."""
    words = fold(author).split()
    if any(word in _GROUP for word in words):
        return ""
    key = author_key(author)
    for digraph, vowel in (("ae", "a"), ("oe", "o"), ("ue", "u")):
        key = key.replace(digraph, vowel)
    return key


def persons(authors: Iterable[str]) -> list[str]:
    """The surname keys of the personal authors, in byline order."""
    return [key for key in map(_person, authors) if key]


def shared_authors(a: Iterable[str], b: Iterable[str]) -> bool:
    """The same first author, or two or more surnames in common."""
    keys_a, keys_b = persons(a), persons(b)
    if not keys_a or not keys_b:
        return False
    return keys_a[0] == keys_b[0] or len(set(keys_a) & set(keys_b)) >= 2


def _in_order(a: Sequence[str], b: Sequence[str]) -> int:
    """How many authors the two bylines share in the same order (longest common subsequence)."""
    row = [0] * (len(b) + 1)
    for x in a:
        previous = 0
        for j, y in enumerate(b, 1):
            previous, row[j] = row[j], previous + 1 if x == y else max(row[j], row[j - 1])
    return row[-1]


def byline(preprint: Sequence[str], journal: Sequence[str]) -> tuple[int, int]:
    """(leading authors in the same places, leading authors shared in the same order)."""
    a, b = persons(preprint)[:LEADING_AUTHORS], persons(journal)[:LEADING_AUTHORS]
    kept = 0
    while kept < min(len(a), len(b)) and a[kept] == b[kept]:
        kept += 1
    return kept, _in_order(a, b) if a and b and a[0] == b[0] else 0


# --- titles ---------------------------------------------------------------------------------


def _main_title(title: str) -> str:
    """The title before its subtitle (a colon, a question mark, a dash, a bracket)."""
    return _SUBTITLE.split(title.strip(), maxsplit=1)[0]


def _acronyms(title: str) -> set[str]:
    """Words written as acronyms: two or more capitals in at most six letters ("PTSD", "COVID")."""
    return {
        fold(word)
        for word in re.findall(r"[A-Za-z]+", title)
        if 2 <= len(word) <= 6 and sum(c.isupper() for c in word) >= 2
    }


@lru_cache(maxsize=4096)
def _spells(acronym: str, phrase: tuple[str, ...]) -> bool:
    """Whether `phrase` is what `acronym` stands for: each word gives its first letter and maybe
    more of its letters in order ("COronaVIrus Disease"), a stop word may give nothing."""

    def rest(i: int, j: int) -> bool:
        if j == len(phrase):
            return i == len(acronym)
        word = phrase[j]
        if word in _STOP and rest(i, j + 1):
            return True
        if i == len(acronym) or word[0] != acronym[i]:
            return False
        i, at = i + 1, 1
        while True:
            if rest(i, j + 1):
                return True
            at = word.find(acronym[i], at) + 1 if i < len(acronym) else 0
            if not at:
                return False
            i += 1

    return rest(0, 0)


def _expand(words: list[str], acronyms: set[str]) -> list[str]:
    """`words` with each phrase an acronym of the other title stands for replaced by it."""
    for acronym in sorted(acronyms - set(words)):
        spans = (
            (start, start + size)
            for size in range(2, len(acronym) + 1)
            for start in range(len(words) - size + 1)
        )
        for start, end in spans:
            phrase = tuple(words[start:end])
            if phrase[0] not in _STOP and phrase[-1] not in _STOP and _spells(acronym, phrase):
                words = [*words[:start], acronym, *words[end:]]
                break
    return words


def _stem(word: str) -> str:
    if len(word) > 4 and word.endswith("ies"):
        word = word[:-3] + "y"
    elif len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is")):
        word = word[:-1]
    return word[:STEM]


def _topics(words: Iterable[str]) -> set[str]:
    """Topic words: no stop words, no numbers ("16,749" and "20 133" patients), no letters alone."""
    return {
        _stem(w) for w in words if len(w) > 1 and w not in _STOP and not any(c.isdigit() for c in w)
    }


@lru_cache(maxsize=1024)  # is_journal_version may ask similar_titles and topic_overlap both
def _main_topics(a: str, b: str) -> tuple[frozenset[str], frozenset[str]]:
    """The topic words of the two main titles, each acronym either title writes matched to the
    phrase it stands for in the other."""
    words_a, words_b = fold(_main_title(a)).split(), fold(_main_title(b)).split()
    words_b = _expand(words_b, _acronyms(a))
    words_a = _expand(words_a, _acronyms(b))
    return frozenset(_topics(words_a)), frozenset(_topics(words_b))


def _overlap(topics_a: frozenset[str], topics_b: frozenset[str]) -> float:
    if not topics_a or not topics_b:
        return 0.0
    return len(topics_a & topics_b) / min(len(topics_a), len(topics_b))


def topic_overlap(a: str, b: str) -> float:
    """The share of the smaller main title's topic words found in the other main title."""
    return _overlap(*_main_topics(a, b))


def similar_titles(a: str, b: str) -> bool:
    """Titles of one work, tolerating a reworded ending or subtitle: nearly the same words;
    or the same main title (before a colon, a dash or a bracket) of VERSION_HEAD_WORDS words
    or more; or main titles of VERSION_SHARED_WORDS topic words or more that share nearly all
    of them (TITLE_OVERLAP_MIN: "the first 45 weeks" -> "the first year")."""
    key_a, key_b = title_key(a), title_key(b)
    if not key_a or not key_b:
        return False
    if fuzz.token_sort_ratio(key_a, key_b) >= FUZZY_TITLE_MIN:
        return True
    head_a, head_b = fold(_main_title(a)), fold(_main_title(b))
    if (
        min(len(head_a.split()), len(head_b.split())) >= VERSION_HEAD_WORDS
        and fuzz.ratio(head_a, head_b) >= VERSION_HEAD_MIN
    ):
        return True
    topics_a, topics_b = _main_topics(a, b)
    enough = min(len(topics_a), len(topics_b)) >= VERSION_SHARED_WORDS
    return enough and _overlap(topics_a, topics_b) >= TITLE_OVERLAP_MIN


# --- the decision ---------------------------------------------------------------------------


def _years_apart(preprint: Version, journal: Version) -> float | None:
    """How long after the preprint the journal version came (negative: before it)."""
    if preprint.published and journal.published:
        return (journal.published - preprint.published).days / 365.25
    if preprint.year and journal.year:
        return float(journal.year - preprint.year)
    return None


def is_journal_version(preprint: Version, journal: Version) -> bool:
    """Whether `journal` is the journal version of `preprint`, with no identifier linking them
    (see the module's docstring for the evidence it weighs)."""
    if is_preprint_doi(journal.doi):
        return False
    apart = _years_apart(preprint, journal)
    if apart is not None and (apart < 0 or apart > LATEST_YEARS):
        return False
    if shared_authors(preprint.authors, journal.authors) and similar_titles(
        preprint.title, journal.title
    ):
        return True
    if apart is not None and apart > VERSION_YEARS:
        return False
    kept, in_order = byline(preprint.authors, journal.authors)
    if kept < KEPT_AUTHORS and in_order < SAME_ORDER_AUTHORS:
        return False
    overlap = topic_overlap(preprint.title, journal.title)
    if kept >= KEPT_AUTHORS and overlap >= KEPT_BYLINE_OVERLAP:
        return True
    return in_order >= SAME_ORDER_AUTHORS and overlap >= SAME_ORDER_OVERLAP
