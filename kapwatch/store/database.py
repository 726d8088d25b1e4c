"""Opening the store: the engine, the schema's migrations, sessions and the one-run lock."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import ArgumentError, IntegrityError, NoSuchModuleError, OperationalError
from sqlalchemy.orm import Session

from kapwatch.store.models import RunLock, now

LOCK_STALE = timedelta(hours=6)  # no weekly run takes this long: an older lock is a crash's


class StoreError(RuntimeError):
    """The database cannot be opened; one line naming KAPWATCH_DATABASE_URL, no password."""


class RunLocked(RuntimeError):
    """Another run holds the lock; the message says who and since when."""


def make_engine(url: str, **options: Any) -> Engine:
    if url.startswith("sqlite:///"):
        folder = Path(url.removeprefix("sqlite:///")).parent
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StoreError(
                f"KAPWATCH_DATABASE_URL: cannot create {folder}: {exc.strerror}"
            ) from None
    try:
        engine = create_engine(url, **options)
    except (ArgumentError, NoSuchModuleError, ImportError) as exc:
        raise StoreError(f"KAPWATCH_DATABASE_URL: cannot use {_safe(url)}: {exc}") from None
    if engine.dialect.name == "sqlite":

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(conn: Any, _record: Any) -> None:
            cursor = conn.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA busy_timeout=30000")  # a second run waits, not fails
            cursor.close()

    return engine


def _safe(url: str) -> str:
    """The URL as it may be shown: SQLAlchemy masks the password."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return "the URL given"


def migrate(url: str, revision: str = "head") -> None:
    """Bring the database to the newest schema with Alembic (creates it when empty)."""
    from alembic import command
    from alembic.config import Config

    make_engine(url).dispose()  # a bad URL fails here with one clear line
    config = Config()
    config.set_main_option("script_location", str(Path(__file__).parent / "migrations"))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    try:
        command.upgrade(config, revision)
    except OperationalError as exc:
        reason = " ".join(str(exc.orig).split())[:200]
        raise StoreError(f"KAPWATCH_DATABASE_URL: cannot open {_safe(url)}: {reason}") from None


class Database:
    """The engine and its sessions; the Store adds each concept's operations on top."""

    def __init__(self, url: str, *, upgrade: bool = True) -> None:
        if upgrade:
            migrate(url)
        self.engine = make_engine(url)

    @contextmanager
    def session(self) -> Iterator[Session]:
        with Session(self.engine, expire_on_commit=False) as session, session.begin():
            yield session

    @contextmanager
    def exclusive(self, holder: str, stale_after: timedelta = LOCK_STALE) -> Iterator[None]:
        """Hold the run lock for the block; a lock older than stale_after was left by a crash."""
        try:
            with self.session() as s:
                s.add(RunLock(name="run", holder=holder))
        except IntegrityError:
            with self.session() as s:
                lock = s.get_one(RunLock, "run")
                acquired = lock.acquired.replace(tzinfo=lock.acquired.tzinfo or UTC)
                if now() - acquired < stale_after:
                    raise RunLocked(
                        f"another kapwatch run ({lock.holder}) has been running since "
                        f"{acquired:%Y-%m-%d %H:%M} UTC; try again when it has finished"
                    ) from None
                lock.holder, lock.acquired = holder, now()  # taken over from a dead run
        try:
            yield
        finally:
            with self.session() as s:
                held = s.get(RunLock, "run")
                if held is not None and held.holder == holder:
                    s.delete(held)
