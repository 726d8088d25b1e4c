"""`kapwatch run` and `kapwatch demo`: the weekly_digest flow for one window, and the same against
recorded responses served on 127.0.0.1."""

from __future__ import annotations

import os
import tempfile
import tomllib
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from kapwatch.cli.common import (
    BAD_INPUT,
    INPUT_ERRORS,
    NO_DIGEST,
    NOT_DELIVERED,
    console,
    fail,
    load_settings,
    parse_day,
    prefect_environment,
    show_progress,
)
from kapwatch.store import RunLocked, Store

DEMO_DIR = Path(__file__).resolve().parent.parent / "demo"
SINCE_HELP = "First day (YYYY-MM-DD); default: end of the last window, or 7 days ago."
UNTIL_HELP = "Last day (YYYY-MM-DD), not after today; default: today."
SEND_HELP = (
    "Deliver the digest (email, or the outbox when no SMTP host is set); --no-send writes it "
    "and leaves it pending for `kapwatch send` or the next run."
)
HOME_HELP = (
    "Where to write the demo's store and digest; default: --home, or a new temporary folder."
)


def run_flow(since: date | None, until: date | None, send: bool) -> dict[str, Any]:
    """Validate input, then run the weekly_digest flow; exits with one line on failure."""
    from kapwatch.pipeline import WindowError, check_dates, prepare

    settings = load_settings()
    try:
        check_dates(since, until, datetime.now(settings.tz).date())
        prepare(settings)  # bad seeds, feeds or database stop here, before Prefect starts
        Store(settings.db_url)
    except (WindowError, *INPUT_ERRORS) as exc:
        fail(str(exc))
    prefect_environment(settings)
    show_progress()
    result, failure = flow_outcome(since, until, send)
    if result is not None:
        print_summary(result)
    if failure is not None:
        fail(*failure)
    assert result is not None
    return result


def flow_outcome(
    since: date | None, until: date | None, send: bool
) -> tuple[dict[str, Any] | None, tuple[str, int] | None]:
    """The flow's summary, and what stopped it (the one line and the exit code), if anything."""
    from kapwatch.pipeline import NotDelivered, RunError, WindowError

    with console.status("Running the weekly digest flow (Prefect starts a local server)…"):
        from kapwatch.flow import weekly_digest

        try:
            return weekly_digest(since=since, until=until, send=send), None
        except NotDelivered as exc:
            return exc.result, (str(exc), NOT_DELIVERED)
        except (WindowError, *INPUT_ERRORS) as exc:
            return None, (str(exc), BAD_INPUT)
        except (RunError, RunLocked) as exc:
            return None, (str(exc), NO_DIGEST)
        except KeyboardInterrupt:
            return None, ("stopped before the run finished", NO_DIGEST)


def print_summary(result: dict[str, Any]) -> None:
    table = Table(title=f"kapwatch {result['label']}: {result['since']} to {result['until']}")
    table.add_column("source")
    table.add_column("status")
    table.add_column("items", justify="right")
    table.add_column("kept", justify="right")
    table.add_column("note")
    colours = {"ok": "green", "empty": "yellow", "error": "red"}
    for s in result["sources"]:
        status = f"[{colours.get(s['status'], 'white')}]{s['status']}[/]"
        table.add_row(s["name"], status, str(s["items"]), str(s["kept"]), s["error"] or "")
    console.print(table)
    console.print(
        f"New studies: {result['new_studies']} ({result['relevant']} relevant, "
        f"{result['claim_updates']} claim updates); stored {result['stored_new']} new, "
        f"merged {result['stored_merged']} duplicates."
    )
    for line in result["delivery"]:
        console.print(f"Delivery: {line}")
    console.print("Digest:")
    for path in result["digest"]:
        console.print(f"  {path}")


def run(
    since: Annotated[str | None, typer.Option(help=SINCE_HELP)] = None,
    until: Annotated[str | None, typer.Option(help=UNTIL_HELP)] = None,
    send: Annotated[bool, typer.Option("--send/--no-send", help=SEND_HELP)] = True,
) -> None:
    """Run the weekly digest for a window: search, deduplicate, assess, render, deliver."""
    run_flow(parse_day(since, "--since"), parse_day(until, "--until"), send)


@contextmanager
def demo_environment(home: Path) -> Iterator[dict[str, Any]]:
    """Start the stand-in with the bundled recordings and point the settings at it."""
    from kapwatch.demo.standin import StandIn, serve

    config = tomllib.loads((DEMO_DIR / "demo.toml").read_text(encoding="utf-8"))
    data = StandIn(feeds_dir=DEMO_DIR / "feeds", replay=True)
    data.load_pubmed(DEMO_DIR / "pubmed.xml")
    # The records the seed references point to, for the citation check (never in a window).
    data.load_pubmed(DEMO_DIR / "citations.xml", listed=False)
    with serve(data) as server:
        lines = ["# Demo feeds, served by the loopback stand-in"]
        for feed in config["feeds"]:
            lines += ["", "[[feeds]]", f'url = "{server.url}/feeds/{feed["file"]}"']
            lines += [
                f'{key} = "{feed[key]}"' for key in ("name", "publisher", "kind") if key in feed
            ]
        feeds_file = home / "feeds.toml"
        feeds_file.write_text("\n".join(lines) + "\n", encoding="utf-8")
        env = {
            "KAPWATCH_HOME": str(home),
            "KAPWATCH_EUTILS_URL": server.eutils_url,
            "KAPWATCH_FEEDS_FILE": str(feeds_file),
            "KAPWATCH_DATABASE_URL": "",
            "KAPWATCH_SMTP_HOST": "",
            "KAPWATCH_NCBI_EMAIL": "demo@example.org",
        }
        previous = {k: os.environ.get(k) for k in env}
        os.environ.update(env)
        try:
            yield config
        finally:
            for key, value in previous.items():
                if value is None:
                    os.environ.pop(key, None)
                else:
                    os.environ[key] = value


def demo(
    ctx: typer.Context,
    home: Annotated[Path | None, typer.Option(help=HOME_HELP)] = None,
) -> None:
    """Run the real flow against recorded PubMed and feed responses served on 127.0.0.1."""
    home = home or (ctx.obj or {}).get("home") or Path(tempfile.mkdtemp(prefix="kapwatch-demo-"))
    home.mkdir(parents=True, exist_ok=True)
    console.print(f"Demo home: {home}")
    with demo_environment(home.resolve()) as config:
        until = datetime.now(load_settings().tz).date()
        since = until - timedelta(days=int(config["window"]["days"]))
        result = run_flow(since, until, send=True)
    html = next(p for p in result["digest"] if p.endswith(".html"))
    console.print(f"\n[bold]Open the digest:[/] {html}")
