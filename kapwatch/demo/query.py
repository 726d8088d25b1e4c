"""The part of PubMed's query syntax the stand-in understands: field-tagged words ([ti], [au],
[1au], [dp], [doi], [pmid], [pt], [mh], [tiab] phrases with a trailing *) joined by AND, each
clause possibly an OR group, and ECitMatch's journal, year, volume, page and first author."""

from __future__ import annotations

import re

from kapwatch.sources.records import Record
from kapwatch.store.dedupe import fold, normalize_doi

_CLAUSE = re.compile(r"^(?P<value>.+?)\[(?P<field>\w+)\]$")


def _words(text: str) -> set[str]:
    return set(re.findall(r"[a-z0-9]+", fold(text)))


def _surnames(record: Record) -> list[str]:
    return [fold(a.rsplit(" ", 1)[0] if " " in a else a) for a in record.authors]


def score(record: Record, clauses: list[str]) -> int:
    """How many options of the AND-ed OR groups the record matches; 0 when a group fails."""
    score = 0
    for clause in clauses:
        options = [o.strip().strip("()").strip() for o in clause.split(" OR ")]
        matched = sum(_matches(record, option) for option in options)
        if not matched:
            return 0
        score += matched
    return score


def _phrase(value: str, text: str) -> bool:
    """PubMed's [tiab] phrase: the words in a row, a trailing * matching any ending."""
    words = fold(value.rstrip("*")).split()
    if not words:
        return False
    pattern = r"\b" + r"\s+".join(re.escape(w) for w in words)
    pattern += r"[a-z0-9]*\b" if value.endswith("*") else r"\b"
    return re.search(pattern, fold(text)) is not None


def _matches(record: Record, clause: str) -> bool:
    match = _CLAUSE.match(clause)
    value, tag = (match["value"], match["field"].lower()) if match else (clause, "")
    value = value.strip().strip('"')
    if tag == "tiab":
        return _phrase(value, f"{record.title} {record.abstract}")
    if tag == "pt":
        return value.lower() in {t.lower() for t in record.pub_types}
    if tag == "mh":
        return value.lower() in {m.lower() for m in record.mesh}
    if tag == "ti":
        return _words(value) <= _words(record.title)
    if tag in ("au", "1au"):
        names = _surnames(record)[:1] if tag == "1au" else _surnames(record)
        return any(n.startswith(fold(value)) for n in names)
    if tag == "dp":
        first, _, last = value.partition(":")
        return record.year is not None and int(first) <= record.year <= int(last or first)
    if tag in ("doi", "aid"):
        return (record.doi or "") == normalize_doi(value)
    if tag in ("pmid", "uid"):
        return record.pmid == value
    return _words(value) <= _words(f"{record.title} {record.abstract}")


def cites(record: Record, journal: str, year: str, volume: str, page: str, author: str) -> bool:
    names = {fold(record.journal), fold(record.journal_abbrev)}
    first_page = re.split(r"[-–]", record.pages)[0] if record.pages else ""
    return (
        fold(journal) in names
        and str(record.year) == year
        and record.volume == volume
        and first_page == page
        and any(n.startswith(fold(author).split()[0]) for n in _surnames(record)[:1])
    )
