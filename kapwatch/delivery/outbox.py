"""The outbox: with no SMTP host set, the email is written as a .eml file instead of sent."""

from __future__ import annotations

from email.message import EmailMessage
from pathlib import Path

from kapwatch.delivery.deliverer import Delivered, Message
from kapwatch.delivery.email import CHANNEL, build_message
from kapwatch.settings import Settings
from kapwatch.vocabulary import DeliveryState


def write_outbox(settings: Settings, email: EmailMessage, label: str) -> Path:
    settings.outbox_dir.mkdir(parents=True, exist_ok=True)
    path = settings.outbox_dir / f"{label}.eml"
    tmp = path.with_suffix(".eml.tmp")
    tmp.write_bytes(bytes(email))
    tmp.replace(path)  # a crash never leaves half a message
    return path


class OutboxDeliverer:
    """The email as $KAPWATCH_HOME/outbox/<label>.eml: the email channel without a server."""

    name = "outbox"
    channel = CHANNEL

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    def deliver(self, message: Message) -> Delivered:
        email = build_message(self.settings, message)
        path = write_outbox(self.settings, email, message.label)
        return Delivered(self.channel, DeliveryState.OUTBOX, str(path), verb="written")
