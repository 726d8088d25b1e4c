"""Plain helpers the end-to-end tests share: the two test weeks, a feeds file, one week's run."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import Any

from kapwatch import pipeline
from kapwatch.settings import Settings
from kapwatch.store import Store

WEEK1 = (date(2026, 11, 9), date(2026, 11, 15))
WEEK2 = (date(2026, 11, 16), date(2026, 11, 22))


def write_feeds(path: Path, url: str) -> Path:
    """A feeds file with the recorded journal feed and a feed that answers with a CAPTCHA page."""
    path.write_text(
        f'[[feeds]]\nname = "jtp"\nurl = "{url}/feeds/journal_rss2.xml"\npublisher = "Test"\n\n'
        f'[[feeds]]\nname = "captcha-journal"\nurl = "{url}/feeds/captcha.html"\n',
        encoding="utf-8",
    )
    return path


def run_week(
    settings: Settings, store: Store, week: tuple[date, date], send: bool = True
) -> tuple[dict[str, Any], list[str]]:
    """Every stage of a weekly run, without Prefect; returns the digest JSON and delivery lines."""
    setup = pipeline.prepare(settings)
    window = store.open_window(*week)
    sources = [
        pipeline.collect(source, store, window, secrets=settings.secrets)
        for source in setup.sources
    ]
    checks, check_report = pipeline.watch_citations(
        settings, store, setup.seeds, window, setup.query
    )
    sources.append(check_report)
    studies = pipeline.assess_window(store, window, setup.seeds)
    files = pipeline.render_window(settings, store, window, studies, sources, setup, checks)
    lines = pipeline.deliver_pending(settings, store, send, window)
    return json.loads(files.json.read_text(encoding="utf-8")), lines


def mailing_to(settings: Settings, port: int) -> Settings:
    """The settings, delivering over plain SMTP to a test server on 127.0.0.1."""
    return replace(settings, smtp_host="127.0.0.1", smtp_port=port, smtp_security="none")
