"""The run's stages without Prefect, against the loopback stand-in and a real SMTP server."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller

from kapwatch import pipeline
from kapwatch.settings import Settings
from kapwatch.sources.base import SourceReport
from kapwatch.sources.feeds import Feed, FeedSource
from kapwatch.store import Store
from kapwatch.vocabulary import DeliveryState

from .conftest import Inbox
from .helpers import WEEK1, WEEK2, mailing_to, run_week


def test_two_weeks_end_to_end_without_prefect(
    settings: Settings, smtp_server: tuple[Controller, Inbox]
) -> None:
    controller, inbox = smtp_server
    settings = mailing_to(settings, controller.port)
    store = Store(settings.db_url)

    first, lines = run_week(settings, store, WEEK1)
    by_doi = {s["doi"]: s for s in first["studies"]}
    assert set(by_doi) == {"10.5555/kw.0001", "10.5555/kw.0002", "10.5555/kw.0004"}
    assert by_doi["10.5555/kw.0001"]["sources"] == ["jtp", "pubmed"]  # one study, two sources
    assert by_doi["10.5555/kw.0002"]["relevant"] is False  # sedation near-miss
    assert by_doi["10.5555/kw.0001"]["relevant"] and by_doi["10.5555/kw.0001"]["claims"]
    status = {s["name"]: s for s in first["sources"]}
    assert status["pubmed"]["status"] == "ok" and status["jtp"]["kept"] == 2
    assert status["captcha-journal"]["status"] == "error"
    assert lines == ["2026-W46: emailed to team@example.org"]
    text = (settings.digests_dir / "2026-W46.txt").read_text(encoding="utf-8")
    assert "3 items, 2 kept" in text and 'not a feed (HTML page: "One more step")' in text

    second, _ = run_week(settings, store, WEEK2)
    assert [s["pmid"] for s in second["studies"]] == ["90000003"]  # nothing repeated
    (durability,) = second["studies"]
    assert any(c["stance"] in ("challenges", "mixed") for c in durability["claims"])
    assert len(inbox.messages) == 2  # one email per window

    # The key never reaches anything a run writes.
    written = [p for p in Path(settings.home).rglob("*") if p.is_file()]
    assert written and not any(b"sekrit-key-123" in p.read_bytes() for p in written)


def test_failed_send_stays_pending_and_goes_next_run(
    settings: Settings, smtp_server: tuple[Controller, Inbox]
) -> None:
    controller, inbox = smtp_server
    store = Store(settings.db_url)
    down = replace(
        settings, smtp_host="127.0.0.1", smtp_port=1, smtp_security="none", smtp_timeout=2.0
    )
    _, lines = run_week(down, store, WEEK1)
    assert "delivery failed, will retry next run" in lines[0]
    up = mailing_to(settings, controller.port)
    _, lines = run_week(up, store, WEEK2)
    assert lines == [
        "2026-W46: emailed to team@example.org",
        "2026-W47: emailed to team@example.org",
    ]
    assert [m["X-Kapwatch-Window"] for m in inbox.messages] == ["2026-W46", "2026-W47"]


def test_no_send_leaves_the_window_pending_for_the_next_run(settings: Settings) -> None:
    store = Store(settings.db_url)
    _, lines = run_week(settings, store, WEEK1, send=False)
    assert lines == ["2026-W46: not sent (--no-send); `kapwatch send` sends it"]
    assert pipeline.undelivered(settings, store) == ["2026-W46 (email): pending"]
    _, lines = run_week(settings, store, WEEK2)
    assert lines == [
        f"2026-W46: written to {settings.outbox_dir / '2026-W46.eml'}",
        f"2026-W47: written to {settings.outbox_dir / '2026-W47.eml'}",
    ]
    assert pipeline.undelivered(settings, store) == []


def test_send_delivers_a_week_once_unless_again(
    settings: Settings, smtp_server: tuple[Controller, Inbox]
) -> None:
    controller, inbox = smtp_server
    settings = mailing_to(settings, controller.port)
    store = Store(settings.db_url)
    run_week(settings, store, WEEK1, send=False)
    assert pipeline.send_windows(settings, store, None, again=False) == [
        "2026-W46: emailed to team@example.org"
    ]
    assert pipeline.send_windows(settings, store, "2026-W46", again=False) == [
        "2026-W46: already sent; not sent again (--again sends it)"
    ]
    assert pipeline.send_windows(settings, store, None, again=False) == [
        "nothing to send: every digest has been delivered"
    ]
    pipeline.send_windows(settings, store, "2026-W46", again=True)
    assert [m["X-Kapwatch-Window"] for m in inbox.messages] == ["2026-W46", "2026-W46"]
    with pytest.raises(pipeline.WindowError, match="no window '2026-W01'"):
        pipeline.send_windows(settings, store, "2026-W01", again=False)


def test_a_failed_send_raises_not_delivered(settings: Settings) -> None:
    store = Store(settings.db_url)
    down = replace(
        settings, smtp_host="127.0.0.1", smtp_port=1, smtp_security="none", smtp_timeout=2.0
    )
    run_week(down, store, WEEK1, send=False)
    with pytest.raises(pipeline.NotDelivered, match=r"2026-W46 \(email\): .*refused"):
        pipeline.send_windows(down, store, "2026-W46", again=False)


def test_dates_after_today_or_reversed_are_refused() -> None:
    from datetime import date

    today = date(2026, 11, 23)
    with pytest.raises(pipeline.WindowError, match="--until 2026-11-24 is after today"):
        pipeline.check_dates(None, date(2026, 11, 24), today)
    with pytest.raises(pipeline.WindowError, match="--since 2026-11-24 is after --until"):
        pipeline.check_dates(date(2026, 11, 24), None, today)
    pipeline.check_dates(date(2026, 11, 16), today, today)


def test_every_source_failing_means_no_digest(settings: Settings) -> None:
    store = Store(settings.db_url)
    setup = pipeline.prepare(settings)
    window = store.open_window(*WEEK1)
    sources = [
        SourceReport("pubmed", "pubmed", "error", error="HTTP 500 after 5 attempts"),
        SourceReport("jtp", "feed", "error", error="HTTP 404"),
    ]
    with pytest.raises(pipeline.RunError, match=r"no source could be read.*pubmed: HTTP 500"):
        pipeline.render_window(settings, store, window, [], sources, setup)
    assert not settings.digests_dir.exists()


def test_feed_filter_keeps_only_ketamine_items(seeds) -> None:  # type: ignore[no-untyped-def]
    from kapwatch.sources.records import Record

    source = FeedSource(Feed("x", "http://127.0.0.1/"), tuple(seeds.lexicon.by_role("drug")))
    assert source.keeps(Record("x", "Esketamine nasal spray"))
    assert not source.keeps(Record("x", "Lithium and the kidney"))
    assert Feed("x", "http://127.0.0.1/").kind == "journal"


def test_a_run_that_died_mid_send_is_reported_not_resent(
    settings: Settings, smtp_server: tuple[Controller, Inbox]
) -> None:
    controller, inbox = smtp_server
    settings = mailing_to(settings, controller.port)
    store = Store(settings.db_url)
    run_week(settings, store, WEEK1, send=False)
    # What a crash between "sending" and "sent" leaves behind.
    window = store.open_window(*WEEK1)
    store.mark_delivery(window.id, "email", DeliveryState.SENDING)
    _, lines = run_week(settings, store, WEEK2)
    assert lines[0].startswith("2026-W46: a run stopped while sending it; not resent")
    assert lines[1] == "2026-W47: emailed to team@example.org"
    assert [m["X-Kapwatch-Window"] for m in inbox.messages] == ["2026-W47"]
    _, again = run_week(settings, store, WEEK2)
    assert again == []  # reported once, and the delivered window is not sent again


def test_default_window_runs_from_the_end_of_the_last_one(settings: Settings) -> None:
    from datetime import date

    store = Store(settings.db_url)
    today = date(2026, 11, 23)
    assert pipeline.resolve_window(store, None, None, today) == (date(2026, 11, 16), today)
    run_week(settings, store, WEEK1, send=False)
    assert pipeline.resolve_window(store, None, None, today) == (WEEK1[1], today)
    with pytest.raises(pipeline.RunError, match="--since 2026-11-30 is after --until"):
        pipeline.resolve_window(store, date(2026, 11, 30), None, today)
    # A window that already ends today is the same window again (rebuilt, never resent).
    run_week(settings, store, (WEEK1[1], today))
    assert pipeline.resolve_window(store, None, None, today) == (WEEK1[1], today)
