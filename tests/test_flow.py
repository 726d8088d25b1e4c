"""The real weekly_digest flow under Prefect's test harness, twice over two windows."""

from __future__ import annotations

import asyncio
import inspect
import itertools
import json
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
import yaml
from aiosmtpd.controller import Controller

from kapwatch.demo.standin import StandIn, serve
from kapwatch.settings import Settings

from .conftest import E2E_FIXTURES as FIXTURES
from .conftest import ROOT, SEEDS_DIR, Inbox
from .helpers import WEEK1, WEEK2, write_feeds

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def harness() -> Iterator[None]:
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=120):
        yield


def test_weekly_digest_flow_over_two_windows(
    harness: None,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    smtp_server: tuple[Controller, Inbox],
    database_url: str,
) -> None:
    from kapwatch.flow import weekly_digest

    controller, inbox = smtp_server
    data = StandIn(feeds_dir=FIXTURES)
    data.load_pubmed(FIXTURES / "pubmed.xml")
    with serve(data) as server:
        env = {
            "KAPWATCH_HOME": str(tmp_path / "home"),
            "KAPWATCH_DATABASE_URL": database_url,
            "KAPWATCH_EUTILS_URL": server.eutils_url,
            "KAPWATCH_SEEDS_DIR": str(SEEDS_DIR),
            "KAPWATCH_FEEDS_FILE": str(write_feeds(tmp_path / "feeds.toml", server.url)),
            "KAPWATCH_SMTP_HOST": "127.0.0.1",
            "KAPWATCH_SMTP_PORT": str(controller.port),
            "KAPWATCH_SMTP_SECURITY": "none",
            "KAPWATCH_MAIL_TO": "clinic@example.org",
            "KAPWATCH_NCBI_API_KEY": "ncbi-key-must-not-leak",
            "KAPWATCH_SMTP_PASSWORD": "smtp-password-must-not-leak",  # unused: no SMTP user
        }
        for key, value in env.items():
            monkeypatch.setenv(key, value)
        first = weekly_digest(since=WEEK1[0], until=WEEK1[1], send=True)
        second = weekly_digest(since=WEEK2[0], until=WEEK2[1], send=True)
        again = weekly_digest(since=WEEK2[0], until=WEEK2[1], send=True)

    assert first["label"] == "2026-W46" and second["label"] == "2026-W47"
    # The Prefect UI: run names say the window; each run publishes its digest as artifacts.
    from prefect import get_client

    with get_client(sync_client=True) as client:
        names = {run.name for run in client.read_flow_runs()}
        artifacts = client.read_artifacts()
    assert "digest 2026-W46 (2026-11-09..2026-11-15)" in names
    # No secret in anything the runs wrote: kapwatch's files, Prefect's database (parameters,
    # logs, artifacts) and the emails.
    from prefect.settings import PREFECT_API_DATABASE_CONNECTION_URL

    prefect_db = Path(PREFECT_API_DATABASE_CONNECTION_URL.value().split("///", 1)[1])
    written = [p for p in (tmp_path / "home").rglob("*") if p.is_file()]
    written += [p for p in prefect_db.parent.rglob("*") if p.is_file()]
    assert prefect_db in written and len(written) > 5
    for secret in (b"ncbi-key-must-not-leak", b"smtp-password-must-not-leak"):
        assert not [p for p in written if secret in p.read_bytes()]
        assert not [m for m in inbox.messages if secret.decode() in m.as_string()]
    markdown = [a for a in artifacts if a.key == "kapwatch-digest"]
    assert markdown and any("2026-W46" in str(a.data) for a in markdown)
    assert any(a.key == "kapwatch-studies" and "90000001" in str(a.data) for a in artifacts)
    digest1 = json.loads(Path(next(p for p in first["digest"] if p.endswith(".json"))).read_text())
    digest2 = json.loads(Path(next(p for p in second["digest"] if p.endswith(".json"))).read_text())
    pmids1 = {s["pmid"] for s in digest1["studies"]}
    pmids2 = {s["pmid"] for s in digest2["studies"]}
    assert {"90000001", "90000002"} <= pmids1 and pmids2 == {"90000003"}
    failed = [s["name"] for s in digest1["sources"] if s["status"] == "error"]
    assert failed == ["captcha-journal"]
    # One email per window, the re-run of a delivered window sends nothing.
    assert [m["X-Kapwatch-Window"] for m in inbox.messages] == ["2026-W46", "2026-W47"]
    assert again["delivery"] == []
    assert (
        "1 claim update" in inbox.messages[0]["Subject"]
        or "claim updates" in inbox.messages[0]["Subject"]
    )


def test_prefect_yaml_deployment_fits_the_flow() -> None:
    from kapwatch.flow import weekly_digest

    spec = yaml.safe_load((ROOT / "prefect.yaml").read_text(encoding="utf-8"))
    (deployment,) = spec["deployments"]
    assert deployment["entrypoint"] == "kapwatch.flow:weekly_digest"
    assert spec["pull"] == []  # nothing machine-specific: the worker imports kapwatch
    weekly_digest.validate_parameters(deployment.get("parameters", {}))
    (schedule,) = deployment["schedules"]
    assert schedule["cron"] == "0 7 * * 1"
    from zoneinfo import ZoneInfo

    ZoneInfo(schedule["timezone"])


def test_weekly_digest_signature() -> None:
    from kapwatch.flow import weekly_digest

    params = weekly_digest.validate_parameters({"since": "2026-11-01", "send": False})
    assert params["since"] == date(2026, 11, 1) and params["send"] is False


@pytest.mark.parametrize("timezone", ["from-yaml", "America/New_York", "Europe/Berlin"])
def test_the_schedule_is_monday_0700_local_across_daylight_saving(timezone: str) -> None:
    from datetime import UTC, datetime
    from zoneinfo import ZoneInfo

    from prefect.server.schemas.schedules import CronSchedule

    spec = yaml.safe_load((ROOT / "prefect.yaml").read_text(encoding="utf-8"))
    (schedule,) = spec["deployments"][0]["schedules"]
    zone = schedule["timezone"] if timezone == "from-yaml" else timezone
    # Prefect's own scheduler code computes the dates, from October into November 2026, when
    # both the US (1 November) and the EU (25 October) leave summer time.
    cron = CronSchedule(cron=schedule["cron"], timezone=zone)
    dates = cron.get_dates(n=6, start=datetime(2026, 10, 5, tzinfo=UTC))
    runs = asyncio.run(dates) if inspect.isawaitable(dates) else dates
    local = [run.astimezone(ZoneInfo(zone)) for run in runs]
    assert [d.weekday() for d in local] == [0] * 6
    assert {(d.hour, d.minute) for d in local} == {(7, 0)}
    assert [(b - a).days for a, b in itertools.pairwise(local)] == [7] * 5
    if zone != "UTC":
        utc_hours = {run.astimezone(UTC).hour for run in runs}
        assert len(utc_hours) == 2  # the UTC hour moves with the clocks; local time does not


def test_a_second_run_started_meanwhile_stops_with_a_clear_message(
    harness: None, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    from kapwatch.flow import weekly_digest
    from kapwatch.store import RunLocked, Store

    for name, value in {
        "KAPWATCH_HOME": str(settings.home),
        "KAPWATCH_DATABASE_URL": settings.db_url,
        "KAPWATCH_EUTILS_URL": settings.eutils_url,
        "KAPWATCH_SEEDS_DIR": str(settings.seeds_dir),
        "KAPWATCH_FEEDS_FILE": str(settings.feeds_path),
    }.items():
        monkeypatch.setenv(name, value)
    with (
        Store(settings.db_url).exclusive("other-host pid 7"),
        pytest.raises(RunLocked, match=r"another kapwatch run \(other-host pid 7\)"),
    ):
        weekly_digest(since=WEEK1[0], until=WEEK1[1], send=True)
    assert not (settings.digests_dir / "2026-W46.json").exists()
