"""How a source's record becomes a new study's columns, and how a later record of the same
work merges into a study."""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from datetime import date, datetime
from typing import Any

from kapwatch.sources.records import Record
from kapwatch.store import dedupe
from kapwatch.store.models import Study, now


@dataclass(eq=False)
class NewStudy:
    """A study first stored in this batch: its columns until the batch's one INSERT, where
    later records of the batch merge as they would into a stored study."""

    pmid: str | None
    doi: str | None
    pmcid: str | None
    title: str
    title_key: str
    title_head: str
    locus: str
    year: int | None
    author_key: str
    authors: list[str]
    journal: str
    volume: str
    issue: str
    pages: str
    published: date | None
    abstract: str
    sections: list[Any]
    pub_types: list[str]
    mesh: list[str]
    keywords: list[str]
    url: str | None
    flags: list[str]
    is_preprint: bool
    updated: datetime = field(default_factory=now)
    sources: set[str] = field(default_factory=set)  # -> sightings
    news: dict[str, str] = field(default_factory=dict)  # kind -> detail, -> study_news

    def columns(self) -> dict[str, Any]:
        row = {f.name: getattr(self, f.name) for f in fields(self)}
        del row["sources"], row["news"]
        row["first_seen"] = row["updated"]
        return row


def _new_study(record: Record) -> NewStudy:
    key = dedupe.title_key(record.title)
    return NewStudy(
        pmid=record.pmid,
        doi=dedupe.normalize_doi(record.doi),
        pmcid=record.pmcid,
        title=record.title,
        title_key=key[:500],
        title_head=dedupe.title_head(key),
        locus=dedupe.locus(record.year, record.volume, record.pages),
        year=record.year,
        author_key=dedupe.author_key(record.first_author)[:100],
        authors=list(record.authors),
        journal=record.journal,
        volume=record.volume,
        issue=record.issue,
        pages=record.pages,
        published=record.published,
        abstract=record.abstract,
        sections=[list(x) for x in record.sections],
        pub_types=list(record.pub_types),
        mesh=list(record.mesh),
        keywords=list(record.keywords),
        url=record.url,
        flags=list(record.flags),
        is_preprint=record.is_preprint,
    )


def _merge(study: Study | NewStudy, record: Record) -> None:
    """Fill what the stored study lacks; PubMed's fuller record wins over a feed's."""
    fuller = record.source == "pubmed"
    study.pmid = study.pmid or record.pmid
    study.doi = study.doi or dedupe.normalize_doi(record.doi)
    study.pmcid = study.pmcid or record.pmcid
    for name in ("title", "journal", "volume", "issue", "pages", "abstract", "url"):
        value = getattr(record, name)
        if value and (fuller or not getattr(study, name)):
            setattr(study, name, value)
    for name in ("authors", "pub_types", "mesh", "keywords"):
        value = list(getattr(record, name))
        if value and (fuller or not getattr(study, name)):
            setattr(study, name, value)
    if record.sections and (fuller or not study.sections):
        study.sections = [list(x) for x in record.sections]
    study.year = study.year or record.year
    study.published = study.published or record.published
    if fuller:
        study.is_preprint = False
    flags = set(study.flags) | set(record.flags)
    if fuller:
        flags.discard("preprint")
    study.flags = sorted(flags)
    study.locus = study.locus or dedupe.locus(study.year, study.volume, study.pages)
    study.updated = now()
