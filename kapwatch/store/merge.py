"""How a source's record becomes a study's columns, and how a later record of the same work
merges into the study: each record-filled column is named once, in FILLED, with its rule.

A record of higher precedence (Record.precedence: PubMed's full record over a feed item)
replaces the columns it fills; any other record only fills what the study lacks. Whenever
the title or the authors change, the blocking keys deduplication looks studies up by change
with them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum
from operator import attrgetter
from typing import Any

from kapwatch.sources.records import Record
from kapwatch.store import dedupe
from kapwatch.store.models import Study, now


class Rule(Enum):
    KEEP = "keep"  # the first value stays: a later record only fills a gap
    PREFER = "prefer"  # a record of higher precedence replaces it; others only fill a gap
    EDITORIAL = "editorial"  # flags and the preprint mark: see _merge_editorial


@dataclass(frozen=True)
class Filled:
    """A column a record fills: its name (on Study and in the row), how to read it from a
    record, and how a later record merges into it."""

    name: str
    rule: Rule
    read: Callable[[Record], Any]


def _listed(name: str) -> Callable[[Record], Any]:
    return lambda record: list(getattr(record, name))


def _filled(name: str, rule: Rule, read: Callable[[Record], Any] | None = None) -> Filled:
    return Filled(name, rule, read or attrgetter(name))


KEEP, PREFER, EDITORIAL = Rule.KEEP, Rule.PREFER, Rule.EDITORIAL
FILLED: tuple[Filled, ...] = (
    _filled("pmid", KEEP),
    _filled("doi", KEEP, lambda r: dedupe.normalize_doi(r.doi)),
    _filled("pmcid", KEEP),
    _filled("title", PREFER),
    _filled("year", KEEP),
    _filled("authors", PREFER, _listed("authors")),
    _filled("journal", PREFER),
    _filled("volume", PREFER),
    _filled("issue", PREFER),
    _filled("pages", PREFER),
    _filled("published", KEEP),
    _filled("abstract", PREFER),
    _filled("sections", PREFER, lambda r: [list(x) for x in r.sections]),
    _filled("pub_types", PREFER, _listed("pub_types")),
    _filled("mesh", PREFER, _listed("mesh")),
    _filled("keywords", PREFER, _listed("keywords")),
    _filled("url", PREFER),
    _filled("flags", EDITORIAL, _listed("flags")),
    _filled("is_preprint", EDITORIAL),
)
# Derived from the filled columns, for deduplication's lookups.
BLOCKING_KEYS = ("title_key", "title_head", "author_key", "locus")


def _name_keys(title: str, authors: list[str]) -> dict[str, str]:
    """The blocking keys of a title and an author list."""
    key = dedupe.title_key(title)
    return {
        "title_key": key[:500],
        "title_head": dedupe.title_head(key),
        "author_key": dedupe.author_key(authors[0] if authors else None)[:100],
    }


class NewStudy:
    """A study first stored in this batch: its row (FILLED, the blocking keys and `updated`)
    until the batch's one INSERT. Later records of the batch merge into it as they would into
    a stored study: its columns are read and written as attributes, like a Study's."""

    __slots__ = ("news", "row", "sources", "version_of")
    row: dict[str, Any]
    sources: set[str]  # -> sightings
    news: dict[str, str]  # kind -> detail, -> study_news
    version_of: Study | None  # the stored preprint this is the journal version of

    def __init__(self, row: dict[str, Any]) -> None:
        object.__setattr__(self, "row", row)
        object.__setattr__(self, "sources", set())
        object.__setattr__(self, "news", {})
        object.__setattr__(self, "version_of", None)

    def __getattr__(self, name: str) -> Any:  # only for what is not a slot: the columns
        try:
            return self.row[name]
        except KeyError:
            raise AttributeError(name) from None

    def __setattr__(self, name: str, value: Any) -> None:
        if name == "version_of":
            object.__setattr__(self, name, value)
            return
        if name not in self.row:
            raise AttributeError(f"a new study has no column {name!r}")
        self.row[name] = value

    def columns(self) -> dict[str, Any]:
        """The row as the INSERT writes it."""
        return {**self.row, "first_seen": self.row["updated"]}


def _new_study(record: Record) -> NewStudy:
    row = {column.name: column.read(record) for column in FILLED}
    row.update(_name_keys(row["title"], row["authors"]))
    row["locus"] = dedupe.locus(record.year, record.volume, record.pages)
    row["updated"] = now()
    return NewStudy(row)


def _merge(study: Study | NewStudy, record: Record) -> None:
    """Fill what the stored study lacks; a record of higher precedence replaces what it has."""
    replaces = record.precedence > 0  # above a plain feed item's default
    named = (study.title, list(study.authors))
    for column in FILLED:
        if column.rule is EDITORIAL:
            continue
        value = column.read(record)
        if value and (not getattr(study, column.name) or (replaces and column.rule is PREFER)):
            setattr(study, column.name, value)
    _merge_editorial(study, record, replaces)
    if (study.title, list(study.authors)) != named:
        for name, key in _name_keys(study.title, study.authors).items():
            setattr(study, name, key)
    study.locus = study.locus or dedupe.locus(study.year, study.volume, study.pages)
    study.updated = now()


def _merge_editorial(study: Study | NewStudy, record: Record, replaces: bool) -> None:
    """Flags add up; a record that replaces (a journal's record) is no preprint, unless it
    is PubMed's record of the preprint itself."""
    flags = set(study.flags) | set(record.flags)
    if replaces and not record.is_preprint:
        study.is_preprint = False
        flags.discard("preprint")
    study.flags = sorted(flags)
