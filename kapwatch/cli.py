"""The `kapwatch` command: run, demo, seeds, serve."""

from __future__ import annotations

import json
import logging
import os
import sys
import tempfile
import tomllib
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.logging import RichHandler
from rich.table import Table

from kapwatch.seeds.articles import Article, SeedError, Seeds, load_seeds
from kapwatch.seeds.lexicon import LexiconError
from kapwatch.settings import Settings, SettingsError, redact
from kapwatch.sources.feeds import FeedsFileError
from kapwatch.store import RunLocked, Store, StoreError

app = typer.Typer(
    help="Weekly literature monitor for ketamine-assisted psychotherapy (KAP).",
    no_args_is_help=True,
    add_completion=False,
)
console = Console()
err = Console(stderr=True)
DEMO_DIR = Path(__file__).parent / "demo"
INPUT_ERRORS = (SettingsError, SeedError, FeedsFileError, LexiconError, StoreError)
WEEKLY = "0 7 * * 1"  # Mondays 07:00, as in prefect.yaml
SINCE_HELP = "First day (YYYY-MM-DD); default: end of the last window, or 7 days ago."
SEND_HELP = "Deliver the digest (email, or the outbox when no SMTP host is set)."
HOME_HELP = "Where to write the demo's store and digest; default: a new temporary folder."


def fail(message: str, code: int = 2) -> None:
    """One clear line on stderr, then exit."""
    err.print(f"[bold red]kapwatch:[/] {message}", highlight=False, soft_wrap=True)
    raise typer.Exit(code)


def load_settings() -> Settings:
    try:
        return Settings.from_env()
    except SettingsError as exc:
        fail(str(exc))
        raise  # unreachable: fail() exits


def parse_day(value: str | None, option: str) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        fail(f"{option}: expected a date as YYYY-MM-DD, got {value!r}")
        raise


def show_progress() -> None:
    """kapwatch's own progress lines (PubMed batches, each feed) on the terminal."""
    handler = RichHandler(console=err, show_path=False, show_level=False, markup=False)
    handler.setFormatter(logging.Formatter("%(message)s"))
    logger = logging.getLogger("kapwatch")
    logger.handlers = [handler]
    logger.setLevel(logging.INFO)
    logger.propagate = False


def prefect_environment(settings: Settings) -> None:
    """Quiet, offline-friendly Prefect defaults; any PREFECT_* the user set wins."""
    os.environ.setdefault("PREFECT_HOME", str((settings.home / "prefect").resolve()))
    os.environ.setdefault("DO_NOT_TRACK", "1")
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "60")
    os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")


def run_flow(since: date | None, until: date | None, send: bool) -> dict[str, Any]:
    """Validate input, then run the weekly_digest flow; exits with one line on failure."""
    from kapwatch.pipeline import RunError, prepare

    settings = load_settings()
    try:
        prepare(settings)  # bad seeds, feeds or database stop here, before Prefect starts
        Store(settings.db_url)
    except INPUT_ERRORS as exc:
        fail(str(exc))
    prefect_environment(settings)
    show_progress()
    with console.status("Running the weekly digest flow (Prefect starts a local server)…"):
        from kapwatch.flow import weekly_digest

        try:
            return weekly_digest(since=since, until=until, send=send)
        except (RunError, RunLocked) as exc:
            fail(str(exc), code=1)
        except INPUT_ERRORS as exc:
            fail(str(exc))
    raise AssertionError("unreachable")


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


@app.command()
def run(
    since: Annotated[
        str | None,
        typer.Option(
            help="First day (YYYY-MM-DD); default: end of the last window, or 7 days ago."
        ),
    ] = None,
    until: Annotated[
        str | None, typer.Option(help="Last day (YYYY-MM-DD); default: today.")
    ] = None,
    send: Annotated[
        bool, typer.Option("--send/--no-send", help="Deliver the digest (email or outbox).")
    ] = True,
) -> None:
    """Run the weekly digest for a window: search, deduplicate, assess, render, deliver."""
    result = run_flow(parse_day(since, "--since"), parse_day(until, "--until"), send)
    print_summary(result)


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


@app.command()
def demo(
    home: Annotated[
        Path | None,
        typer.Option(
            help="Where to write the demo's store and digest; default: a new temporary folder."
        ),
    ] = None,
) -> None:
    """Run the real flow against recorded PubMed and feed responses served on 127.0.0.1."""
    home = home or Path(tempfile.mkdtemp(prefix="kapwatch-demo-"))
    home.mkdir(parents=True, exist_ok=True)
    console.print(f"Demo home: {home}")
    with demo_environment(home.resolve()) as config:
        until = datetime.now(load_settings().tz).date()
        since = until - timedelta(days=int(config["window"]["days"]))
        result = run_flow(since, until, send=True)
    print_summary(result)
    html = next(p for p in result["digest"] if p.endswith(".html"))
    console.print(f"\n[bold]Open the digest:[/] {html}")


def lookup_references(settings: Settings, seeds: Seeds, refresh: bool) -> list[Any]:
    """Every reference's verdict, looked up in PubMed unless the store has it cached."""
    from kapwatch.seeds import citations
    from kapwatch.sources.eutils import Eutils, EutilsError

    try:
        store = Store(settings.db_url)
    except StoreError as exc:
        fail(str(exc))
        raise
    known = {} if refresh else citations.from_store(store.citation_checks())
    try:
        with (
            console.status("Looking up the references in PubMed…") as status,
            Eutils.from_settings(settings) as eutils,
        ):
            checks = citations.check_references(
                eutils, seeds, known, progress=lambda key: status.update(f"Looked up {key}…")
            )
    except EutilsError as exc:
        fail(f"PubMed citation check failed: {redact(str(exc), settings.secrets)}", code=1)
        raise
    store.save_citation_checks({c.fingerprint: c.as_json() for c in checks})
    return checks


def print_checks(checks: list[Any]) -> None:
    colours = {"verified": "green", "details_differ": "yellow", "corrected": "yellow"}
    table = Table(title="Citation check: each reference against PubMed", show_lines=True)
    for column in ("seed / key", "status", "what", "real record"):
        table.add_column(column)
    for c in checks:
        status = ", ".join(f"[{colours.get(x, 'red')}]{x}[/]" for x in c.status)
        table.add_row(f"{c.seed}\n{c.key}", status, c.note or "as printed", c.citation or "-")
    console.print(table)
    problems = sum(1 for c in checks if set(c.status) - {"verified"})
    console.print(f"{len(checks) - problems} of {len(checks)} references check out as printed.")


@app.command("seeds")
def seeds_command(
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of tables.")] = False,
    check: Annotated[
        bool,
        typer.Option(
            "--check",
            help="Look up every reference in PubMed: verified, details_differ, off_topic, "
            "retracted, corrected or not_found (cached in the store).",
        ),
    ] = False,
    refresh: Annotated[
        bool, typer.Option("--refresh", help="With --check: look up again, ignoring the cache.")
    ] = False,
) -> None:
    """Show what kapwatch reads from the seed articles: claims, references, terms, query."""
    settings = load_settings()
    try:
        seeds = load_seeds(settings.seeds_dir)
    except INPUT_ERRORS as exc:
        fail(str(exc))
        return
    if check:
        checks = lookup_references(settings, seeds, refresh)
        if as_json:
            print(json.dumps([c.as_json() for c in checks], indent=2, ensure_ascii=False))
        else:
            print_checks(checks)
        return
    if as_json:
        print(json.dumps(seeds_json(seeds), indent=2, ensure_ascii=False))
        return
    for article in seeds.articles:
        print_article(article)
    console.rule("[bold]Search terms[/]")
    for concept, terms in seeds.terms().items():
        console.print(f"[bold]{concept}[/]: {', '.join(terms)}")
    console.rule("[bold]PubMed query[/]")
    console.print(seeds.query(), highlight=False, soft_wrap=True)


def print_article(article: Article) -> None:
    """One seed article's claims and references, as tables."""
    console.rule(f"[bold]{article.title}[/] ({article.file})")
    claims = Table(title=f"{len(article.claims)} claims", show_lines=True)
    claims.add_column("id", no_wrap=True)
    claims.add_column("claim")
    claims.add_column("cites")
    claims.add_column("restated / family")
    for claim in article.claims:
        claims.add_row(
            claim.id,
            claim.text,
            ", ".join(claim.citations) or "(uncited)",
            f"{claim.restated}\n[dim]{claim.family if claim.linkable else 'not linked'}[/]",
        )
    console.print(claims)
    refs = Table(title=f"{len(article.references)} references")
    for column in ("key", "authors", "year", "title", "journal", "vol(issue):pages", "doi"):
        refs.add_column(column)
    for ref in article.references:
        where = f"{ref.volume}({ref.issue}):{ref.pages}" if ref.volume else ""
        authors = ", ".join(ref.authors[:3]) + (" et al." if ref.et_al else "")
        refs.add_row(ref.key, authors, str(ref.year), ref.title, ref.journal, where, ref.doi or "")
    console.print(refs)
    if article.unresolved:
        missing = ", ".join(article.unresolved)
        console.print(f"[yellow]Citations with no reference in the list:[/] {missing}")


def seeds_json(seeds: Seeds) -> dict[str, Any]:
    return {
        "articles": [
            {
                "file": a.file,
                "id": a.id,
                "title": a.title,
                "publisher": a.publisher,
                "references": [vars(r) for r in a.references],
                "claims": [
                    {
                        "id": c.id,
                        "text": c.text,
                        "references": c.references,
                        "citations": c.citations,
                        "concepts": c.concepts,
                        "form": c.form,
                        "restated": c.restated,
                        "family": c.family,
                        "linkable": c.linkable,
                    }
                    for c in a.claims
                ],
                "unresolved_citations": a.unresolved,
            }
            for a in seeds.articles
        ],
        "families": [
            {"id": f.id, "title": f.title, "members": list(f.members)} for f in seeds.families
        ],
        "terms": seeds.terms(),
        "query": seeds.query(),
    }


@app.command()
def serve(
    cron: Annotated[
        str, typer.Option(help="When to run (cron, in KAPWATCH_TIMEZONE).")
    ] = "0 7 * * 1",
) -> None:
    """Run the weekly schedule on this machine (no work pool needed; Ctrl-C stops it)."""
    settings = load_settings()
    prefect_environment(settings)
    from prefect.schedules import Cron

    from kapwatch.flow import weekly_digest

    console.print(f"Serving weekly-digest on '{cron}' ({settings.timezone}); Ctrl-C to stop.")
    weekly_digest.serve(name="kapwatch-weekly", schedules=[Cron(cron, timezone=settings.timezone)])


from kapwatch.review.commands import register as register_review  # noqa: E402

register_review(app)


def main() -> None:  # pragma: no cover - console entry point
    app()


if __name__ == "__main__":  # pragma: no cover
    sys.exit(app())
