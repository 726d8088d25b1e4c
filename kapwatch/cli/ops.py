"""The operator's commands: `serve` (the schedule), `send` and `digests` (delivery by hand and
its state), `check` (the input, without network)."""

from __future__ import annotations

import json
import logging
import os
import socket
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.logging import RichHandler
from rich.table import Table

from kapwatch.cli.common import (
    BAD_INPUT,
    INPUT_ERRORS,
    NO_DIGEST,
    NOT_DELIVERED,
    console,
    err,
    fail,
    load_settings,
    prefect_environment,
)
from kapwatch.settings import Settings
from kapwatch.store import RunLocked, Store

WEEKLY = "0 7 * * 1"  # Mondays 07:00, as in prefect.yaml
FILE_SUFFIXES = (".html", ".txt", ".json", ".ris", ".bib")


def open_store(settings: Settings) -> Store:
    try:
        return Store(settings.db_url)
    except INPUT_ERRORS as exc:
        fail(str(exc))


def serve(
    cron: Annotated[str, typer.Option(help="When to run (cron, in KAPWATCH_TIMEZONE).")] = WEEKLY,
) -> None:
    """Run the weekly schedule on this machine until stopped (SIGTERM or Ctrl-C)."""
    from kapwatch.pipeline import prepare
    from kapwatch.serve import Schedule, ScheduleError, Scheduler, serve_forever

    settings = load_settings()
    try:
        schedule = Schedule(cron, settings.tz)
        prepare(settings)  # bad seeds or feeds stop here, not at the first scheduled time
    except (ScheduleError, *INPUT_ERRORS) as exc:
        fail(str(exc))
    prefect_environment(settings)  # creates $KAPWATCH_HOME; each run inherits the environment
    store = open_store(settings)

    def last_digest() -> datetime | None:
        window = store.last_window()
        return window.rendered if window is not None else None

    handler = RichHandler(console=err, show_path=False, markup=False)
    logger = logging.getLogger("kapwatch.serve")
    logger.handlers, logger.propagate = [handler], False
    logger.setLevel(logging.INFO)
    logger.info(
        "serving the weekly digest on %r in %s (home %s)", cron, settings.timezone, settings.home
    )
    serve_forever(Scheduler(schedule, last_digest))


def send(
    week: Annotated[
        str | None,
        typer.Argument(help="The window's label (e.g. 2026-W47); default: every pending one."),
    ] = None,
    again: Annotated[
        bool, typer.Option("--again", help="Send it even if it was delivered before.")
    ] = False,
) -> None:
    """Deliver digests already written: the pending ones, or the week named (once; --again)."""
    from kapwatch.pipeline import NotDelivered, RunError, WindowError, send_windows

    settings = load_settings()
    store = open_store(settings)
    try:
        with store.exclusive(f"{socket.gethostname()} pid {os.getpid()} (send)"):
            lines = send_windows(settings, store, week, again)
    except WindowError as exc:
        fail(str(exc), BAD_INPUT)
    except NotDelivered as exc:
        fail(str(exc), NOT_DELIVERED)
    except (RunError, RunLocked) as exc:
        fail(str(exc), NO_DIGEST)
    for line in lines:
        console.print(line, highlight=False)


def digests(
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")] = False,
) -> None:
    """List the windows: dates, whether a digest was written, its delivery, its files."""
    settings = load_settings()
    rows = [window_row(settings, w, d) for w, d in open_store(settings).history()]
    if as_json:
        print(json.dumps(rows, indent=2))
        return
    if not rows:
        console.print("No windows yet: `kapwatch run` makes the first digest.")
        return
    table = Table(title=f"Digests in {settings.digests_dir}")
    for column in ("window", "dates", "digest", "delivery", "files"):
        table.add_column(column, overflow="fold")  # a path is shown whole, over several lines
    for row in rows:
        delivery = "\n".join(
            f"{ch}: {d['state']} {d['detail']}".strip() for ch, d in row["delivery"].items()
        )
        files = [*row["files"][:1], " ".join(Path(f).suffix for f in row["files"][1:])]
        table.add_row(
            row["label"],
            f"{row['since']} to {row['until']}",
            (row["rendered"] or "not written").replace("T", " "),
            delivery or "-",
            "\n".join(files) or "-",
        )
    console.print(table, soft_wrap=True)


def window_row(settings: Settings, window: Any, deliveries: list[Any]) -> dict[str, Any]:
    rendered = window.rendered
    if rendered is not None:
        rendered = rendered.replace(tzinfo=rendered.tzinfo or UTC).isoformat(timespec="seconds")
    stem = settings.digests_dir / window.label
    return {
        "label": window.label,
        "since": window.since.isoformat(),
        "until": window.until.isoformat(),
        "rendered": rendered,
        "delivery": {d.channel: {"state": d.state, "detail": d.detail} for d in deliveries},
        "files": [str(p) for s in FILE_SUFFIXES if (p := stem.with_name(stem.name + s)).is_file()],
    }


def check() -> None:
    """Check the settings, seeds and feeds file without touching the network."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError, NoSuchModuleError

    from kapwatch.pipeline import prepare

    settings = load_settings()
    try:
        setup = prepare(settings)
    except INPUT_ERRORS as exc:
        fail(str(exc))
    try:
        make_url(settings.db_url).get_dialect()
    except (ArgumentError, NoSuchModuleError, ImportError) as exc:
        fail(f"KAPWATCH_DATABASE_URL: cannot use it: {exc}")
    seeds = setup.seeds
    claims = sum(len(a.claims) for a in seeds.articles)
    console.print(f"settings: ok (home {settings.home}, time zone {settings.timezone})")
    console.print(f"seeds: {len(seeds.articles)} articles, {claims} claims ({settings.seeds_dir})")
    console.print(f"sources: {', '.join(s.name for s in setup.sources)} ({settings.feeds_path})")
    where = (
        f"email via {settings.smtp_host}:{settings.smtp_port_effective} to {', '.join(settings.mail_to) or settings.mail_from}"
        if settings.smtp_host
        else f"outbox {settings.outbox_dir}"
    )
    console.print(f"delivery: {where}")
