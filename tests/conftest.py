"""Shared fixtures: the real seeds, a throwaway store, a real SMTP server on 127.0.0.1."""

from __future__ import annotations

import os
import socket
import tempfile
from collections.abc import Iterator
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path

import pytest

# Before anything imports Prefect: a private home, no telemetry, patience in CI.
os.environ.setdefault("PREFECT_HOME", tempfile.mkdtemp(prefix="kapwatch-prefect-"))
os.environ["DO_NOT_TRACK"] = "1"
os.environ["PREFECT_SERVER_ANALYTICS_ENABLED"] = "false"
os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "90")

from aiosmtpd.controller import Controller

from kapwatch.demo.standin import Running, serve
from kapwatch.seeds.articles import Seeds, load_seeds
from kapwatch.settings import Settings
from kapwatch.store import Store
from tests.faults import FaultyStandIn
from tests.helpers import write_feeds

ROOT = Path(__file__).resolve().parent.parent
SEEDS_DIR = ROOT / "seeds"
SHARED = ROOT.parent / "shared"
SHARED_DATA = SHARED / "data"
E2E_FIXTURES = Path(__file__).resolve().parent / "fixtures" / "e2e"


@pytest.fixture(scope="session")
def seeds() -> Seeds:
    return load_seeds(SEEDS_DIR)


# CI's second pass sets this to a PostgreSQL server (e.g. postgresql+psycopg://postgres@127.0.0.1/):
# every test then gets a fresh database of its own there instead of a SQLite file.
TEST_POSTGRES = os.environ.get("KAPWATCH_TEST_POSTGRES", "")


@pytest.fixture
def database_url(tmp_path: Path) -> Iterator[str]:
    if not TEST_POSTGRES:
        yield f"sqlite:///{tmp_path / 'kapwatch.db'}"
        return
    import uuid

    import sqlalchemy as sa

    name = f"kapwatch_test_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(TEST_POSTGRES, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    try:
        yield sa.make_url(TEST_POSTGRES).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture
def store(database_url: str) -> Store:
    return Store(database_url)


class Inbox:
    """Collects what a real SMTP server on loopback receives."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self.envelopes: list[tuple[str, list[str]]] = []

    async def handle_DATA(self, server: object, session: object, envelope: object) -> str:
        self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))  # type: ignore[attr-defined]
        raw = envelope.original_content or envelope.content  # type: ignore[attr-defined]
        parsed = message_from_bytes(raw, policy=policy.default)
        assert isinstance(parsed, EmailMessage)
        self.messages.append(parsed)
        return "250 OK"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def smtp_server() -> Iterator[tuple[Controller, Inbox]]:
    inbox = Inbox()
    # aiosmtpd checks its own port after starting, so it needs a real one, not 0.
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        yield controller, inbox
    finally:
        controller.stop()


@pytest.fixture
def standin() -> Iterator[Running]:
    """The loopback stand-in serving the end-to-end recordings (PubMed, a feed, a CAPTCHA);
    tests can inject faults and change records (tests/faults.py)."""
    data = FaultyStandIn(feeds_dir=E2E_FIXTURES)
    data.load_pubmed(E2E_FIXTURES / "pubmed.xml")
    with serve(data) as running:
        yield running


@pytest.fixture
def settings(tmp_path: Path, standin: Running, database_url: str) -> Settings:
    feeds_file = write_feeds(tmp_path / "feeds.toml", standin.url)
    return Settings.from_env(
        {
            "KAPWATCH_HOME": str(tmp_path / "home"),
            "KAPWATCH_DATABASE_URL": database_url,
            "KAPWATCH_EUTILS_URL": standin.eutils_url,
            "KAPWATCH_SEEDS_DIR": str(SEEDS_DIR),
            "KAPWATCH_FEEDS_FILE": str(feeds_file),
            "KAPWATCH_NCBI_API_KEY": "sekrit-key-123",
            "KAPWATCH_MAIL_TO": "team@example.org",
        }
    )
