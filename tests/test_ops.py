"""The operator's view, through the real CLI in a subprocess: each stop is one line on stderr
(`kapwatch: …`, no traceback) with the documented exit code; --no-send, send and digests;
serve running the schedule."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller

from kapwatch.demo.standin import Running

from .conftest import ROOT, SEEDS_DIR, Inbox
from .helpers import write_feeds

CLI = [sys.executable, "-m", "kapwatch.cli"]


def base_env(home: Path, **extra: str) -> dict[str, str]:
    """The test process's environment without any KAPWATCH_* or PREFECT_HOME (so Prefect's
    home is $KAPWATCH_HOME/prefect), plus these settings."""
    env = {
        k: v for k, v in os.environ.items() if not k.startswith("KAPWATCH_") and k != "PREFECT_HOME"
    }
    return {**env, "KAPWATCH_HOME": str(home), "KAPWATCH_SEEDS_DIR": str(SEEDS_DIR), **extra}


def cli(env: dict[str, str], *args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*CLI, *args], env=env, cwd=ROOT, capture_output=True, text=True, timeout=timeout
    )


def stops(done: subprocess.CompletedProcess[str], code: int, *fragments: str) -> str:
    """The command exited with `code`, no traceback, and its last stderr line is the reason."""
    assert done.returncode == code, done.stdout + done.stderr
    assert "Traceback" not in done.stderr, done.stderr
    last = done.stderr.strip().splitlines()[-1]
    assert last.startswith("kapwatch: "), done.stderr
    for fragment in fragments:
        assert fragment in last, last
    return last


@pytest.mark.parametrize(
    ("args", "extra", "fragments"),
    [
        (["run"], {"KAPWATCH_SMTP_PORT": "99999"}, ["KAPWATCH_SMTP_PORT", "1 to 65535"]),
        (["check"], {"KAPWATCH_SMTP_PORT": "0"}, ["KAPWATCH_SMTP_PORT"]),
        (["run", "--until", "2999-01-01"], {}, ["--until 2999-01-01 is after today"]),
        (
            ["run", "--since", "2026-11-20", "--until", "2026-11-10"],
            {},
            ["--since 2026-11-20 is after --until 2026-11-10"],
        ),
        (["run", "--since", "last week"], {}, ["--since: expected a date"]),
        (["send", "2026-W01"], {}, ["no window '2026-W01'"]),
        (["serve", "--cron", "every monday"], {}, ["--cron 'every monday'"]),
    ],
)
def test_bad_input_is_one_line_and_exit_2(
    tmp_path: Path, args: list[str], extra: dict[str, str], fragments: list[str]
) -> None:
    stops(cli(base_env(tmp_path / "home", **extra), *args), 2, *fragments)


@pytest.mark.parametrize(
    ("name", "text", "fragments"),
    [
        (
            "feeds.toml",
            '[[feeds]]\nname = "x"\nurl = "https://example.org/rss"\npublsher = "X"\n',
            ["feeds.toml: feeds[0]: unknown key 'publsher'", "did you mean 'publisher'"],
        ),
        ("feeds.toml", '[[feed]]\nname = "x"\n', ["the file: unknown key 'feed'", "'feeds'"]),
        (
            "manifest.toml",
            None,
            ["manifest.toml: articles[1]: unknown key 'titel'", "did you mean 'title'"],
        ),
        (
            "concepts.toml",
            None,
            ["concepts.toml: concepts.ketamine: unknown key 'trems'", "did you mean 'terms'"],
        ),
    ],
)
def test_unknown_keys_in_user_toml_files_stop_with_one_line(
    tmp_path: Path, name: str, text: str | None, fragments: list[str]
) -> None:
    seeds = tmp_path / "seeds"
    seeds.mkdir()
    for path in SEEDS_DIR.iterdir():
        (seeds / path.name).write_bytes(path.read_bytes())
    if name == "manifest.toml":
        text = (SEEDS_DIR / name).read_text().replace('title = "Ketamine Therapy', 'titel = "K')
    elif name == "concepts.toml":
        original = (SEEDS_DIR / name).read_text()
        head, tail = original.split("[concepts.ketamine]", 1)
        text = head + "[concepts.ketamine]" + tail.replace("terms =", "trems =", 1)
    assert text is not None
    (seeds / name).write_text(text, encoding="utf-8")
    env = base_env(tmp_path / "home", KAPWATCH_SEEDS_DIR=str(seeds))
    stops(cli(env, "check"), 2, *fragments)
    stops(cli(env, "run"), 2, *fragments)
    stops(cli(env, "serve"), 2, *fragments)  # before it waits for the first time


def test_check_version_and_home_on_every_command(tmp_path: Path) -> None:
    env = base_env(tmp_path / "elsewhere")
    done = cli(env, "--version")
    assert done.returncode == 0 and done.stdout.startswith("kapwatch ")
    home = tmp_path / "home"
    done = cli(env, "--home", str(home), "check")
    assert done.returncode == 0, done.stderr
    assert "seeds: 2 articles" in done.stdout and str(home) in done.stdout
    assert "pubmed" in done.stdout
    done = cli(env, "--home", str(home), "digests", "--json")
    assert done.returncode == 0 and json.loads(done.stdout) == []
    assert (home / "kapwatch.db").is_file() and not (tmp_path / "elsewhere").exists()


# --- through the flow (each starts Prefect's local server: ~15-30 s) ------------------------


def mail_env(home: Path, standin: Running, port: int, **extra: str) -> dict[str, str]:
    feeds = write_feeds(home.with_name("feeds.toml"), standin.url)
    return base_env(
        home,
        KAPWATCH_EUTILS_URL=standin.eutils_url,
        KAPWATCH_FEEDS_FILE=str(feeds),
        KAPWATCH_SMTP_HOST="127.0.0.1",
        KAPWATCH_SMTP_PORT=str(port),
        KAPWATCH_SMTP_SECURITY="none",
        KAPWATCH_SMTP_TIMEOUT="5",
        KAPWATCH_MAIL_TO="team@example.org",
        **extra,
    )


WEEK = ["--since", "2026-11-09", "--until", "2026-11-15"]


@pytest.mark.slow
def test_no_send_then_send_delivers_the_week_once(
    tmp_path: Path, standin: Running, smtp_server: tuple[Controller, Inbox]
) -> None:
    controller, inbox = smtp_server
    env = mail_env(tmp_path / "home", standin, controller.port)
    done = cli(env, "run", *WEEK, "--no-send")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "not sent (--no-send)" in done.stdout and inbox.messages == []
    (row,) = json.loads(cli(env, "digests", "--json").stdout)
    assert row["label"] == "2026-W46" and row["delivery"]["email"]["state"] == "pending"
    assert str(tmp_path / "home" / "digests" / "2026-W46.html") in row["files"]
    done = cli(env, "send")
    assert done.returncode == 0 and "2026-W46: emailed to team@example.org" in done.stdout
    done = cli(env, "send", "2026-W46")
    assert done.returncode == 0 and "already sent; not sent again" in done.stdout
    # A later run of the same window does not send it again either.
    done = cli(env, "run", *WEEK)
    assert done.returncode == 0, done.stdout + done.stderr
    assert [m["X-Kapwatch-Window"] for m in inbox.messages] == ["2026-W46"]
    assert cli(env, "send", "2026-W46", "--again").returncode == 0
    assert len(inbox.messages) == 2


def prefect_runs(home: Path) -> list[tuple[str, str]]:
    with sqlite3.connect(home / "prefect" / "prefect.db") as db:
        return [tuple(row) for row in db.execute("SELECT name, state_type FROM flow_run")]


@pytest.mark.slow
def test_a_refused_email_is_exit_3_and_a_failed_run(tmp_path: Path, standin: Running) -> None:
    home = tmp_path / "home"
    env = mail_env(home, standin, 1)  # nothing listens on port 1
    last = stops(cli(env, "run", *WEEK), 3, "digest written but not delivered", "2026-W46")
    assert "refused" in last
    assert (home / "digests" / "2026-W46.html").is_file()
    assert prefect_runs(home) == [("digest 2026-W46 (2026-11-09..2026-11-15)", "FAILED")]
    stops(cli(env, "send"), 3, "not delivered", "2026-W46")


@pytest.mark.slow
def test_every_source_down_and_the_run_lock_are_one_line_exit_1(tmp_path: Path) -> None:
    home = tmp_path / "home"
    feeds = tmp_path / "feeds.toml"
    feeds.write_text('[[feeds]]\nname = "down"\nurl = "http://127.0.0.1:1/rss"\n')
    env = base_env(
        home,
        KAPWATCH_EUTILS_URL="http://127.0.0.1:1/entrez/eutils/",
        KAPWATCH_FEEDS_FILE=str(feeds),
        KAPWATCH_HTTP_TIMEOUT="1",
    )
    stops(cli(env, "run", *WEEK), 1, "no source could be read")
    from kapwatch.store import Store

    store = Store(f"sqlite:///{home / 'kapwatch.db'}")
    with store.exclusive("another host pid 1"):
        stops(cli(env, "run", *WEEK), 1, "another kapwatch run (another host pid 1)")


def start_serve(env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("w") as out:
        return subprocess.Popen(
            [*CLI, "serve", "--cron", "* * * * *"], env=env, cwd=ROOT, stdout=out, stderr=out
        )


def stop_serve(serve: subprocess.Popen[bytes], log: Path) -> str:
    """SIGTERM, then a clean exit: code 0, "stopped" logged, no traceback."""
    serve.send_signal(signal.SIGTERM)
    code = serve.wait(timeout=60)
    text = log.read_text()
    assert code == 0 and "stopped" in text and "Traceback" not in text, text
    return text


def wait_for(condition: Callable[[], object], serve: subprocess.Popen[bytes], log: Path) -> float:
    started = time.monotonic()
    while time.monotonic() - started < 120 and not condition():
        assert serve.poll() is None, log.read_text()
        time.sleep(1)
    assert condition(), log.read_text()
    return time.monotonic() - started


@pytest.mark.slow
def test_serve_runs_the_schedule_survives_a_restart_and_stops_on_sigterm(
    tmp_path: Path, standin: Running, smtp_server: tuple[Controller, Inbox]
) -> None:
    controller, inbox = smtp_server
    env = mail_env(tmp_path / "home", standin, controller.port)
    home = tmp_path / "not-yet" / "home"  # a home whose parent does not exist yet
    env["KAPWATCH_HOME"] = str(home)
    first, second = tmp_path / "serve1.log", tmp_path / "serve2.log"
    serve = start_serve(env, first)
    try:
        took = wait_for(lambda: inbox.messages, serve, first)
        print(f"serve: first email {took:.0f} s after start")
        assert list((home / "digests").glob("*.html"))
    finally:
        text = stop_serve(serve, first)
    assert "next run:" in text and len(inbox.messages) == 1
    # Restarted: the next minute's run rebuilds the same window and sends nothing again.
    serve = start_serve(env, second)
    try:
        wait_for(lambda: "run finished" in second.read_text(), serve, second)
    finally:
        text = stop_serve(serve, second)
    assert "missed" not in text and "run finished: exit 0" in text
    assert len(inbox.messages) == 1


def test_the_scheduler_catches_up_only_a_time_missed_since_the_last_digest() -> None:
    from datetime import UTC, datetime
    from zoneinfo import ZoneInfo

    from kapwatch.serve import Schedule, Scheduler

    schedule = Schedule("0 7 * * 1", ZoneInfo("Europe/Berlin"))
    monday = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)  # 10:00 in Berlin, after the 07:00 run
    assert schedule.last_before(monday) == datetime(2026, 11, 30, 6, 0, tzinfo=UTC)
    assert schedule.next_after(monday) == datetime(2026, 12, 7, 6, 0, tzinfo=UTC)
    ran_at_0701 = datetime(2026, 11, 30, 6, 1)  # SQLite gives naive UTC
    for last, missed in [(None, None), (ran_at_0701, None), (datetime(2026, 11, 23, 6, 1), True)]:
        scheduler = Scheduler(schedule, lambda last=last: last, ["true"], clock=lambda: monday)
        assert (scheduler.missed() is not None) == bool(missed)
    stopped = Scheduler(schedule, lambda: None, ["true"], clock=lambda: monday)
    stopped.stop()
    stopped.loop()  # returns at once: stopped before the first wait


def test_stopping_the_scheduler_stops_the_run_in_progress() -> None:
    import threading
    from zoneinfo import ZoneInfo

    from kapwatch.serve import Schedule, Scheduler

    scheduler = Scheduler(Schedule("* * * * *", ZoneInfo("UTC")), lambda: None, ["sleep", "30"])
    codes: list[int] = []
    run = threading.Thread(target=lambda: codes.append(scheduler.run_once()))
    run.start()
    deadline = time.monotonic() + 10
    while scheduler.child is None and time.monotonic() < deadline:
        time.sleep(0.05)
    scheduler.stop()
    run.join(10)
    assert not run.is_alive() and codes == [-signal.SIGTERM]


BUG = """
import sys
import kapwatch.pipeline

def prepare(settings):
    raise RuntimeError("boom")

kapwatch.pipeline.prepare = prepare
sys.argv = ["kapwatch", "check"]
from kapwatch.cli import main
main()
"""


def test_an_unforeseen_error_is_one_line_unless_kapwatch_debug(tmp_path: Path) -> None:
    env = base_env(tmp_path / "home")
    done = subprocess.run(
        [sys.executable, "-c", BUG], env=env, cwd=ROOT, capture_output=True, text=True
    )
    stops(done, 1, "RuntimeError: boom", "KAPWATCH_DEBUG=1")
    env["KAPWATCH_DEBUG"] = "1"
    done = subprocess.run(
        [sys.executable, "-c", BUG], env=env, cwd=ROOT, capture_output=True, text=True
    )
    assert done.returncode == 1 and "Traceback" in done.stderr and "boom" in done.stderr
