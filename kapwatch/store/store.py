"""The SQLAlchemy store: studies, who saw them, which digest sent them, and each window's fate.

What was *seen* (sightings: a source reported a study in a window) is kept apart from what
was *sent* (digest_items: the one window whose digest announced the study as new), so a
study appears as new in exactly one digest however often sources repeat it.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, fields
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any, ClassVar, NamedTuple

from sqlalchemy import (
    JSON,
    Boolean,
    ColumnElement,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
    create_engine,
    delete,
    event,
    func,
    insert,
    literal,
    or_,
    select,
    update,
)
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import ArgumentError, IntegrityError, NoSuchModuleError, OperationalError
from sqlalchemy.orm import (
    DeclarativeBase,
    Mapped,
    Session,
    mapped_column,
    relationship,
    selectinload,
)

from kapwatch.evidence import Assessment
from kapwatch.sources.records import Record
from kapwatch.store import dedupe


def _now() -> datetime:
    return datetime.now(UTC)


class Base(DeclarativeBase):
    type_annotation_map: ClassVar[dict[Any, Any]] = {
        dict[str, Any]: JSON,
        list[str]: JSON,
        list[Any]: JSON,
    }


class Study(Base):
    __tablename__ = "studies"

    id: Mapped[int] = mapped_column(primary_key=True)
    pmid: Mapped[str | None] = mapped_column(String(20), unique=True)
    doi: Mapped[str | None] = mapped_column(String(300), unique=True)
    pmcid: Mapped[str | None] = mapped_column(String(20))
    title: Mapped[str] = mapped_column(Text)
    title_key: Mapped[str] = mapped_column(String(500), index=True)
    year: Mapped[int | None] = mapped_column(Integer, index=True)
    author_key: Mapped[str] = mapped_column(String(100), default="", index=True)
    # Blocking keys for the fuzzy step: the title's first 40 characters (a title with words
    # added), and where the work is printed (year|volume|first page).
    title_head: Mapped[str] = mapped_column(String(60), default="", index=True)
    locus: Mapped[str] = mapped_column(String(60), default="", index=True)
    authors: Mapped[list[str]] = mapped_column(default=list)
    journal: Mapped[str] = mapped_column(String(500), default="")
    volume: Mapped[str] = mapped_column(String(50), default="")
    issue: Mapped[str] = mapped_column(String(50), default="")
    pages: Mapped[str] = mapped_column(String(50), default="")
    published: Mapped[date | None] = mapped_column(Date)
    abstract: Mapped[str] = mapped_column(Text, default="")
    sections: Mapped[list[Any]] = mapped_column(default=list)
    pub_types: Mapped[list[str]] = mapped_column(default=list)
    mesh: Mapped[list[str]] = mapped_column(default=list)
    keywords: Mapped[list[str]] = mapped_column(default=list)
    url: Mapped[str | None] = mapped_column(String(1000))
    flags: Mapped[list[str]] = mapped_column(default=list)
    is_preprint: Mapped[bool] = mapped_column(Boolean, default=False)
    first_seen: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=_now)
    updated: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=_now)
    # What the evidence engine concluded (re-computed when the study changes).
    relevant: Mapped[bool | None] = mapped_column(Boolean)
    score: Mapped[float | None] = mapped_column(Float)
    reason: Mapped[str] = mapped_column(Text, default="")
    design: Mapped[str] = mapped_column(String(50), default="")
    n: Mapped[int | None] = mapped_column(Integer)

    # Loaded on demand; queries that hand studies to the digest load them eagerly (_FULL).
    sightings: Mapped[list[Sighting]] = relationship(back_populates="study")
    links: Mapped[list[ClaimLink]] = relationship(
        back_populates="study", cascade="all, delete-orphan"
    )

    @property
    def sources(self) -> list[str]:
        return sorted({s.source for s in self.sightings})


class Sighting(Base):
    """A source reported this study (once per source; the window is the first one)."""

    __tablename__ = "sightings"
    __table_args__ = (UniqueConstraint("study_id", "source"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    study_id: Mapped[int] = mapped_column(ForeignKey("studies.id", ondelete="CASCADE"), index=True)
    source: Mapped[str] = mapped_column(String(100))
    window_id: Mapped[int] = mapped_column(ForeignKey("windows.id"), index=True)
    seen_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=_now)

    study: Mapped[Study] = relationship(back_populates="sightings")


class ClaimLink(Base):
    __tablename__ = "claim_links"
    __table_args__ = (UniqueConstraint("study_id", "claim_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    study_id: Mapped[int] = mapped_column(ForeignKey("studies.id", ondelete="CASCADE"), index=True)
    claim_id: Mapped[str] = mapped_column(String(100), index=True)
    stance: Mapped[str] = mapped_column(String(20))
    evidence: Mapped[str] = mapped_column(Text, default="")

    study: Mapped[Study] = relationship(back_populates="links")


class Window(Base):
    """One run's date window and what became of its digest."""

    __tablename__ = "windows"

    id: Mapped[int] = mapped_column(primary_key=True)
    label: Mapped[str] = mapped_column(String(30), unique=True)
    since: Mapped[date] = mapped_column(Date)
    until: Mapped[date] = mapped_column(Date)
    started: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=_now)
    rendered: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # pending (not yet delivered), sending (a send began), sent (SMTP), outbox (.eml written),
    # failed (retried next run), skipped (--no-send), unknown (a run died mid-send: not resent)
    delivery: Mapped[str] = mapped_column(String(20), default="pending")
    delivered: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    delivery_error: Mapped[str] = mapped_column(Text, default="")
    sources: Mapped[list[Any]] = mapped_column(default=list)  # per-source health, as rendered
    # The citation verdicts this window's digest showed: the next one shows them again if changed.
    citations: Mapped[list[Any]] = mapped_column(default=list)


class DigestItem(Base):
    """The digest that announced a study as new: one row per study, ever."""

    __tablename__ = "digest_items"

    study_id: Mapped[int] = mapped_column(
        ForeignKey("studies.id", ondelete="CASCADE"), primary_key=True
    )
    window_id: Mapped[int] = mapped_column(ForeignKey("windows.id"), index=True)


class StudyNews(Base):
    """Something new about an already announced study: retracted, corrected, now published."""

    __tablename__ = "study_news"
    __table_args__ = (UniqueConstraint("study_id", "kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    study_id: Mapped[int] = mapped_column(ForeignKey("studies.id", ondelete="CASCADE"), index=True)
    window_id: Mapped[int] = mapped_column(ForeignKey("windows.id"), index=True)
    kind: Mapped[str] = mapped_column(String(50))
    detail: Mapped[str] = mapped_column(Text, default="")


class CitationRow(Base):
    """A seed reference's verdict, kept so weekly runs don't look it up again."""

    __tablename__ = "citation_checks"

    fingerprint: Mapped[str] = mapped_column(String(64), primary_key=True)
    seed: Mapped[str] = mapped_column(String(300))
    key: Mapped[str] = mapped_column(String(100))
    result: Mapped[dict[str, Any]] = mapped_column()
    checked: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=_now)


class RunLock(Base):
    """Held by the one run that may deliver; a second run started meanwhile stops."""

    __tablename__ = "run_lock"

    name: Mapped[str] = mapped_column(String(50), primary_key=True)
    holder: Mapped[str] = mapped_column(String(200))
    acquired: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=_now)


class RunLocked(RuntimeError):
    """Another run holds the lock; the message says who and since when."""


class SourceState(Base):
    """HTTP validators and last outcome per source, for conditional GET and the digest."""

    __tablename__ = "source_state"

    name: Mapped[str] = mapped_column(String(100), primary_key=True)
    etag: Mapped[str | None] = mapped_column(String(500))
    last_modified: Mapped[str | None] = mapped_column(String(100))
    last_ok: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_error: Mapped[str] = mapped_column(Text, default="")


@dataclass
class AddResult:
    new: int = 0
    merged: int = 0  # already stored (same PMID, DOI or title): a new sighting or nothing
    news: int = 0  # editorial news about studies already stored (retraction, erratum, ...)


BATCH = 500  # records per transaction when storing
LOCK_STALE = timedelta(hours=6)  # no weekly run takes this long: an older lock is a crash's
# Flags that are news when they appear on a study after it was first stored.
NEWS_FLAGS = ("retracted", "erratum", "expression_of_concern")
PREPRINT_DOI = "10.1101/"  # bioRxiv and medRxiv


class StoreError(RuntimeError):
    """The database cannot be opened; one line naming KAPWATCH_DATABASE_URL, no password."""


def make_engine(url: str, **options: Any) -> Engine:
    if url.startswith("sqlite:///"):
        folder = Path(url.removeprefix("sqlite:///")).parent
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StoreError(
                f"KAPWATCH_DATABASE_URL: cannot create {folder}: {exc.strerror}"
            ) from None
    try:
        engine = create_engine(url, **options)
    except (ArgumentError, NoSuchModuleError, ImportError) as exc:
        raise StoreError(f"KAPWATCH_DATABASE_URL: cannot use {_safe(url)}: {exc}") from None
    if engine.dialect.name == "sqlite":

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(conn: Any, _record: Any) -> None:
            cursor = conn.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA busy_timeout=30000")  # a second run waits, not fails
            cursor.close()

    return engine


def _safe(url: str) -> str:
    """The URL as it may be shown: SQLAlchemy masks the password."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return "the URL given"


def migrate(url: str, revision: str = "head") -> None:
    """Bring the database to the newest schema with Alembic (creates it when empty)."""
    from alembic import command
    from alembic.config import Config

    make_engine(url).dispose()  # a bad URL fails here with one clear line
    config = Config()
    config.set_main_option("script_location", str(Path(__file__).parent / "migrations"))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    try:
        command.upgrade(config, revision)
    except OperationalError as exc:
        reason = " ".join(str(exc.orig).split())[:200]
        raise StoreError(f"KAPWATCH_DATABASE_URL: cannot open {_safe(url)}: {reason}") from None


class Store:
    def __init__(self, url: str, *, upgrade: bool = True) -> None:
        if upgrade:
            migrate(url)
        self.engine = make_engine(url)

    @contextmanager
    def session(self) -> Iterator[Session]:
        with Session(self.engine, expire_on_commit=False) as session, session.begin():
            yield session

    # --- one run at a time -------------------------------------------------------------------

    @contextmanager
    def exclusive(self, holder: str, stale_after: timedelta = LOCK_STALE) -> Iterator[None]:
        """Hold the run lock for the block; a lock older than stale_after was left by a crash."""
        try:
            with self.session() as s:
                s.add(RunLock(name="run", holder=holder))
        except IntegrityError:
            with self.session() as s:
                lock = s.get_one(RunLock, "run")
                acquired = lock.acquired.replace(tzinfo=lock.acquired.tzinfo or UTC)
                if _now() - acquired < stale_after:
                    raise RunLocked(
                        f"another kapwatch run ({lock.holder}) has been running since "
                        f"{acquired:%Y-%m-%d %H:%M} UTC; try again when it has finished"
                    ) from None
                lock.holder, lock.acquired = holder, _now()  # taken over from a dead run
        try:
            yield
        finally:
            with self.session() as s:
                held = s.get(RunLock, "run")
                if held is not None and held.holder == holder:
                    s.delete(held)

    # --- windows ----------------------------------------------------------------------------

    def open_window(self, since: date, until: date) -> Window:
        """The window for these dates: the same one again on a re-run, so nothing repeats."""
        base = f"{until.isocalendar().year}-W{until.isocalendar().week:02d}"
        with self.session() as s:
            existing = s.scalars(select(Window).where(Window.label.like(f"{base}%"))).all()
            for window in existing:
                if window.since == since and window.until == until:
                    return window
            label = base if not existing else f"{base}.{len(existing) + 1}"
            window = Window(label=label, since=since, until=until)
            s.add(window)
            s.flush()
            return window

    def last_window(self) -> Window | None:
        with self.session() as s:
            return s.scalars(
                select(Window).where(Window.rendered.is_not(None)).order_by(Window.until.desc())
            ).first()

    def pending_windows(self) -> list[Window]:
        """Rendered windows whose digest has not been delivered yet (oldest first)."""
        with self.session() as s:
            query = select(Window).where(
                Window.rendered.is_not(None), Window.delivery.in_(("pending", "failed"))
            )
            return list(s.scalars(query.order_by(Window.until)).all())

    def interrupted_windows(self) -> list[Window]:
        """Windows whose send began but never finished: a run died mid-send."""
        with self.session() as s:
            query = select(Window).where(Window.delivery == "sending").order_by(Window.until)
            return list(s.scalars(query).all())

    def mark_rendered(self, window_id: int, sources: list[dict[str, Any]]) -> None:
        with self.session() as s:
            window = s.get_one(Window, window_id)
            window.rendered = _now()
            window.sources = sources

    def mark_delivery(self, window_id: int, status: str, error: str = "") -> None:
        with self.session() as s:
            window = s.get_one(Window, window_id)
            window.delivery = status
            window.delivery_error = error
            if status in ("sent", "outbox"):
                window.delivered = _now()

    # --- studies ----------------------------------------------------------------------------

    def add_records(self, window_id: int, records: Iterable[Record]) -> AddResult:
        """Store records, merging each into the study it duplicates; a transaction per batch.

        Each batch looks up everything it may match in a few queries (by PMID, DOI, title key,
        first author and year), then decides record by record in memory.
        """
        result = AddResult()
        batch: list[Record] = []
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
            index = _Index(s, records)
            created: list[NewStudy] = []
            for record in records:
                study, preprint = index.find(record)
                if study is None:
                    study = _new_study(record)
                    created.append(study)
                    index.add(study)
                    result.new += 1
                    if preprint is not None:
                        # The journal version of a preprint we already announced.
                        study.flags = sorted({*study.flags, f"published_version_of:{preprint.doi}"})
                        result.news += self._news(s, preprint, window_id, "published", study.doi)
                else:
                    before = set(study.flags)
                    _merge(study, record)
                    index.add(study)  # it may have gained a PMID or DOI
                    result.merged += 1
                    for flag in sorted(set(study.flags) - before):
                        if flag in NEWS_FLAGS:
                            result.news += self._news(s, study, window_id, flag)
                if isinstance(study, NewStudy):
                    study.sources.add(record.source)
                elif not any(x.source == record.source for x in study.sightings):
                    study.sightings.append(Sighting(source=record.source, window_id=window_id))
            self._insert(s, window_id, created)

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
            inserted = insert(_table(Study)).returning(Study.id, sort_by_parameter_order=True)
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
        s.execute(insert(_table(Sighting)), sightings)
        if news:
            s.execute(insert(_table(StudyNews)), news)

    def refresh_flags(self, window_id: int, flags: dict[str, set[str]]) -> int:
        """New editorial flags (PMID -> retracted, erratum, expression_of_concern) on stored
        studies: each becomes news in this window; a study not stored is none of ours."""
        news = 0
        with self.session() as s:
            studies = s.scalars(select(Study).where(Study.pmid.in_(list(flags)))).all()
            for study in studies:
                added = flags[study.pmid or ""] - set(study.flags)
                if not added:
                    continue
                study.flags = sorted(set(study.flags) | added)
                study.updated = _now()
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

    def claim_new(self, window_id: int) -> list[int]:
        """Claim for this window's digest the studies seen in it and not announced before (one
        INSERT ... SELECT); the ids of all the window's studies, in order."""
        with self.session() as s:
            sent = select(DigestItem.study_id)
            unsent = (
                select(Sighting.study_id, literal(window_id))
                .where(Sighting.window_id == window_id, Sighting.study_id.not_in(sent))
                .distinct()
            )
            s.execute(insert(DigestItem).from_select(["study_id", "window_id"], unsent))
            ids = select(DigestItem.study_id).where(DigestItem.window_id == window_id)
            return list(s.scalars(ids.order_by(DigestItem.study_id)))

    def texts(self, ids: list[int]) -> list[tuple[int, dict[str, Any]]]:
        """(id, the columns the evidence engine reads) for these studies, without the rest."""
        columns = (
            Study.id,
            Study.title,
            Study.abstract,
            Study.sections,
            Study.pub_types,
            Study.mesh,
            Study.keywords,
        )
        with self.session() as s:
            rows = s.execute(select(*columns).where(Study.id.in_(ids)).order_by(Study.id))
            return [(row[0], dict(row._mapping)) for row in rows]

    def window_studies(self, window_id: int) -> WindowStudies:
        """The studies this window's digest announces, in digest order, read as they are used."""
        return WindowStudies(self, window_id)

    def digest_order(self, window_id: int) -> list[int]:
        """Ids of the window's studies: relevant first, strongest first, then by title."""
        with self.session() as s:
            ids = select(DigestItem.study_id).where(DigestItem.window_id == window_id)
            columns = (Study.id, Study.relevant, Study.score, Study.title)
            rows = s.execute(select(*columns).where(Study.id.in_(ids))).all()
        ordered = sorted(rows, key=lambda r: (not r.relevant, -(r.score or 0), r.title.lower()))
        return [row.id for row in ordered]

    def listed(self, ids: list[int]) -> list[Listing]:
        """These studies, in this order, as the digest lists them (three queries, no ORM
        objects: a backfill's digest lists 100,000)."""
        with self.session() as s:
            rows = s.execute(select(*_LISTED).where(Study.id.in_(ids))).all()
            sources: dict[int, set[str]] = {}
            for study_id, source in s.execute(
                select(Sighting.study_id, Sighting.source).where(Sighting.study_id.in_(ids))
            ):
                sources.setdefault(study_id, set()).add(source)
            links: dict[int, list[ListedLink]] = {}
            link_columns = (ClaimLink.study_id, ClaimLink.claim_id, ClaimLink.stance)
            for link in s.execute(
                select(*link_columns, ClaimLink.evidence).where(ClaimLink.study_id.in_(ids))
            ):
                links.setdefault(link.study_id, []).append(
                    ListedLink(link.claim_id, link.stance, link.evidence)
                )
        found = {
            row.id: Listing(
                **row._asdict(),
                sources=sorted(sources.get(row.id, ())),
                links=links.get(row.id, []),
            )
            for row in rows
        }
        return [found[i] for i in ids if i in found]

    def news_in(self, window_id: int) -> list[tuple[Study, list[str]]]:
        """Earlier studies with news in this window, each with the kinds of news."""
        with self.session() as s:
            rows = s.scalars(
                select(StudyNews).where(StudyNews.window_id == window_id).order_by(StudyNews.id)
            ).all()
            kinds: dict[int, list[str]] = {}
            for row in rows:
                kinds.setdefault(row.study_id, []).append(row.kind)
            announced_here = select(DigestItem.study_id).where(DigestItem.window_id == window_id)
            studies = s.scalars(
                select(Study)
                .options(*_FULL)
                .where(Study.id.in_(list(kinds)), Study.id.not_in(announced_here))
                .order_by(Study.id)
            ).all()
            return [(study, kinds[study.id]) for study in studies]

    def claim_ledger(self) -> dict[str, dict[str, dict[str, int]]]:
        """Per claim, over every relevant study announced so far: links by stance and design."""
        with self.session() as s:
            rows = s.execute(
                select(ClaimLink.claim_id, ClaimLink.stance, Study.design)
                .join(Study, Study.id == ClaimLink.study_id)
                .join(DigestItem, DigestItem.study_id == Study.id)
                .where(Study.relevant.is_(True))
            ).all()
        ledger: dict[str, dict[str, dict[str, int]]] = {}
        for claim_id, stance, design in rows:
            entry = ledger.setdefault(claim_id, {"stances": {}, "designs": {}})
            entry["stances"][stance] = entry["stances"].get(stance, 0) + 1
            label = design or "study"
            entry["designs"][label] = entry["designs"].get(label, 0) + 1
        return ledger

    def save_assessments(self, results: dict[int, Assessment]) -> None:
        """Relevance, design and claim links for many studies, in one transaction of three
        bulk statements (an UPDATE by primary key, a DELETE and an INSERT of the links)."""
        if not results:
            return
        verdicts = [
            {
                "id": study_id,
                "relevant": r.relevant,
                "score": r.score,
                "reason": r.reason,
                "design": r.design,
                "n": r.n,
            }
            for study_id, r in results.items()
        ]
        links = [
            {
                "study_id": study_id,
                "claim_id": x.claim_id,
                "stance": x.stance,
                "evidence": x.evidence,
            }
            for study_id, r in results.items()
            for x in r.links
        ]
        with self.session() as s:
            s.execute(update(Study), verdicts)
            s.execute(delete(ClaimLink).where(ClaimLink.study_id.in_(list(results))))
            if links:
                s.execute(insert(ClaimLink), links)

    # --- citation checks --------------------------------------------------------------------

    def citation_checks(self) -> dict[str, dict[str, Any]]:
        """fingerprint -> the cached verdict (as CitationCheck fields)."""
        with self.session() as s:
            return {row.fingerprint: dict(row.result) for row in s.scalars(select(CitationRow))}

    def save_citation_checks(self, checks: dict[str, dict[str, Any]]) -> None:
        """Insert or replace verdicts by fingerprint."""
        with self.session() as s:
            for fingerprint, result in checks.items():
                row = s.get(CitationRow, fingerprint)
                if row is None:
                    s.add(
                        CitationRow(
                            fingerprint=fingerprint,
                            seed=str(result.get("seed", "")),
                            key=str(result.get("key", "")),
                            result=result,
                        )
                    )
                else:
                    row.result, row.checked = result, _now()

    def shown_citations(self, before_window_id: int) -> list[Any] | None:
        """The verdicts the last rendered digest before this window showed (None: none yet)."""
        with self.session() as s:
            row = s.scalars(
                select(Window)
                .where(Window.id < before_window_id, Window.rendered.is_not(None))
                .order_by(Window.id.desc())
            ).first()
            return list(row.citations) if row is not None and row.citations else None

    def mark_citations(self, window_id: int, citations: list[Any]) -> None:
        with self.session() as s:
            window = s.get(Window, window_id)
            if window is not None:
                window.citations = citations

    # --- sources ----------------------------------------------------------------------------

    def source_state(self, name: str) -> SourceState | None:
        with self.session() as s:
            return s.get(SourceState, name)

    def save_source_state(
        self,
        name: str,
        *,
        ok: bool,
        error: str = "",
        etag: str | None = None,
        last_modified: str | None = None,
    ) -> None:
        with self.session() as s:
            state = s.get(SourceState, name) or SourceState(name=name)
            s.add(state)
            if ok:
                state.last_ok = _now()
                state.last_error = ""
                if etag is not None or last_modified is not None:
                    state.etag, state.last_modified = etag, last_modified
            else:
                state.last_error = error


class _Index:
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
        pmids = {r.pmid for r in records if r.pmid}
        dois = {d for d in (dedupe.normalize_doi(r.doi) for r in records) if d}
        if pmids or dois:
            query = select(Study).options(selectinload(Study.sightings))
            query = query.where(or_(Study.pmid.in_(pmids), Study.doi.in_(dois)))
            for study in s.scalars(query).all():
                self._register_ids(study)
        titles = {k for k in (dedupe.title_key(r.title) for r in records) if k}
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
        for row in s.execute(select(*columns).where(where)).all():
            self.rows[row.id] = row
            self.by_title.setdefault(row.title_key, []).append(row.id)
            if row.author_key:
                self.by_author.setdefault(row.author_key, []).append(row.id)
            if row.title_head:
                self.by_head.setdefault(row.title_head, []).append(row.id)
            if row.locus:
                self.by_locus.setdefault(row.locus, []).append(row.id)

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
            preprint = study.is_preprint or study.doi.startswith(PREPRINT_DOI)
            is_journal = not record.is_preprint and not doi.startswith(PREPRINT_DOI)
            return None, (study if preprint and is_journal else None)
        return study, None


# What the digest reads of a study after its session has closed.
_FULL = (selectinload(Study.sightings), selectinload(Study.links))


class ListedLink(NamedTuple):
    claim_id: str
    stance: str
    evidence: str


@dataclass(frozen=True)
class Listing:
    """A study as the digest lists it: no abstract (only the evidence engine reads that), its
    sources and its claim links."""

    id: int
    pmid: str | None
    doi: str | None
    pmcid: str | None
    title: str
    journal: str
    volume: str
    issue: str
    pages: str
    published: date | None
    year: int | None
    authors: list[str]
    url: str | None
    flags: list[str]
    relevant: bool | None
    score: float | None
    reason: str
    design: str
    n: int | None
    sources: list[str]
    links: list[ListedLink]


_LISTED = tuple(
    getattr(Study, f.name) for f in fields(Listing) if f.name not in ("sources", "links")
)


class WindowStudies:
    """A window's studies in digest order, read from the store a chunk at a time on every
    pass: a backfill's 100,000 studies are never in memory together. Iterate it as often as
    needed (the digest reads it once for the email and once more for its files)."""

    CHUNK = 1000

    def __init__(self, store: Store, window_id: int) -> None:
        self.store = store
        self.window_id = window_id

    def __iter__(self) -> Iterator[Listing]:
        ids = self.store.digest_order(self.window_id)
        for start in range(0, len(ids), self.CHUNK):
            yield from self.store.listed(ids[start : start + self.CHUNK])


def _table(model: type[Base]) -> Table:
    """A model's table, for core statements (no ORM bookkeeping per row)."""
    return Base.metadata.tables[str(model.__tablename__)]


def _insert_sqlite(s: Session, rows: list[dict[str, Any]]) -> list[int]:
    """Insert the rows and return their ids, in order. SQLite cannot promise the order of a
    multi-row RETURNING, and SQLAlchemy then inserts row by row; but inside one write
    transaction SQLite gives each new row the largest id plus one, so the batch's ids are the
    last len(rows) ones. Checked against the title keys before anything else uses them."""
    s.execute(insert(_table(Study)), rows)  # core: one executemany, None kept as NULL
    last = s.scalar(select(func.max(Study.id))) or 0
    first = last - len(rows) + 1
    stored = s.execute(select(Study.title_key).where(Study.id >= first).order_by(Study.id))
    if [key for (key,) in stored] != [row["title_key"] for row in rows]:
        raise StoreError("the new studies' ids could not be read back; nothing was stored")
    return list(range(first, last + 1))


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
    updated: datetime = field(default_factory=_now)
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
    study.updated = _now()
