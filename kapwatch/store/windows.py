"""Windows: one run's dates, its digest, and what became of the digest's delivery."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import select

from kapwatch.store.database import Database
from kapwatch.store.models import Window, now


class Windows(Database):
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

    def mark_rendered(self, window_id: int, sources: list[dict[str, Any]]) -> None:
        with self.session() as s:
            window = s.get_one(Window, window_id)
            window.rendered = now()
            window.sources = sources

    # --- the citation verdicts each digest showed ------------------------------------------

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

    # --- delivery ----------------------------------------------------------------------------

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

    def mark_delivery(self, window_id: int, status: str, error: str = "") -> None:
        with self.session() as s:
            window = s.get_one(Window, window_id)
            window.delivery = status
            window.delivery_error = error
            if status in ("sent", "outbox"):
                window.delivered = now()
