"""Deliver a digest: one multipart/alternative email over SMTP, or a .eml file in the outbox."""

from __future__ import annotations

import smtplib
import ssl
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from pathlib import Path

from kapwatch.settings import Settings, redact


class MailError(RuntimeError):
    """Sending failed; the message is one line and carries no secret."""


def build_message(
    settings: Settings, subject: str, text: str, html: str, label: str
) -> EmailMessage:
    message = EmailMessage()
    # A header value never carries CR/LF, whatever a study title contained.
    message["Subject"] = " ".join(subject.split())
    message["From"] = settings.mail_from
    message["To"] = ", ".join(settings.mail_to) or settings.mail_from
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = make_msgid(idstring=f"kapwatch-{label}")
    message["X-Kapwatch-Window"] = label
    message.set_content(text)
    message.add_alternative(html, subtype="html")
    return message


def send_smtp(settings: Settings, message: EmailMessage) -> None:
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
            refused = smtp.send_message(message)
    except (OSError, smtplib.SMTPException) as exc:
        reason = redact(f"{type(exc).__name__}: {exc}", settings.secrets)
        raise MailError(f"SMTP {host}:{port}: {reason}") from None
    if refused:
        raise MailError(f"SMTP {host}:{port}: recipients refused: {', '.join(refused)}")


def write_outbox(settings: Settings, message: EmailMessage, label: str) -> Path:
    settings.outbox_dir.mkdir(parents=True, exist_ok=True)
    path = settings.outbox_dir / f"{label}.eml"
    tmp = path.with_suffix(".eml.tmp")
    tmp.write_bytes(bytes(message))
    tmp.replace(path)
    return path


def deliver(settings: Settings, message: EmailMessage, label: str) -> str:
    """'sent' over SMTP when KAPWATCH_SMTP_HOST is set, else 'outbox:<path>'."""
    if settings.smtp_host:
        send_smtp(settings, message)
        return "sent"
    return f"outbox:{write_outbox(settings, message, label)}"
