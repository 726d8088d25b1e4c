"""The digest's read models: a window's studies in digest order (Listing, read a chunk at a
time by WindowStudies), news about earlier studies, and the claim ledger."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, fields
from datetime import date, datetime
from typing import Any, NamedTuple

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from kapwatch.store.database import Database
from kapwatch.store.models import DigestItem, Sighting, Study, StudyNews
from kapwatch.store.verdicts import standing_links
from kapwatch.vocabulary import Flag

# News kinds stored with the other version's DOI as their detail.
VERSIONED = frozenset({Flag.NOW_PUBLISHED, Flag.PUBLISHED_VERSION_OF})

# What the digest reads of a study after its session has closed.
_FULL = (selectinload(Study.sightings), selectinload(Study.links))


class ListedLink(NamedTuple):
    claim_id: str
    stance: str
    evidence: str
    confidence: float | None = None
    # A reader's verdict on the pair (kapwatch review, kapwatch verdict): who and when.
    reviewed_by: str | None = None
    reviewed_at: datetime | None = None

    @property
    def reviewed(self) -> bool:
        return self.reviewed_by is not None


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

    def __init__(self, store: Queries, window_id: int) -> None:
        self.store = store
        self.window_id = window_id

    def __iter__(self) -> Iterator[Listing]:
        ids = self.store.digest_order(self.window_id)
        for start in range(0, len(ids), self.CHUNK):
            yield from self.store.listed(ids[start : start + self.CHUNK])


class Queries(Database):
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
            plain = s.connection()  # plain rows: the ORM's loading is not needed
            rows = plain.execute(select(*_LISTED).where(Study.id.in_(ids))).all()
            sources: dict[int, set[str]] = {}
            for study_id, source in plain.execute(
                select(Sighting.study_id, Sighting.source).where(Sighting.study_id.in_(ids))
            ):
                sources.setdefault(study_id, set()).add(source)
            links: dict[int, list[ListedLink]] = {}
            for link in standing_links(s, study_ids=ids):  # readers' verdicts applied
                links.setdefault(link.study_id, []).append(
                    ListedLink(
                        link.claim_id,
                        link.stance,
                        link.evidence,
                        link.confidence,
                        link.reviewed_by,
                        link.reviewed_at,
                    )
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
        """Earlier studies with news in this window, each with its news as flags
        (`retracted`, `erratum`, `now_published:<doi>`, ...)."""
        with self.session() as s:
            rows = s.scalars(
                select(StudyNews).where(StudyNews.window_id == window_id).order_by(StudyNews.id)
            ).all()
            kinds: dict[int, list[str]] = {}
            for row in rows:
                flag = Flag(row.kind) if row.kind in VERSIONED else None
                kinds.setdefault(row.study_id, []).append(
                    flag.of(row.detail) if flag is not None else row.kind
                )
            announced_here = select(DigestItem.study_id).where(DigestItem.window_id == window_id)
            studies = s.scalars(
                select(Study)
                .options(*_FULL)
                .where(Study.id.in_(list(kinds)), Study.id.not_in(announced_here))
                .order_by(Study.id)
            ).all()
            return [(study, kinds[study.id]) for study in studies]

    def claim_ledger(self) -> dict[str, dict[str, Any]]:
        """Per claim, over every study announced so far that is relevant or that a reader
        linked: links by stance and design, in all ("stances", "designs") and apart for the
        links a reader confirmed and those the engine only suggests ("confirmed",
        "suggested", each with its own "stances" and "designs")."""
        with self.session() as s:
            rows = s.execute(
                select(Study.id, Study.design, Study.relevant).join(
                    DigestItem, DigestItem.study_id == Study.id
                )
            ).all()
            studies = {row.id: (row.design, row.relevant) for row in rows}
            links = standing_links(s)
        ledger: dict[str, dict[str, Any]] = {}
        for link in links:
            if link.study_id not in studies:
                continue
            design, relevant = studies[link.study_id]
            if not (relevant or link.reviewed):
                continue
            entry = ledger.setdefault(link.claim_id, empty_ledger())
            part = entry["confirmed" if link.reviewed else "suggested"]
            for counts in (entry, part):
                counts["stances"][link.stance] = counts["stances"].get(link.stance, 0) + 1
                label = design or "study"
                counts["designs"][label] = counts["designs"].get(label, 0) + 1
        return ledger


def empty_ledger() -> dict[str, Any]:
    """A claim's ledger with nothing in it (the shape claim_ledger gives each claim)."""
    return {
        "stances": {},
        "designs": {},
        "confirmed": {"stances": {}, "designs": {}},
        "suggested": {"stances": {}, "designs": {}},
    }
