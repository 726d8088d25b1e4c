"""Storing what sources report: each record merged into the study it duplicates or stored as
a new one (a transaction per batch, the new studies in one multi-row INSERT), who saw it, and
news about studies already stored: editorial flags, and a preprint's journal version.

A notice (a retraction, an erratum, an expression of concern) is never stored as a study: it
only flags the article it is about. A preprint's journal version is stored as a study of its
own, flagged `published_version_of:<preprint DOI>`, but counts as already sent when the
preprint was: the digest lists the preprint once more, under its news, flagged
`now_published:<DOI>`, and never the journal version as new."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from kapwatch.collector import fewer_collections
from kapwatch.sources.records import Record
from kapwatch.store.database import Database, StoreError
from kapwatch.store.index import BatchIndex
from kapwatch.store.merge import NewStudy, _merge, _new_study
from kapwatch.store.models import DigestItem, Sighting, Study, StudyNews, now, table
from kapwatch.vocabulary import NEWS_FLAGS, Flag

BATCH = 500  # records per transaction when storing


@dataclass
class AddResult:
    new: int = 0
    merged: int = 0  # already stored (same PMID, DOI or title): a new sighting or nothing
    news: int = 0  # news about studies already stored (retraction, erratum, journal version)
    notices: int = 0  # editorial notices read: each flags its target, none is stored


class Ingest(Database):
    def add_records(self, window_id: int, records: Iterable[Record]) -> AddResult:
        """Store records, merging each into the study it duplicates; a transaction per batch.

        Each batch looks up everything it may match in a few queries (by PMID, DOI, title key,
        first author and year), then decides record by record in memory.
        """
        result = AddResult()
        batch: list[Record] = []
        with fewer_collections():
            for record in records:
                batch.append(record)
                if len(batch) == BATCH:
                    self._add_batch(window_id, batch, result)
                    batch = []
            if batch:
                self._add_batch(window_id, batch, result)
        return result

    def _add_batch(self, window_id: int, records: list[Record], result: AddResult) -> None:
        with self.session() as s:
            index = BatchIndex(s, records)
            created: list[NewStudy] = []
            for record in records:
                notice = record.notice
                if notice is not None:
                    result.notices += 1
                    result.news += self._notice(s, index, window_id, record, notice)
                    continue
                study, preprint = index.find(record)
                if study is None and preprint is None:
                    preprint = index.preprint_of(record)
                if study is None:
                    study = _new_study(record)
                    created.append(study)
                    index.add(study)
                    result.new += 1
                    if preprint is not None:
                        result.news += self._link_versions(s, window_id, preprint, study)
                else:
                    before = set(study.flags)
                    _merge(study, record)
                    index.add(study)  # it may have gained a PMID, a DOI or new keys
                    result.merged += 1
                    for flag in sorted(set(study.flags) - before):
                        if flag in NEWS_FLAGS:
                            result.news += self._news(s, study, window_id, flag)
                if isinstance(study, NewStudy):
                    study.sources.add(record.source)
                elif not any(x.source == record.source for x in study.sightings):
                    study.sightings.append(Sighting(source=record.source, window_id=window_id))
            self._insert(s, window_id, created)

    def _notice(
        self, s: Session, index: BatchIndex, window_id: int, record: Record, flag: Flag
    ) -> int:
        """Flag the articles a notice is about (by its CommentsCorrections PMIDs, or a feed
        notice by the title it quotes); the notice itself is not stored. Returns the news."""
        targets: list[Study | NewStudy] = [
            index.by_pmid[pmid] for pmid, _flag in record.notice_targets() if pmid in index.by_pmid
        ]
        if not targets and not record.pmid:
            quoted = Record(source=record.source, title=record.notice_title, authors=record.authors)
            found, _preprint = index.find(quoted)
            targets = [found] if found is not None else []
        news = 0
        for study in targets:
            if flag in study.flags:
                continue
            study.flags = sorted({*study.flags, flag})
            study.updated = now()
            news += self._news(s, study, window_id, flag)
        return news

    def _link_versions(
        self, s: Session, window_id: int, preprint: Study | NewStudy, journal: NewStudy
    ) -> int:
        """A new study found to be a stored preprint's journal version: each flagged with the
        other's DOI. A preprint already sent has news, and the journal version counts as sent
        with it; one not yet sent never will be (Assessments.take_new_studies): the journal
        version is listed as new in its place."""
        journal.flags = sorted({*journal.flags, Flag.PUBLISHED_VERSION_OF.of(preprint.doi)})
        preprint.flags = sorted({*preprint.flags, Flag.NOW_PUBLISHED.of(journal.doi)})
        preprint.updated = now()
        if not isinstance(preprint, Study) or s.get(DigestItem, preprint.id) is None:
            return 0
        journal.version_of = preprint
        return self._news(s, preprint, window_id, Flag.NOW_PUBLISHED, journal.doi)

    def _insert(self, s: Session, window_id: int, created: list[NewStudy]) -> None:
        """The batch's new studies in one multi-row INSERT, not the ORM's unit of work (most of
        a backfill's storing time went to that bookkeeping); then their sightings and news."""
        if not created:
            return
        s.flush()  # merges into stored studies first, as the ORM would order them
        rows = [study.columns() for study in created]
        if s.get_bind().dialect.name == "sqlite":
            ids = _insert_sqlite(s, rows)
        else:  # PostgreSQL returns the ids in the order given, from batched statements
            inserted = insert(table(Study)).returning(Study.id, sort_by_parameter_order=True)
            ids = list(s.scalars(inserted, rows))
        sightings: list[dict[str, Any]] = []
        news: list[dict[str, Any]] = []
        for study_id, study in zip(ids, created, strict=True):
            sightings += [
                {"study_id": study_id, "source": source, "window_id": window_id}
                for source in sorted(study.sources)
            ]
            news += [
                {"study_id": study_id, "window_id": window_id, "kind": kind, "detail": detail}
                for kind, detail in study.news.items()
            ]
        s.execute(insert(table(Sighting)), sightings)
        if news:
            s.execute(insert(table(StudyNews)), news)
        # A journal version of a preprint already sent counts as sent in the preprint's digest.
        versions = {
            i: study.version_of.id
            for i, study in zip(ids, created, strict=True)
            if study.version_of
        }
        if versions:
            query = select(DigestItem.study_id, DigestItem.window_id).where(
                DigestItem.study_id.in_(list(versions.values()))
            )
            sent = {study_id: window for study_id, window in s.execute(query).tuples()}
            items = [
                {"study_id": i, "window_id": sent[p]} for i, p in versions.items() if p in sent
            ]
            if items:
                s.execute(insert(table(DigestItem)), items)

    def stored_pmids(self, pmids: Iterable[str]) -> set[str]:
        """Which of these PMIDs are stored studies' (a chunk per query)."""
        wanted, found = sorted(set(pmids)), set()
        with self.session() as s:
            for start in range(0, len(wanted), 1000):
                chunk = wanted[start : start + 1000]
                found |= set(s.scalars(select(Study.pmid).where(Study.pmid.in_(chunk))))
        return {p for p in found if p}

    def refresh_flags(self, window_id: int, flags: dict[str, set[str]]) -> int:
        """New editorial flags (PMID -> retracted, erratum, expression_of_concern, updated) on
        stored studies: each becomes news in this window; a study not stored is none of ours."""
        news = 0
        with self.session() as s:
            studies = s.scalars(select(Study).where(Study.pmid.in_(list(flags)))).all()
            for study in studies:
                added = flags[study.pmid or ""] - set(study.flags)
                if not added:
                    continue
                study.flags = sorted(set(study.flags) | added)
                study.updated = now()
                for flag in sorted(added & set(NEWS_FLAGS)):
                    news += self._news(s, study, window_id, flag)
        return news

    def _news(
        self,
        s: Session,
        study: Study | NewStudy,
        window_id: int,
        kind: str,
        detail: str | None = "",
    ) -> int:
        kind = str(kind)
        if isinstance(study, NewStudy):  # created in this batch: said once it has an id
            if kind in study.news:
                return 0
            study.news[kind] = detail or ""
            return 1
        exists = s.scalars(
            select(StudyNews).where(StudyNews.study_id == study.id, StudyNews.kind == kind)
        ).first()
        if exists is not None:
            return 0
        s.add(StudyNews(study_id=study.id, window_id=window_id, kind=kind, detail=detail or ""))
        s.flush()
        return 1


def _insert_sqlite(s: Session, rows: list[dict[str, Any]]) -> list[int]:
    """Insert the rows and return their ids, in order. SQLite cannot promise the order of a
    multi-row RETURNING, and SQLAlchemy then inserts row by row; but inside one write
    transaction SQLite gives each new row the largest id plus one, so the batch's ids are the
    last len(rows) ones. Checked against the title keys before anything else uses them."""
    s.execute(insert(table(Study)), rows)  # core: one executemany, None kept as NULL
    last = s.scalar(select(func.max(Study.id))) or 0
    first = last - len(rows) + 1
    stored = s.execute(select(Study.title_key).where(Study.id >= first).order_by(Study.id))
    if [key for (key,) in stored] != [row["title_key"] for row in rows]:
        raise StoreError("the new studies' ids could not be read back; nothing was stored")
    return list(range(first, last + 1))
