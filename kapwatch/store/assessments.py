"""The evidence step's side of the store: taking a window's new studies for its digest,
reading the text the engine assesses, and saving what it concluded."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy import String, bindparam, cast, delete, insert, literal, select, update

from kapwatch.store.database import Database
from kapwatch.store.models import ClaimLink, DigestItem, Sighting, Study, table
from kapwatch.vocabulary import Flag

if TYPE_CHECKING:  # the evidence engine reads seeds, which import kapwatch.store.dedupe
    from kapwatch.evidence.engine import Assessment


class Assessments(Database):
    def take_new_studies(self, window_id: int) -> list[int]:
        """Take for this window's digest the studies seen in it and not announced before (one
        INSERT ... SELECT); the ids of all the window's studies, in order. A preprint whose
        journal version appeared before it was sent is not taken: the journal version is."""
        with self.session() as s:
            sent = select(DigestItem.study_id)
            superseded = select(Study.id).where(
                cast(Study.flags, String).like(f"%{Flag.NOW_PUBLISHED}:%")
            )
            unsent = (
                select(Sighting.study_id, literal(window_id))
                .where(
                    Sighting.window_id == window_id,
                    Sighting.study_id.not_in(sent),
                    Sighting.study_id.not_in(superseded),
                )
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
        with self.session() as s:  # plain rows: the ORM's loading is not needed
            query = select(*columns).where(Study.id.in_(ids)).order_by(Study.id)
            return [(row[0], dict(row._mapping)) for row in s.connection().execute(query)]

    def save_assessments(self, results: dict[int, Assessment]) -> None:
        """Relevance, design and claim links for many studies, in one transaction of three
        bulk statements (an UPDATE by primary key, a DELETE and an INSERT of the links)."""
        if not results:
            return
        verdicts = [
            {
                "study_id": study_id,
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
                "confidence": x.confidence,
            }
            for study_id, r in results.items()
            for x in r.links
        ]
        # Core statements, each one executemany: the ORM's bulk paths cost more than SQLite.
        studies, claim_links = table(Study), table(ClaimLink)
        with self.session() as s:
            s.execute(
                update(studies).where(studies.c.id == bindparam("study_id")),
                verdicts,
            )
            s.execute(delete(claim_links).where(claim_links.c.study_id.in_(list(results))))
            if links:
                s.execute(insert(claim_links), links)
