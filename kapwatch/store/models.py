"""The store's tables as SQLAlchemy models: studies, who saw them, which digest sent them, each
window and its delivery on each channel, and what runs remember between weeks.

What was *seen* (sightings: a source reported a study in a window) is kept apart from what
was *sent* (digest_items: the one window whose digest announced the study as new), so a
study appears as new in exactly one digest however often sources repeat it.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from kapwatch.vocabulary import DeliveryState


def now() -> datetime:
    return datetime.now(UTC)


class Base(DeclarativeBase):
    type_annotation_map: ClassVar[dict[Any, Any]] = {
        dict[str, Any]: JSON,
        list[str]: JSON,
        list[Any]: JSON,
    }


def table(model: type[Base]) -> Table:
    """A model's table, for core statements (no ORM bookkeeping per row)."""
    return Base.metadata.tables[str(model.__tablename__)]


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
    first_seen: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=now)
    updated: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=now)
    # What the evidence engine concluded (re-computed when the study changes).
    relevant: Mapped[bool | None] = mapped_column(Boolean)
    score: Mapped[float | None] = mapped_column(Float)
    reason: Mapped[str] = mapped_column(Text, default="")
    design: Mapped[str] = mapped_column(String(50), default="")
    n: Mapped[int | None] = mapped_column(Integer)

    # Loaded on demand; queries that hand studies to the digest load them eagerly.
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
    seen_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=now)

    study: Mapped[Study] = relationship(back_populates="sightings")


class ClaimLink(Base):
    __tablename__ = "claim_links"
    __table_args__ = (UniqueConstraint("study_id", "claim_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    study_id: Mapped[int] = mapped_column(ForeignKey("studies.id", ondelete="CASCADE"), index=True)
    claim_id: Mapped[str] = mapped_column(String(100), index=True)
    stance: Mapped[str] = mapped_column(String(20))
    evidence: Mapped[str] = mapped_column(Text, default="")
    # The engine's calibrated confidence; None for links stored before it had one.
    confidence: Mapped[float | None] = mapped_column(Float, nullable=True)

    study: Mapped[Study] = relationship(back_populates="links")


class Verdict(Base):
    """A reader's verdict on a (study, claim) pair: a stance or "none" (not related), who and
    when. It overrides the engine's link for that pair in every later digest and ledger; a
    verdict with no engine link behind it adds the link."""

    __tablename__ = "verdicts"
    __table_args__ = (UniqueConstraint("study_id", "claim_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    study_id: Mapped[int] = mapped_column(ForeignKey("studies.id", ondelete="CASCADE"), index=True)
    claim_id: Mapped[str] = mapped_column(String(100), index=True)
    stance: Mapped[str] = mapped_column(String(20))  # a Stance, or NotRelated.NONE
    reviewer: Mapped[str] = mapped_column(String(200))
    reviewed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=now)
    note: Mapped[str] = mapped_column(Text, default="")


class Window(Base):
    """One run's date window; its delivery on each channel is a Delivery."""

    __tablename__ = "windows"

    id: Mapped[int] = mapped_column(primary_key=True)
    label: Mapped[str] = mapped_column(String(30), unique=True)
    since: Mapped[date] = mapped_column(Date)
    until: Mapped[date] = mapped_column(Date)
    started: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=now)
    rendered: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    sources: Mapped[list[Any]] = mapped_column(default=list)  # per-source health, as rendered
    # The citation verdicts this window's digest showed: the next one shows them again if changed.
    citations: Mapped[list[Any]] = mapped_column(default=list)


class Delivery(Base):
    """What became of a window's digest on one channel (see DeliveryState): pending, sending
    (a send began), sent or outbox, failed (retried next run), skipped (--no-send), unknown
    (a run died mid-send: never resent)."""

    __tablename__ = "deliveries"
    __table_args__ = (UniqueConstraint("window_id", "channel"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    window_id: Mapped[int] = mapped_column(ForeignKey("windows.id"), index=True)
    channel: Mapped[str] = mapped_column(String(50))
    state: Mapped[str] = mapped_column(String(20), default=DeliveryState.PENDING)
    detail: Mapped[str] = mapped_column(Text, default="")  # the error, or where it went
    updated: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=now)


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
    checked: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=now)


class RunLock(Base):
    """Held by the one run that may deliver; a second run started meanwhile stops."""

    __tablename__ = "run_lock"

    name: Mapped[str] = mapped_column(String(50), primary_key=True)
    holder: Mapped[str] = mapped_column(String(200))
    acquired: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=now)


class SourceState(Base):
    """HTTP validators and last outcome per source, for conditional GET and the digest."""

    __tablename__ = "source_state"

    name: Mapped[str] = mapped_column(String(100), primary_key=True)
    etag: Mapped[str | None] = mapped_column(String(500))
    last_modified: Mapped[str | None] = mapped_column(String(100))
    last_ok: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_error: Mapped[str] = mapped_column(Text, default="")
