"""`kapwatch review`, `kapwatch verdict` and `kapwatch claims`: thin commands over the library."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from kapwatch.review.app import DEFAULT_PORT, UnsafeBind, check_bind, is_loopback, make_app
from kapwatch.review.judge import claims_ledger, export_toml, record
from kapwatch.seeds.articles import Seeds
from kapwatch.store import Store, VerdictError
from kapwatch.vocabulary import VERDICTS


def _open() -> tuple[Store, Seeds, str]:
    from kapwatch.cli.common import INPUT_ERRORS, fail, load_settings
    from kapwatch.seeds.articles import load_seeds

    settings = load_settings()
    try:
        return Store(settings.db_url), load_seeds(settings.seeds_dir), settings.reviewer_name
    except INPUT_ERRORS as exc:
        fail(str(exc))
        raise


def review(
    port: Annotated[int, typer.Option(help="Port to listen on.")] = DEFAULT_PORT,
    host: Annotated[
        str, typer.Option(help="Address to listen on; other than loopback only with --token.")
    ] = "127.0.0.1",
    token: Annotated[
        str | None,
        typer.Option(help="Access token: every visitor opens the page once with ?token=TOKEN."),
    ] = None,
    export: Annotated[
        Path | None,
        typer.Option(help="Write every verdict to FILE in tests/eval's TOML format, then exit."),
    ] = None,
) -> None:
    """Review the engine's suggested links on a local web page (or --export the verdicts)."""
    from kapwatch.cli.common import console, err, fail

    store, seeds, reviewer = _open()
    if export is not None:
        export.write_text(export_toml(store), encoding="utf-8")
        console.print(f"Wrote {len(store.all_verdicts())} verdicts to {export}")
        return
    try:
        check_bind(host, token)
    except UnsafeBind as exc:
        fail(str(exc))
    if not is_loopback(host):
        err.print(
            f"[yellow]warning:[/] listening on {host}: anyone who can reach it and has the token "
            "can change verdicts; prefer 127.0.0.1 or an SSH tunnel"
        )
    import uvicorn

    app, _ = make_app(store, seeds, reviewer, token)
    where = f"http://{host}:{port}/" + (f"?token={token}" if token else "")
    console.print(f"Review page: {where} (as {reviewer}); Ctrl-C to stop.")
    uvicorn.run(app, host=host, port=port, log_level="warning")


def verdict(
    study: Annotated[str, typer.Argument(help="The study's PMID or DOI.")],
    claim: Annotated[str, typer.Argument(help="A claim id or a claim family id.")],
    stance: Annotated[str, typer.Argument(help=f"One of: {', '.join(VERDICTS)}.")],
    note: Annotated[str, typer.Option(help="Why, in a line.")] = "",
) -> None:
    """Record a verdict on a study and a claim: it overrides the engine from now on."""
    from kapwatch.cli.common import console, fail

    store, seeds, reviewer = _open()
    try:
        claims = record(store, seeds, study, claim, stance, reviewer, note)
    except VerdictError as exc:
        fail(str(exc))
        return
    console.print(f"{study}: {stance.lower()} for {', '.join(claims)} (by {reviewer})")


def claims(
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")] = False,
) -> None:
    """Every claim with its ledger: links a reader confirmed and links only suggested, apart."""
    from rich.table import Table

    from kapwatch.cli.common import console

    store, seeds, _ = _open()
    rows = claims_ledger(store, seeds)
    if as_json:
        print(json.dumps(rows, indent=2, ensure_ascii=False))
        return
    table = Table(title="Claims: confirmed and suggested links by stance")
    for column in ("claim", "family", "confirmed", "suggested"):
        table.add_column(column)
    for row in rows:
        ledger = row["ledger"]
        table.add_row(
            row["id"],
            row["family"] if row["linkable"] else "(not linked)",
            _counts(ledger["confirmed"]["stances"]),
            _counts(ledger["suggested"]["stances"]),
        )
    console.print(table)


def _counts(stances: dict[str, int]) -> str:
    return ", ".join(f"{n} {stance}" for stance, n in sorted(stances.items())) or "-"


def register(app: typer.Typer) -> None:
    """Add these commands to the `kapwatch` CLI."""
    app.command()(review)
    app.command()(verdict)
    app.command()(claims)
