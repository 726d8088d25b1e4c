"""Windows (one run's dates and its digest) and each window's delivery on each channel.

Delivery is at most once per channel: SENDING is written before the conversation starts, so
a run that dies mid-send leaves a row in SENDING, which the next run turns into UNKNOWN and
reports instead of sending again.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any

from sqlalchemy import exists, select

from kapwatch.store.database import Database
from kapwatch.store.models import Delivery, Window, now
from kapwatch.vocabulary import DeliveryState

# States in which a window's digest still goes out on that channel.
UNDELIVERED = (DeliveryState.PENDING, DeliveryState.FAILED)


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

    # --- delivery, per channel ----------------------------------------------------------------

    def open_deliveries(self, window_id: int, channels: Iterable[str]) -> None:
        """Make this window's digest pending on each channel that has no state for it yet, and
        so too every rendered window with no delivery at all (a run stopped before delivering).
        A channel added later starts with the next digest: earlier ones are not sent to it."""
        with self.session() as s:
            never = select(Window.id).where(
                Window.rendered.is_not(None),
                ~exists().where(Delivery.window_id == Window.id),
            )
            ids = {window_id, *s.scalars(never)}
            known = {
                (row.window_id, row.channel)
                for row in s.execute(
                    select(Delivery.window_id, Delivery.channel).where(Delivery.window_id.in_(ids))
                )
            }
            for wid in sorted(ids):
                for channel in channels:
                    if (wid, channel) not in known:
                        s.add(Delivery(window_id=wid, channel=channel))

    def pending_windows(self, channel: str) -> list[Window]:
        """Rendered windows whose digest is still to go out on this channel (oldest first)."""
        with self.session() as s:
            query = (
                select(Window)
                .join(Delivery, Delivery.window_id == Window.id)
                .where(
                    Window.rendered.is_not(None),
                    Delivery.channel == channel,
                    Delivery.state.in_(UNDELIVERED),
                )
            )
            return list(s.scalars(query.order_by(Window.until)).all())

    def interrupted_deliveries(self) -> list[tuple[Window, str]]:
        """(window, channel) where a send began but never finished: a run died mid-send."""
        with self.session() as s:
            query = (
                select(Window, Delivery.channel)
                .join(Delivery, Delivery.window_id == Window.id)
                .where(Delivery.state == DeliveryState.SENDING)
                .order_by(Window.until, Delivery.channel)
            )
            return [(window, channel) for window, channel in s.execute(query).all()]

    def mark_delivery(
        self, window_id: int, channel: str, state: DeliveryState, detail: str = ""
    ) -> None:
        with self.session() as s:
            row = s.scalars(
                select(Delivery).where(Delivery.window_id == window_id, Delivery.channel == channel)
            ).first()
            if row is None:
                row = Delivery(window_id=window_id, channel=channel)
                s.add(row)
            row.state, row.detail, row.updated = state, detail, now()

    def deliveries(self, window_id: int) -> dict[str, DeliveryState]:
        """channel -> the state of this window's digest on it."""
        with self.session() as s:
            rows = s.execute(
                select(Delivery.channel, Delivery.state).where(Delivery.window_id == window_id)
            )
            return {channel: DeliveryState(state) for channel, state in rows}

    def delivery_detail(self, window_id: int, channel: str) -> str:
        """The last error, or where the digest went, on that channel ("" when none)."""
        with self.session() as s:
            detail = s.scalar(
                select(Delivery.detail).where(
                    Delivery.window_id == window_id, Delivery.channel == channel
                )
            )
            return detail or ""

    def window_by_label(self, label: str) -> Window | None:
        with self.session() as s:
            return s.scalars(select(Window).where(Window.label == label)).first()

    def history(self) -> list[tuple[Window, list[Delivery]]]:
        """Every window, oldest first, with its delivery on each channel."""
        with self.session() as s:
            windows = s.scalars(select(Window).order_by(Window.until, Window.id)).all()
            rows = s.scalars(select(Delivery).order_by(Delivery.channel)).all()
            by_window: dict[int, list[Delivery]] = {}
            for row in rows:
                by_window.setdefault(row.window_id, []).append(row)
            return [(w, by_window.get(w.id, [])) for w in windows]
