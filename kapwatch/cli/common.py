"""What every command shares: the consoles, the one-line failure, settings, dates, Prefect's
environment and the exit codes."""

from __future__ import annotations

import logging
import os
from datetime import date
from typing import NoReturn

import typer
from rich.console import Console
from rich.logging import RichHandler

from kapwatch.seeds.articles import SeedError
from kapwatch.seeds.lexicon import LexiconError
from kapwatch.settings import Settings, SettingsError
from kapwatch.sources.feeds import FeedsFileError
from kapwatch.store import StoreError

console = Console()
err = Console(stderr=True)

# Exit codes (README "Commands"): 0 done, 1 no digest, 2 bad input, 3 digest written but not
# delivered.
NO_DIGEST, BAD_INPUT, NOT_DELIVERED = 1, 2, 3
INPUT_ERRORS = (SettingsError, SeedError, FeedsFileError, LexiconError, StoreError)


def debug() -> bool:
    """KAPWATCH_DEBUG=1: tracebacks and Prefect's own log lines on the terminal."""
    return os.environ.get("KAPWATCH_DEBUG", "").strip() not in ("", "0")


def fail(message: str, code: int = BAD_INPUT) -> NoReturn:
    """One clear line on stderr, then exit."""
    err.print(f"[bold red]kapwatch:[/] {message}", highlight=False, soft_wrap=True, markup=True)
    raise typer.Exit(code)


def load_settings() -> Settings:
    try:
        return Settings.from_env()
    except SettingsError as exc:
        fail(str(exc))


def parse_day(value: str | None, option: str) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        fail(f"{option}: expected a date as YYYY-MM-DD, got {value!r}")


def show_progress() -> None:
    """kapwatch's own progress lines (PubMed batches, each feed) on the terminal."""
    handler = RichHandler(console=err, show_path=False, show_level=False, markup=False)
    handler.setFormatter(logging.Formatter("%(message)s"))
    logger = logging.getLogger("kapwatch")
    logger.handlers = [handler]
    logger.setLevel(logging.INFO)
    logger.propagate = False


def prefect_environment(settings: Settings) -> None:
    """Quiet, offline-friendly Prefect defaults; any PREFECT_* the user set wins.

    Prefect's home goes under $KAPWATCH_HOME, created first (Prefect does not create a missing
    parent). Its console lines (tracebacks of a failed run included) stay off the terminal
    unless KAPWATCH_DEBUG=1: the CLI says what went wrong in one line, and the run's logs still
    reach the Prefect API.
    """
    try:
        settings.home.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        fail(f"KAPWATCH_HOME: cannot create {settings.home}: {exc.strerror}")
    os.environ.setdefault("PREFECT_HOME", str((settings.home / "prefect").resolve()))
    os.environ.setdefault("DO_NOT_TRACK", "1")
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "60")
    os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")
    if not debug():
        os.environ.setdefault("PREFECT_LOGGING_HANDLERS_CONSOLE_LEVEL", "CRITICAL")
