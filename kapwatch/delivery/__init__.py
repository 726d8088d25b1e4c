"""Delivering a rendered digest. Each channel is a Deliverer (deliverer.py) in a module of its
own; deliverers() chooses them from the settings (a new channel: one module, one line here)."""

from __future__ import annotations

from kapwatch.delivery.deliverer import Delivered, Deliverer, DeliveryError, Message
from kapwatch.delivery.email import EmailDeliverer, MailError
from kapwatch.delivery.outbox import OutboxDeliverer
from kapwatch.settings import Settings


def deliverers(settings: Settings) -> list[Deliverer]:
    """The email over SMTP when KAPWATCH_SMTP_HOST is set, else into the outbox."""
    return [EmailDeliverer(settings) if settings.smtp_host else OutboxDeliverer(settings)]


__all__ = [
    "Delivered",
    "Deliverer",
    "DeliveryError",
    "EmailDeliverer",
    "MailError",
    "Message",
    "OutboxDeliverer",
    "deliverers",
]
