"""The `kapwatch` command: run, demo, seeds, serve, send, digests, check, init, and the
reader's review, verdict and claims.

Each command is a few lines over the library (kapwatch.pipeline, kapwatch.serve, the store).
Whatever stops a command ends as one line on stderr, `kapwatch: …`, with the exit code the
README documents; a traceback only with KAPWATCH_DEBUG=1.
"""

from __future__ import annotations

import os
import signal
import sys
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from types import FrameType
from typing import Annotated

import typer

from kapwatch.cli import init, ops, run, seeds
from kapwatch.cli.common import NO_DIGEST, debug, err
from kapwatch.review import commands as review

app = typer.Typer(
    help="Weekly literature monitor for ketamine-assisted psychotherapy (KAP).",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
app.command()(run.run)
app.command()(run.demo)
app.command("seeds")(seeds.seeds_command)
app.command()(ops.serve)
app.command()(ops.send)
app.command()(ops.digests)
app.command()(ops.check)
app.command()(init.init)
review.register(app)


def kapwatch_version() -> str:
    try:
        return version("kapwatch")
    except PackageNotFoundError:  # pragma: no cover - running from a bare checkout
        return "unknown"


def show_version(value: bool) -> None:
    if value:
        print(f"kapwatch {kapwatch_version()}")
        raise typer.Exit()


@app.callback()
def options(
    ctx: typer.Context,
    home: Annotated[
        Path | None,
        typer.Option(
            "--home",
            help="kapwatch's folder (store, digests, outbox); the same as KAPWATCH_HOME.",
        ),
    ] = None,
    _version: Annotated[
        bool,
        typer.Option(
            "--version", is_eager=True, callback=show_version, help="Print the version and exit."
        ),
    ] = False,
) -> None:
    """Weekly literature monitor for ketamine-assisted psychotherapy (KAP)."""
    ctx.obj = {"home": home}
    if home is not None:
        os.environ["KAPWATCH_HOME"] = str(home)


def _interrupt(_signum: int, _frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def main() -> None:
    """The console entry point: SIGTERM stops a command as Ctrl-C does (locks released), and an
    unforeseen error is one line (the traceback with KAPWATCH_DEBUG=1). Once the command is
    over, a SIGTERM no longer interrupts: what is left is Prefect closing its local server at
    exit, and a traceback from inside that would be noise."""
    signal.signal(signal.SIGTERM, _interrupt)
    try:
        _run()
    finally:
        signal.signal(signal.SIGTERM, signal.SIG_IGN)


def _run() -> None:
    try:
        app()
    except Exception as exc:
        if debug():
            raise
        message = " ".join(str(exc).split()) or "no message"
        err.print(
            f"[bold red]kapwatch:[/] {type(exc).__name__}: {message} (KAPWATCH_DEBUG=1 shows "
            "the traceback)",
            highlight=False,
            soft_wrap=True,
        )
        sys.exit(NO_DIGEST)


if __name__ == "__main__":  # pragma: no cover
    main()
