"""Shared fixtures: the real seeds, a throwaway store, a real SMTP server on 127.0.0.1."""

from __future__ import annotations

import os
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

from aiosmtpd.controller import Controller  # noqa: E402

from kapwatch.seeds import Seeds, load_seeds  # noqa: E402
from kapwatch.store import Store  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
SEEDS_DIR = ROOT / "seeds"
SHARED = ROOT.parent / "shared"
SHARED_DATA = SHARED / "data"


@pytest.fixture(scope="session")
def seeds() -> Seeds:
    return load_seeds(SEEDS_DIR)


@pytest.fixture
def store(tmp_path: Path) -> Store:
    return Store(f"sqlite:///{tmp_path / 'kapwatch.db'}")


class Inbox:
    """Collects what a real SMTP server on loopback receives."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self.envelopes: list[tuple[str, list[str]]] = []

    async def handle_DATA(self, server: object, session: object, envelope: object) -> str:  # noqa: N802
        self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))  # type: ignore[attr-defined]
        raw = envelope.original_content or envelope.content  # type: ignore[attr-defined]
        parsed = message_from_bytes(raw, policy=policy.default)
        assert isinstance(parsed, EmailMessage)
        self.messages.append(parsed)
        return "250 OK"


@pytest.fixture
def smtp_server() -> Iterator[tuple[Controller, Inbox]]:
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=0)
    controller.start()
    try:
        yield controller, inbox
    finally:
        controller.stop()
