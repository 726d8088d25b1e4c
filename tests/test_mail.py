from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller

from kapwatch.delivery import (
    Delivered,
    EmailDeliverer,
    MailError,
    Message,
    OutboxDeliverer,
    deliverers,
)
from kapwatch.delivery.email import build_message
from kapwatch.settings import Settings
from kapwatch.vocabulary import DeliveryState

from .conftest import Inbox, free_port


def settings_for(tmp_path: Path, **kw: object) -> Settings:
    base = Settings.from_env({"KAPWATCH_HOME": str(tmp_path)})
    return replace(base, mail_to=("a@example.org", "b@example.org"), **kw)  # type: ignore[arg-type]


def message(subject: str = "S", text: str = "t", html: str = "<p>h</p>") -> Message:
    return Message("2026-W47", subject, text, html)


def deliver(settings: Settings, digest: Message) -> Delivered:
    """What the run does: the deliverer the settings choose."""
    (deliverer,) = deliverers(settings)
    return deliverer.deliver(digest)


def test_multipart_alternative_with_a_safe_subject(tmp_path: Path) -> None:
    email = build_message(
        settings_for(tmp_path), message("Digest\r\nBcc: evil@example.org", "plain", "<p>html</p>")
    )
    assert email.get_content_type() == "multipart/alternative"
    assert [p.get_content_type() for p in email.iter_parts()] == ["text/plain", "text/html"]
    assert email["Subject"] == "Digest Bcc: evil@example.org"
    assert email["Bcc"] is None


def test_message_id_is_one_line_in_the_senders_domain_and_date_is_local(
    tmp_path: Path,
) -> None:
    from email import message_from_bytes
    from email.utils import parsedate_to_datetime

    settings = settings_for(
        tmp_path, mail_from="KAP digest <digest@lab.example.org>", timezone="Europe/Berlin"
    )
    raw = bytes(build_message(settings, message()))
    header = raw.split(b"\r\n\r\n" if b"\r\n\r\n" in raw else b"\n\n", 1)[0].decode()
    (line,) = [x for x in header.splitlines() if x.startswith("Message-ID:")]
    assert re.fullmatch(r"Message-ID: <kapwatch\.2026-W47\.[0-9a-f]{12}@lab\.example\.org>", line)
    parsed = message_from_bytes(raw)
    assert parsed["Message-ID"] == line.removeprefix("Message-ID: ")  # no leading space
    sent = parsedate_to_datetime(parsed["Date"])
    assert sent.utcoffset() == sent.astimezone(settings.tz).utcoffset()
    assert not parsed["Date"].endswith("-0000")


def test_sends_over_smtp_to_every_recipient(
    tmp_path: Path, smtp_server: tuple[Controller, Inbox]
) -> None:
    controller, inbox = smtp_server
    settings = settings_for(
        tmp_path, smtp_host="127.0.0.1", smtp_port=controller.port, smtp_security="none"
    )
    assert isinstance(deliverers(settings)[0], EmailDeliverer)
    outcome = deliver(settings, message("Subject", "text body", "<p>html body</p>"))
    assert outcome == Delivered(
        "email", DeliveryState.SENT, "a@example.org, b@example.org", "emailed"
    )
    assert outcome.summary == "emailed to a@example.org, b@example.org"
    assert len(inbox.messages) == 1
    assert inbox.envelopes[0][1] == ["a@example.org", "b@example.org"]
    got = inbox.messages[0]
    assert got["X-Kapwatch-Window"] == "2026-W47"
    html = got.get_body(("html",))
    assert html is not None and "html body" in html.get_content()


def test_without_smtp_host_the_message_goes_to_the_outbox(tmp_path: Path) -> None:
    settings = settings_for(tmp_path)
    assert isinstance(deliverers(settings)[0], OutboxDeliverer)
    outcome = deliver(settings, message("Subject", "text", "<p>html</p>"))
    assert (outcome.channel, outcome.state) == ("email", DeliveryState.OUTBOX)
    path = Path(outcome.where)
    assert path == tmp_path / "outbox" / "2026-W47.eml"
    assert outcome.summary == f"written to {path}"
    assert b"multipart/alternative" in path.read_bytes()


def test_connection_refused_is_one_line_without_the_password(tmp_path: Path) -> None:
    port = free_port()  # nobody listens there
    settings = settings_for(
        tmp_path,
        smtp_host="127.0.0.1",
        smtp_port=port,
        smtp_security="none",
        smtp_user="me",
        smtp_password="hunter2-secret",
        smtp_timeout=2.0,
    )
    with pytest.raises(MailError) as info:
        deliver(settings, message())
    assert f"127.0.0.1:{port}" in str(info.value)
    assert "hunter2-secret" not in str(info.value) and "\n" not in str(info.value)


def test_login_refused_is_one_line_without_the_password(tmp_path: Path) -> None:
    from aiosmtpd.smtp import AuthResult, LoginPassword

    def authenticator(server, session, envelope, mechanism, auth_data):  # type: ignore[no-untyped-def]
        ok = isinstance(auth_data, LoginPassword) and auth_data.password == b"right"
        return AuthResult(success=ok, handled=False)  # aiosmtpd then answers 535 itself

    controller = Controller(
        Inbox(),
        hostname="127.0.0.1",
        port=free_port(),
        authenticator=authenticator,
        auth_require_tls=False,
        auth_required=True,
    )
    controller.start()
    try:
        settings = settings_for(
            tmp_path,
            smtp_host="127.0.0.1",
            smtp_port=controller.port,
            smtp_security="none",
            smtp_user="me",
            smtp_password="wrong-secret-pw",
        )
        with pytest.raises(MailError) as info:
            deliver(settings, message())
        text = str(info.value)
        assert "SMTPAuthenticationError" in text and "wrong-secret-pw" not in text
        good = replace(settings, smtp_password="right")
        assert deliver(good, message()).state == DeliveryState.SENT
    finally:
        controller.stop()


def test_a_server_that_never_greets_times_out(tmp_path: Path) -> None:
    import socket
    import time

    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)  # accepts connections (the kernel does) and never says a word
    try:
        settings = settings_for(
            tmp_path,
            smtp_host="127.0.0.1",
            smtp_port=listener.getsockname()[1],
            smtp_security="none",
            smtp_timeout=0.5,
        )
        started = time.monotonic()
        with pytest.raises(MailError, match="timed out"):
            deliver(settings, message())
        assert time.monotonic() - started < 5
    finally:
        listener.close()
