"""The email: one multipart/alternative message (text + HTML), built here for every email
deliverer, and sent over SMTP with a timeout."""

from __future__ import annotations

import smtplib
import ssl
import uuid
from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime

from kapwatch.delivery.deliverer import Delivered, DeliveryError, Message
from kapwatch.settings import Settings, redact
from kapwatch.vocabulary import DeliveryState

CHANNEL = "email"


class MailError(DeliveryError):
    """Sending failed; the message is one line and carries no secret."""


def build_message(settings: Settings, message: Message) -> EmailMessage:
    email = EmailMessage()
    # A header value never carries CR/LF, whatever a study title contained.
    email["Subject"] = " ".join(message.subject.split())
    email["From"] = settings.mail_from
    email["To"] = ", ".join(settings.mail_to) or settings.mail_from
    email["Date"] = format_datetime(datetime.now(settings.tz))
    email["Message-ID"] = message_id(settings, message.label)
    email["X-Kapwatch-Window"] = message.label
    email.set_content(message.text)
    email.add_alternative(message.html, subtype="html")
    return email


def message_id(settings: Settings, label: str) -> str:
    """'<kapwatch.2026-W47.1a2b3c4d5e6f@example.org>': short enough never to be folded, in the
    sender's domain (some filters score an id from another domain as spam)."""
    domain = settings.mail_from.rpartition("@")[2].strip(" >") or "localhost"
    return f"<kapwatch.{label}.{uuid.uuid4().hex[:12]}@{domain}>"


def send_smtp(settings: Settings, email: EmailMessage) -> None:
    host, port, timeout = settings.smtp_host, settings.smtp_port_effective, settings.smtp_timeout
    try:
        if settings.smtp_security == "ssl":
            smtp: smtplib.SMTP = smtplib.SMTP_SSL(
                host, port, timeout=timeout, context=ssl.create_default_context()
            )
        else:
            smtp = smtplib.SMTP(host, port, timeout=timeout)
        with smtp:
            if settings.smtp_security == "starttls":
                smtp.starttls(context=ssl.create_default_context())
            if settings.smtp_user:
                smtp.login(settings.smtp_user, settings.smtp_password)
            refused = smtp.send_message(email)
    except (OSError, smtplib.SMTPException) as exc:
        reason = redact(f"{type(exc).__name__}: {exc}", settings.secrets)
        raise MailError(f"SMTP {host}:{port}: {reason}") from None
    if refused:
        raise MailError(f"SMTP {host}:{port}: recipients refused: {', '.join(refused)}")


class EmailDeliverer:
    """The digest emailed over SMTP (KAPWATCH_SMTP_HOST set)."""

    name = "smtp"
    channel = CHANNEL

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    def deliver(self, message: Message) -> Delivered:
        send_smtp(self.settings, build_message(self.settings, message))
        recipients = ", ".join(self.settings.mail_to)
        return Delivered(self.channel, DeliveryState.SENT, recipients, verb="emailed")
