"""The deduplication index of one batch of records: everything the batch may match, looked up
in a few queries (by PMID, DOI, title key and head, where printed, first author and year), then
searched record by record in memory (kapwatch.store.dedupe decides what is a match)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, or_, select
from sqlalchemy.orm import Session, selectinload

from kapwatch.sources.records import Record
from kapwatch.store import dedupe, versions
from kapwatch.store.merge import NewStudy
from kapwatch.store.models import Study

PREPRINT_YEARS = 3  # a journal version appears within this many years of its preprint


class BatchIndex:
    """What one batch of records may match, looked up in a few queries and kept in memory.

    Studies created earlier in the batch join the index too, so duplicates within a batch
    merge like duplicates across weeks.
    """

    def __init__(self, s: Session, records: list[Record]) -> None:
        self.s = s
        self.by_pmid: dict[str, Study | NewStudy] = {}
        self.by_doi: dict[str, Study | NewStudy] = {}
        self.by_title: dict[str, list[Study | NewStudy | int]] = {}
        self.by_author: dict[str, list[Study | NewStudy | int]] = {}
        self.by_head: dict[str, list[Study | NewStudy | int]] = {}
        self.by_locus: dict[str, list[Study | NewStudy | int]] = {}
        self.rows: dict[int, Any] = {}  # id -> the columns the fuzzy step reads
        self.candidates: dict[int, dedupe.Candidate] = {}
        self._load_by_identifier(s, records)
        titles = {k for k in (dedupe.title_key(r.title) for r in records) if k}
        titles |= {dedupe.title_key(r.notice_title) for r in records if r.notice is not None}
        authors = {a for a in (dedupe.author_key(r.first_author) for r in records) if a}
        heads = {h for h in (dedupe.title_head(k) for k in titles) if h}
        loci = {x for x in (dedupe.locus(r.year, r.volume, r.pages) for r in records) if x}
        years = [r.year for r in records if r.year]
        block: list[ColumnElement[bool]] = [Study.title_key.in_(titles)]
        if heads:
            block.append(Study.title_head.in_(heads))
        if loci:
            block.append(Study.locus.in_(loci))
        if authors and years:
            block.append(
                Study.author_key.in_(authors) & Study.year.between(min(years) - 1, max(years) + 1)
            )
        # Only the columns the fuzzy step needs: a block can hold many studies.
        columns = (
            Study.id,
            Study.title_key,
            Study.year,
            Study.author_key,
            Study.title_head,
            Study.locus,
            Study.pmid,
            Study.doi,
        )
        where = or_(*block)
        if all(r.pmid for r in records):
            # A record with a PMID only ever merges by title with a study that has none (two
            # PMIDs are two works): for a PubMed batch the fuzzy blocks hold feed-only studies.
            where = where & Study.pmid.is_(None)
        self.preprints = self._preprints(s, records)
        for row in s.execute(select(*columns).where(where)).all():
            self.rows[row.id] = row
            self.by_title.setdefault(row.title_key, []).append(row.id)
            if row.author_key:
                self.by_author.setdefault(row.author_key, []).append(row.id)
            if row.title_head:
                self.by_head.setdefault(row.title_head, []).append(row.id)
            if row.locus:
                self.by_locus.setdefault(row.locus, []).append(row.id)

    def _load_by_identifier(self, s: Session, records: list[Record]) -> None:
        """The stored studies a batch names by PMID or DOI: its own, and the other versions and
        notice targets its records point to."""
        pmids = {r.pmid for r in records if r.pmid}
        dois = {d for d in (dedupe.normalize_doi(r.doi) for r in records) if d}
        for record in records:  # what a record names (another version, a notice's target)
            named_dois, named_pmids = record.other_versions()
            dois |= {d for d in map(dedupe.normalize_doi, named_dois) if d}
            pmids |= named_pmids | {pmid for pmid, _flag in record.notice_targets()}
        if pmids or dois:
            query = select(Study).options(selectinload(Study.sightings))
            query = query.where(or_(Study.pmid.in_(pmids), Study.doi.in_(dois)))
            for study in s.scalars(query).all():
                self._register_ids(study)

    @staticmethod
    def _preprints(s: Session, records: list[Record]) -> list[Any]:
        """The stored preprints a journal record of this batch may be the journal version of:
        those of the batch's years (and PREPRINT_YEARS before) not yet linked to one."""
        years = [r.year for r in records if r.year and not r.is_preprint]
        if not years:
            return []
        columns = (
            Study.id,
            Study.doi,
            Study.title,
            Study.authors,
            Study.published,
            Study.year,
            Study.is_preprint,
        )
        is_preprint = or_(Study.is_preprint.is_(True), Study.doi.like("10.1101/%"))
        query = select(*columns).where(
            is_preprint, Study.year.between(min(years) - PREPRINT_YEARS, max(years))
        )
        return [
            row
            for row in s.execute(query).all()
            if row.is_preprint or dedupe.is_preprint_doi(row.doi)
        ]

    def _register_ids(self, study: Study | NewStudy) -> None:
        if study.pmid:
            self.by_pmid[study.pmid] = study
        if study.doi:
            self.by_doi[study.doi] = study

    def add(self, study: Study | NewStudy) -> None:
        """A study created (or given new identifiers) in this batch."""
        self._register_ids(study)
        title = self.by_title.setdefault(study.title_key, [])
        if study not in title:
            title.append(study)
        for index, key in (
            (self.by_author, study.author_key),
            (self.by_head, study.title_head),
            (self.by_locus, study.locus),
        ):
            if key:
                items = index.setdefault(key, [])
                if study not in items:
                    items.append(study)

    def _candidate(self, item: Study | NewStudy | int) -> dedupe.Candidate:
        key = item if isinstance(item, int) else -id(item)
        candidate = self.candidates.get(key)
        if candidate is None:  # built once per batch: a popular block is met many times
            if isinstance(item, int):
                row = self.rows[item]
                candidate = dedupe.Candidate(
                    row.id, row.title_key, row.year, row.author_key, row.locus
                )
            else:
                candidate = dedupe.Candidate(
                    key, item.title_key, item.year, item.author_key, item.locus
                )
            self.candidates[key] = candidate
        return candidate

    def _pmid(self, item: Study | NewStudy | int) -> str | None:
        return self.rows[item].pmid if isinstance(item, int) else item.pmid

    def _study(self, item: Study | NewStudy | int) -> Study | NewStudy:
        return self.s.get_one(Study, item) if isinstance(item, int) else item

    def find(self, record: Record) -> tuple[Study | NewStudy | None, Study | NewStudy | None]:
        """(the stored study this record is, or None; a preprint it is the journal version of)."""
        doi = dedupe.normalize_doi(record.doi)
        if record.pmid and record.pmid in self.by_pmid:
            return self.by_pmid[record.pmid], None
        if doi and doi in self.by_doi:
            return self.by_doi[doi], None
        key = dedupe.title_key(record.title)
        if not key:
            return None, None
        akey = dedupe.author_key(record.first_author)
        where = dedupe.locus(record.year, record.volume, record.pages)
        # Block: same title key or title head, same place in print, or same first author
        # within a year; fuzzy only inside it.
        blocked = [
            *self.by_title.get(key, []),
            *self.by_head.get(dedupe.title_head(key), []),
            *self.by_locus.get(where, []),
            *self.by_author.get(akey, []),
        ]
        items: dict[int, Study | NewStudy | int] = {}
        for item in blocked:
            if record.pmid and self._pmid(item) not in (None, record.pmid):
                continue  # two PMIDs are two works, however alike the titles
            candidate = self._candidate(item)
            if candidate.title_key != key and not (
                record.year and candidate.year and abs(candidate.year - record.year) <= 1
            ):
                continue  # an author-block neighbour from another year
            items[candidate.id] = item
        match = dedupe.best_match(
            record.title,
            record.year,
            record.first_author,
            (self._candidate(item) for item in items.values()),
            where,
        )
        if match is None:
            return None, None
        study = self._study(items[match])
        # Two different identifiers of the same kind mean two works, however alike the titles;
        # a preprint and its journal version are the one case worth telling the reader about.
        if record.pmid and study.pmid and record.pmid != study.pmid:
            return None, None
        if doi and study.doi and doi != study.doi:
            preprint = study.is_preprint or dedupe.is_preprint_doi(study.doi)
            is_journal = not record.is_preprint and not dedupe.is_preprint_doi(doi)
            return None, (study if preprint and is_journal else None)
        return study, None

    def preprint_of(self, record: Record) -> Study | NewStudy | None:
        """The stored preprint this journal record is the journal version of: named by a
        relation (Crossref's has-preprint, PubMed's UpdateOf, a medRxiv/bioRxiv DOI), else
        by shared authors and a similar title (versions.is_journal_version)."""
        if record.is_preprint or dedupe.is_preprint_doi(dedupe.normalize_doi(record.doi)):
            return None
        dois, pmids = record.other_versions()
        for doi in sorted(d for d in map(dedupe.normalize_doi, dois) if d):
            if doi in self.by_doi and _is_preprint(self.by_doi[doi]):
                return self.by_doi[doi]
        for pmid in sorted(pmids):
            if pmid in self.by_pmid and _is_preprint(self.by_pmid[pmid]):
                return self.by_pmid[pmid]
        journal = versions.Version(
            record.title, tuple(record.authors), record.published, record.year, record.doi
        )
        for row in self.preprints:
            if row.doi == dedupe.normalize_doi(record.doi):
                continue
            preprint = versions.Version(
                row.title, tuple(row.authors or ()), row.published, row.year, row.doi
            )
            if versions.is_journal_version(preprint, journal):
                study = self.s.get_one(Study, row.id)
                if not any(f.startswith("now_published:") for f in study.flags):
                    return study
        return None


def _is_preprint(study: Study | NewStudy) -> bool:
    return bool(study.is_preprint) or dedupe.is_preprint_doi(study.doi)
