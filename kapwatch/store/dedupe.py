"""One study per real work: the keys that identify a work across sources and weeks.

The store asks, in order: same PMID? same normalised DOI? same title key and year? and only
then a fuzzy title match among the few candidates sharing the year and first author, so
no comparison of everything against everything is ever made.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

from rapidfuzz import fuzz

_DOI_PREFIX = re.compile(r"^(?:doi:\s*|(?:https?://)?(?:dx\.)?doi\.org/)", re.IGNORECASE)
_DOI_SHAPE = re.compile(r"^10\.\d{4,9}/\S+$")
_NON_WORD = re.compile(r"[^a-z0-9]+")
# Every dash character (Unicode category Pd) becomes a space: "hemolytic–uremic" = "hemolytic-uremic".
_DASHES = {c: " " for c in range(0x10000) if unicodedata.category(chr(c)) == "Pd"}
FUZZY_TITLE_MIN = 93.0  # token_sort_ratio, 0-100; measured on the SRA sets in bench/


# The store asks for a record's keys several times while it stores a batch (to block, to match,
# to save): each key is computed once per batch.
_KEYS_CACHED = 4096


@lru_cache(maxsize=_KEYS_CACHED)
def normalize_doi(raw: str | None) -> str | None:
    """'https://doi.org/10.1000/ABC.' -> '10.1000/abc'; None when it is not a DOI."""
    if not raw:
        return None
    doi = raw.strip()
    doi = _DOI_PREFIX.sub("", doi).strip().rstrip(".,;")
    doi = doi.lower()
    return doi if _DOI_SHAPE.match(doi) else None


def fold(text: str) -> str:
    """Lower-case ASCII words only: 'Öngür, D.' -> 'ongur d'; dashes of any kind split words."""
    text = text.translate(_DASHES)
    decomposed = unicodedata.normalize("NFKD", text)
    ascii_text = decomposed.encode("ascii", "ignore").decode("ascii").lower()
    return _NON_WORD.sub(" ", ascii_text).strip()


_TRANSLATED = re.compile(r"\s*\[([^\]]{20,})\]")  # "[Title in English]. [Japanese]"
_NOTE = re.compile(r"\[[^\]]*\]")  # "[Japanese]", "[Review]", "[70 refs]", "[Article in Chinese]"


@lru_cache(maxsize=_KEYS_CACHED)
def title_key(title: str) -> str:
    """A title reduced to its words, for exact matching and blocking."""
    # Databases add bracketed notes; a title wholly in brackets (PubMed's sign of a
    # translation) keeps its words.
    title = title.strip().strip("\"'“”").strip()  # quotes an export wrapped it in
    translated = _TRANSLATED.match(title)
    if translated:
        title = translated.group(1) + " " + title[translated.end() :]
    return fold(_NOTE.sub(" ", title))


@lru_cache(maxsize=_KEYS_CACHED)
def author_key(author: str | None) -> str:
    """The first author's surname, folded, whichever way the source wrote the name.

    'Wilkinson ST' (PubMed), 'Wilkinson, Samuel T.' (RIS, BibTeX) and 'Samuel T. Wilkinson'
    (many feeds) all give 'wilkinson'; 'van der Touw T' gives 'vandertouw'; a two-letter
    surname written as a name ('Qifang Bi') is not taken for initials ('Bi Q'), and a
    generational suffix ('Carlos A Zarate Jr') is dropped.
    """
    if not author:
        return ""
    if "," in author:
        return fold(author.split(",")[0]).replace(" ", "")
    words = [w for w in author.replace(".", ". ").split() if fold(w)]
    while len(words) > 1 and fold(words[-1]) in _SUFFIXES:
        words.pop()
    if not words:
        return ""
    if len(words) > 1 and _initials(words[-1]):  # "Surname AB": drop the trailing initials
        while len(words) > 1 and _initials(words[-1]):
            words.pop()
        return "".join(fold(w).replace(" ", "") for w in words)
    # "Given Surname": the surname is last, with any particle before it ("Ludwig van Beethoven").
    parts = fold(" ".join(words)).split()
    surname = [parts.pop()]
    while parts and parts[-1] in _PARTICLES:
        surname.insert(0, parts.pop())
    return "".join(surname)


def _initials(word: str) -> bool:
    """'AB', 'A.', 'ab': initials; 'Bi', 'Wu', 'Li' (a capital, then lower case) are surnames."""
    letters = fold(word).replace(" ", "")
    if len(letters) > 2:
        return False
    return not (len(letters) == 2 and word[0].isupper() and word[1:].rstrip(".").islower())


_SUFFIXES = {"jr", "sr", "ii", "iii", "iv"}
_PARTICLES = {"van", "von", "der", "den", "de", "da", "del", "di", "la", "le", "du", "dos", "das"}
EXACT_TITLE_MIN = 40  # an identical title this long is the same work whoever is listed first


HEAD = 40  # characters of a title key that block candidates for the prefix rule
LOCUS_TITLE_MIN = 70.0  # token_set_ratio for two records at the same year/volume/first page


def title_head(key: str) -> str:
    return key[:HEAD] if len(key) >= HEAD else ""


def locus(year: int | None, volume: str, pages: str) -> str:
    """'2009|360|2142' from year, volume and first page: where a work is printed."""
    vol = "".join(re.findall(r"\d+", volume or ""))[:10]
    first = re.split(r"[-–]", pages or "")[0]
    page = "".join(re.findall(r"\d+", first))[:10].lstrip("0")
    return f"{year}|{vol}|{page}" if year and vol and page else ""


@dataclass(frozen=True, slots=True)
class Candidate:
    """What the fuzzy step needs to know about an already stored study."""

    id: int
    title_key: str
    year: int | None
    author_key: str
    locus: str = ""


def same_work(
    title_a: str,
    year_a: int | None,
    author_a: str,
    title_b: str,
    year_b: int | None,
    author_b: str,
    locus_a: str = "",
    locus_b: str = "",
) -> bool:
    """Fuzzy decision for two records with no shared identifier (keys already normalised)."""
    if year_a and year_b and abs(year_a - year_b) > 1:
        return False
    if not title_a or not title_b:
        return False
    # Author lists are written many ways (and first authors swapped in databases); an identical
    # long title outweighs them, and so does one title that is the other with something added
    # ("... [Erratum appears in ...]", "... (vol 360, pg 542, 2009)").
    shorter, longer = sorted((title_a, title_b), key=len)
    if len(shorter) >= EXACT_TITLE_MIN and longer.startswith(shorter):
        return True
    # Printed at the same year, volume and first page: the same work if the titles agree in
    # their words, even when one carries a prefix ("MEDICAL PROGRESS", "Erratum:").
    same_place = bool(locus_a) and locus_a == locus_b
    if same_place and (
        author_a == author_b or fuzz.token_set_ratio(title_a, title_b) >= LOCUS_TITLE_MIN
    ):
        return True
    if author_a and author_b and author_a != author_b:
        return False
    if title_a == title_b:
        return True
    # Very short titles ("Editorial", "Reply") collide too easily to merge on fuzz alone.
    if min(len(title_a), len(title_b)) < 20:
        return False
    return fuzz.token_sort_ratio(title_a, title_b) >= FUZZY_TITLE_MIN


def best_match(
    title: str,
    year: int | None,
    first_author: str | None,
    candidates: Iterable[Candidate],
    where: str = "",
) -> int | None:
    """The id of the stored study this record duplicates, among blocked candidates."""
    key, akey = title_key(title), author_key(first_author)
    for cand in candidates:
        if same_work(
            key, year, akey, cand.title_key, cand.year, cand.author_key, where, cand.locus
        ):
            return cand.id
    return None


# --- preprint identifiers (linking a preprint to its journal version: kapwatch.store.versions)

_PREPRINT_DOI = re.compile(r"^10\.1101/(?:\d{4}\.\d{2}\.\d{2}\.)?\d+(?:v\d+)?$")


def is_preprint_doi(doi: str | None) -> bool:
    """A bioRxiv or medRxiv DOI (10.1101/2020.06.22.20137273, 10.1101/123456); Cold Spring
    Harbor's journals share the prefix (10.1101/gr.186072.114) and are not preprints."""
    return bool(doi) and bool(_PREPRINT_DOI.match(doi or ""))
