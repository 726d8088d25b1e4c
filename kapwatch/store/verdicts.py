"""Readers' verdicts: what a person said of a (study, claim) pair, and the links as they stand
once verdicts override the engine (the digest, the ledger and the review page all read these).

A verdict's stance replaces the engine's for its pair; "none" removes the pair's link; a verdict
with no engine link behind it adds one. A link with no verdict is *suggested*; with one, it is
*confirmed* (reviewed).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import Select, func, or_, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from kapwatch.store.database import Database
from kapwatch.store.models import ClaimLink, DigestItem, Study, Verdict, Window, now
from kapwatch.vocabulary import STANCE_ORDER, VERDICTS, NotRelated


class VerdictError(ValueError):
    """A verdict kapwatch cannot record; the message says which part is wrong."""


@dataclass(frozen=True)
class Link:
    """A (study, claim) link as it stands: the engine's suggestion, or a reader's verdict."""

    study_id: int
    claim_id: str
    stance: str
    evidence: str
    confidence: float | None
    engine_stance: str | None  # None: a reader added the link
    reviewed_by: str | None = None
    reviewed_at: datetime | None = None
    note: str = ""

    @property
    def reviewed(self) -> bool:
        return self.reviewed_by is not None


@dataclass(frozen=True)
class QueueStudy:
    """A study on the review page: what a reader needs to judge its suggested links."""

    id: int
    pmid: str | None
    doi: str | None
    title: str
    journal: str
    published: date | None
    design: str
    n: int | None
    url: str | None
    window: str
    links: list[Link]


def normal_doi(value: str) -> str:
    value = value.strip()
    for prefix in ("https://doi.org/", "http://doi.org/", "https://dx.doi.org/", "doi:"):
        if value.lower().startswith(prefix):
            value = value[len(prefix) :]
    return value.lower()


def merge_verdicts(
    engine: Iterable[tuple[int, str, str, str, float | None]], verdicts: Iterable[Verdict]
) -> list[Link]:
    """The links as they stand: the engine's (study, claim, stance, evidence, confidence), each
    overridden by the reader's verdict on its pair when there is one."""
    links: dict[tuple[int, str], Link] = {
        (s, c): Link(s, c, stance, evidence, confidence, engine_stance=stance)
        for s, c, stance, evidence, confidence in engine
    }
    for v in verdicts:
        key = (v.study_id, v.claim_id)
        base = links.pop(key, None)
        if v.stance == NotRelated.NONE:
            continue
        links[key] = Link(
            v.study_id,
            v.claim_id,
            v.stance,
            base.evidence if base and base.evidence else v.note,
            base.confidence if base else None,
            engine_stance=base.engine_stance if base else None,
            reviewed_by=v.reviewer,
            reviewed_at=v.reviewed_at,
            note=v.note,
        )
    return list(links.values())


def standing_links(
    s: Session, study_ids: list[int] | None = None, claim_ids: list[str] | None = None
) -> list[Link]:
    """The links as they stand for these studies (or claims; everything when neither)."""
    columns = (
        ClaimLink.study_id,
        ClaimLink.claim_id,
        ClaimLink.stance,
        ClaimLink.evidence,
        ClaimLink.confidence,
    )
    engine = select(*columns)
    reader = select(Verdict)
    if study_ids is not None:
        engine = engine.where(ClaimLink.study_id.in_(study_ids))
        reader = reader.where(Verdict.study_id.in_(study_ids))
    if claim_ids is not None:
        engine = engine.where(ClaimLink.claim_id.in_(claim_ids))
        reader = reader.where(Verdict.claim_id.in_(claim_ids))
    rows = s.connection().execute(engine).tuples().all()  # plain rows: no ORM loading
    return merge_verdicts(rows, s.scalars(reader))


class Verdicts(Database):
    def find_study(self, ref: str) -> int | None:
        """A study's id from its PMID or DOI (with or without a doi.org prefix)."""
        ref = ref.strip()
        where: ColumnElement[bool] = (
            Study.pmid == ref if ref.isdigit() else func.lower(Study.doi) == normal_doi(ref)
        )
        with self.session() as s:
            return s.scalar(select(Study.id).where(where))

    def save_verdict(
        self, study_id: int, claim_id: str, stance: str, reviewer: str, note: str = ""
    ) -> None:
        """Record (or replace) a reader's verdict on a pair; saved at once."""
        if stance not in VERDICTS:
            raise VerdictError(f"stance: expected one of {', '.join(VERDICTS)}, got {stance!r}")
        row = {
            "study_id": study_id,
            "claim_id": claim_id,
            "stance": stance,
            "reviewer": reviewer,
            "reviewed_at": now(),
            "note": note,
        }
        insert = pg_insert if self.engine.dialect.name == "postgresql" else sqlite_insert
        statement = insert(Verdict).values(row)
        statement = statement.on_conflict_do_update(
            index_elements=["study_id", "claim_id"],
            set_={k: statement.excluded[k] for k in ("stance", "reviewer", "reviewed_at", "note")},
        )
        with self.session() as s:
            if s.get(Study, study_id) is None:
                raise VerdictError(f"no study with id {study_id} in the store")
            s.execute(statement)

    def engine_claims(self, study_id: int) -> list[str]:
        """The claims the engine linked this study to."""
        with self.session() as s:
            query = select(ClaimLink.claim_id).where(ClaimLink.study_id == study_id)
            return list(s.scalars(query))

    def all_verdicts(self) -> list[dict[str, Any]]:
        """Every verdict with what tests/eval records of its study, by study and claim."""
        columns = (
            Study.pmid,
            Study.doi,
            Study.title,
            Study.journal,
            Study.year,
            Study.authors,
            Study.pub_types,
            Study.mesh,
            Study.keywords,
            Study.abstract,
            Study.sections,
            Study.url,
            Study.design,
            Study.n,
            Study.relevant,
        )
        with self.session() as s:
            rows = s.execute(
                select(Verdict, *columns)
                .join(Study, Study.id == Verdict.study_id)
                .order_by(Verdict.study_id, Verdict.claim_id)
            ).all()
        out = []
        for row in rows:
            v = row[0]
            study = row._asdict()
            out.append(
                {
                    **{k: study[k] for k in ("pmid", "doi", "title", "journal", "year")},
                    "first_author": (study["authors"] or [""])[0],
                    **{k: study[k] for k in ("pub_types", "mesh", "keywords")},
                    "abstract": "" if study["sections"] else study["abstract"],
                    "sections": [list(x) for x in study["sections"] or []],
                    "source": study["url"],
                    **{k: study[k] for k in ("design", "n", "relevant")},
                    "claim_id": v.claim_id,
                    "stance": v.stance,
                    "reviewer": v.reviewer,
                    "reviewed_at": v.reviewed_at,
                    "note": v.note,
                }
            )
        return out

    def pending_reviews(self) -> int:
        """How many of the engine's links to announced studies no reader has judged yet."""
        with self.session() as s:
            judged = select(Verdict.id).where(
                Verdict.study_id == ClaimLink.study_id, Verdict.claim_id == ClaimLink.claim_id
            )
            return (
                s.scalar(
                    select(func.count())
                    .select_from(ClaimLink)
                    .join(DigestItem, DigestItem.study_id == ClaimLink.study_id)
                    .where(~judged.exists())
                )
                or 0
            )

    def review_queue(self, study_ids: list[int] | None = None) -> list[QueueStudy]:
        """Studies with links no reader has judged, newest window first, then newest study;
        each with its unjudged links (strongest first). With study_ids: those studies, judged
        links included (the page shows a study again right after a verdict)."""
        with self.session() as s:
            query = _listed_in_windows().where(
                Study.id.in_(_unjudged() if study_ids is None else study_ids)
            )
            rows = s.execute(
                query.order_by(
                    DigestItem.window_id.desc(), Study.first_seen.desc(), Study.id.desc()
                )
            ).all()
            ids = [row.id for row in rows]
            by_study: dict[int, list[Link]] = {}
            for link in standing_links(s, study_ids=ids):
                if study_ids is not None or not link.reviewed:
                    by_study.setdefault(link.study_id, []).append(link)
        order = {str(stance): i for i, stance in enumerate(STANCE_ORDER)}
        return [
            _queue_study(
                row,
                sorted(
                    by_study.get(row.id, []),
                    key=lambda x: (-(x.confidence or 0), order.get(x.stance, 9), x.claim_id),
                ),
            )
            for row in rows
        ]

    def claim_studies(self, claim_id: str) -> list[tuple[str, QueueStudy]]:
        """A claim's standing links with their studies and windows, oldest window first:
        (window label, the study with this claim's link only)."""
        with self.session() as s:
            links = {link.study_id: link for link in standing_links(s, claim_ids=[claim_id])}
            rows = s.execute(
                _listed_in_windows()
                .where(
                    Study.id.in_(list(links)),
                    or_(Study.relevant.is_(True), Study.id.in_(_reviewed_ids(links.values()))),
                )
                .order_by(DigestItem.window_id, Study.id)
            ).all()
        return [(row.label, _queue_study(row, [links[row.id]])) for row in rows]


def _reviewed_ids(links: Iterable[Link]) -> list[int]:
    return [link.study_id for link in links if link.reviewed]


def _unjudged() -> Select[tuple[int]]:
    """The studies with a link no reader has judged."""
    judged = (Verdict.study_id == ClaimLink.study_id) & (Verdict.claim_id == ClaimLink.claim_id)
    return select(ClaimLink.study_id).outerjoin(Verdict, judged).where(Verdict.id.is_(None))


def _listed_in_windows() -> Select[Any]:
    """What the review page shows of a study, with the window whose digest announced it."""
    columns = (Study.id, Study.pmid, Study.doi, Study.title, Study.journal, Study.published)
    return (
        select(*columns, Study.design, Study.n, Study.url, Window.label)
        .join(DigestItem, DigestItem.study_id == Study.id)
        .join(Window, Window.id == DigestItem.window_id)
    )


def _queue_study(row: Any, links: list[Link]) -> QueueStudy:
    fields = {k: v for k, v in row._asdict().items() if k != "label"}
    return QueueStudy(**fields, window=row.label, links=links)
