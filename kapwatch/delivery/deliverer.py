"""What every delivery channel implements: deliver a digest's message, say where it went."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from kapwatch.digest.render import read_head, subject
from kapwatch.vocabulary import DeliveryState


class DeliveryError(RuntimeError):
    """Delivering failed; the message is one line and carries no secret."""


@dataclass(frozen=True)
class Message:
    """A rendered digest as every channel sends it: each builds its own form from this."""

    label: str
    subject: str
    text: str
    html: str

    @classmethod
    def read(cls, digests_dir: Path, label: str) -> Message:
        """The message of the digest rendered under this label (OSError, ValueError if the
        files are missing or unreadable)."""
        stem = digests_dir / label
        # The email's parts fit its size budget; a digest rendered before they existed has
        # only the full ones.
        email = stem.with_name(f"{label}.email")
        parts = email if Path(f"{email}.html").is_file() else stem
        return cls(
            label=label,
            subject=subject(read_head(Path(f"{stem}.json"))),
            text=Path(f"{parts}.txt").read_text(encoding="utf-8"),
            html=Path(f"{parts}.html").read_text(encoding="utf-8"),
        )


@dataclass(frozen=True)
class Delivered:
    """Where a message went: the state it leaves on its channel and a place a person can check
    (the recipients, a file)."""

    channel: str
    state: DeliveryState
    where: str
    verb: str = "sent"  # how the line says it: "emailed to ...", "written to ..."

    @property
    def summary(self) -> str:
        return f"{self.verb} to {self.where}"


class Deliverer(Protocol):
    """A way a digest reaches its readers. `channel` names whose delivery state it records,
    once per window: the email's state whether it went over SMTP or into the outbox."""

    name: str
    channel: str

    def deliver(self, message: Message) -> Delivered:
        """Deliver or raise DeliveryError (or OSError); never a second time for a window."""
        ...
