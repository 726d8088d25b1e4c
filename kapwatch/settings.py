"""One settings object, read from KAPWATCH_* environment variables.

Every variable here is documented in the README's configuration table; a test keeps the two
in step. Secrets are kept out of repr() so they never reach a log line by accident.
"""

from __future__ import annotations

import getpass
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from kapwatch.resources import BUNDLED_SEEDS

NCBI_EUTILS = "https://eutils.ncbi.nlm.nih.gov/entrez/eutils/"

SECURITY_MODES = ("starttls", "ssl", "none")


class SettingsError(ValueError):
    """A setting has a value kapwatch cannot use; the message names the variable."""


@dataclass(frozen=True)
class Settings:
    home: Path = Path("./var")
    database_url: str = ""  # empty: SQLite at home/kapwatch.db
    seeds_dir: Path = Path("./seeds")
    feeds_file: Path | None = None  # None: seeds_dir/feeds.toml
    eutils_url: str = NCBI_EUTILS
    ncbi_email: str = ""
    ncbi_api_key: str = field(default="", repr=False)
    ncbi_tool: str = "kapwatch"
    smtp_host: str = ""
    smtp_port: int = 0  # 0: 465 for ssl, 587 for starttls, 25 for none
    smtp_user: str = ""
    smtp_password: str = field(default="", repr=False)
    smtp_security: str = "starttls"
    smtp_timeout: float = 30.0
    mail_from: str = "kapwatch@localhost"
    mail_to: tuple[str, ...] = ()
    timezone: str = "UTC"
    http_timeout: float = 30.0
    reviewer: str = ""  # empty: the OS user
    review_url: str = ""  # where `kapwatch review` is reached; the digest links studies to it

    @property
    def reviewer_name(self) -> str:
        """Who a verdict is recorded as: KAPWATCH_REVIEWER, else the OS user."""
        if self.reviewer:
            return self.reviewer
        try:
            return getpass.getuser()
        except (OSError, KeyError):
            return "reader"

    debug: bool = False  # tracebacks and Prefect's console lines (read before anything else too)
    public_url: str = ""  # where digests/ is published: absolute links in the feed and email

    @property
    def db_url(self) -> str:
        return self.database_url or f"sqlite:///{self.home / 'kapwatch.db'}"

    @property
    def feeds_path(self) -> Path:
        return self.feeds_file or self.seeds_dir / "feeds.toml"

    @property
    def digests_dir(self) -> Path:
        return self.home / "digests"

    @property
    def outbox_dir(self) -> Path:
        return self.home / "outbox"

    @property
    def smtp_port_effective(self) -> int:
        if self.smtp_port:
            return self.smtp_port
        return {"ssl": 465, "starttls": 587}.get(self.smtp_security, 25)

    @property
    def secrets(self) -> tuple[str, ...]:
        """Values that must never appear in anything kapwatch writes."""
        return tuple(s for s in (self.ncbi_api_key, self.smtp_password) if s)

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if environ is None else environ

        def get(name: str, default: str = "") -> str:
            return env.get(f"KAPWATCH_{name}", default).strip()

        def number(name: str, default: float, kind: Callable[[str], float] = float) -> float:
            raw = get(name)
            if not raw:
                return default
            try:
                value = kind(raw)
            except ValueError:
                raise SettingsError(f"KAPWATCH_{name}: expected a number, got {raw!r}") from None
            if value < 0:
                raise SettingsError(f"KAPWATCH_{name}: must not be negative, got {raw!r}")
            return value

        port = int(number("SMTP_PORT", 0, int))
        if get("SMTP_PORT") and not 1 <= port <= 65535:
            raise SettingsError(f"KAPWATCH_SMTP_PORT: expected a port from 1 to 65535, got {port}")
        security = _one_of("SMTP_SECURITY", get("SMTP_SECURITY", "starttls").lower())
        timezone = _timezone(get("TIMEZONE", "UTC"))
        eutils = _http_url("EUTILS_URL", get("EUTILS_URL") or NCBI_EUTILS)
        mail_to = _addresses(get("MAIL_TO"))
        review_url = _http_url("REVIEW_URL", get("REVIEW_URL"))
        feeds_file = get("FEEDS_FILE")
        return cls(
            home=Path(get("HOME", "./var")),
            database_url=get("DATABASE_URL"),
            seeds_dir=Path(get("SEEDS_DIR", "")) if get("SEEDS_DIR", "") else default_seeds(),
            feeds_file=Path(feeds_file) if feeds_file else None,
            eutils_url=eutils.rstrip("/") + "/",
            ncbi_email=get("NCBI_EMAIL"),
            ncbi_api_key=get("NCBI_API_KEY"),
            ncbi_tool=get("NCBI_TOOL", "kapwatch"),
            smtp_host=get("SMTP_HOST"),
            smtp_port=port,
            smtp_user=get("SMTP_USER"),
            smtp_password=env.get("KAPWATCH_SMTP_PASSWORD", ""),
            smtp_security=security,
            smtp_timeout=number("SMTP_TIMEOUT", 30.0),
            mail_from=get("MAIL_FROM", "kapwatch@localhost"),
            mail_to=mail_to,
            timezone=timezone,
            http_timeout=number("HTTP_TIMEOUT", 30.0),
            reviewer=get("REVIEWER"),
            review_url=review_url.rstrip("/"),
            debug=get("DEBUG") not in ("", "0"),
            public_url=read_public_url(get("PUBLIC_URL")),
        )


def _one_of(name: str, value: str) -> str:
    if value not in SECURITY_MODES:
        raise SettingsError(
            f"KAPWATCH_{name}: expected one of {', '.join(SECURITY_MODES)}, got {value!r}"
        )
    return value


def _timezone(value: str) -> str:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise SettingsError(f"KAPWATCH_TIMEZONE: unknown time zone {value!r}") from None
    return value


def _http_url(name: str, value: str) -> str:
    """An http(s) URL, or empty (then the caller's default applies)."""
    if value and not value.startswith(("http://", "https://")):
        raise SettingsError(f"KAPWATCH_{name}: expected an http(s) URL, got {value!r}")
    return value


def _addresses(value: str) -> tuple[str, ...]:
    addresses = tuple(a.strip() for a in value.split(",") if a.strip())
    for address in addresses:
        if "@" not in address or any(c in address for c in "\r\n <>"):
            raise SettingsError(f"KAPWATCH_MAIL_TO: not an email address: {address!r}")
    return addresses


def read_public_url(raw: str) -> str:
    """KAPWATCH_PUBLIC_URL: empty, or an http(s) URL without its trailing slash."""
    if raw and not raw.startswith(("http://", "https://")):
        raise SettingsError(f"KAPWATCH_PUBLIC_URL: expected an http(s) URL, got {raw!r}")
    return raw.rstrip("/")


def env_names() -> list[str]:
    """Every KAPWATCH_* variable the settings read (the README documents each)."""
    rename = {"home": "HOME"}
    return sorted(f"KAPWATCH_{rename.get(f.name, f.name.upper())}" for f in fields(Settings))


def redact(text: str, secrets: tuple[str, ...]) -> str:
    """Replace every secret in text, so error messages and logs can be shown safely."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, "***")
    return text


def default_seeds() -> Path:
    """./seeds when the working folder has one (a checkout, or `kapwatch init`), else the
    seeds that ship with kapwatch."""
    local = Path("./seeds")
    return local if (local / "manifest.toml").is_file() else BUNDLED_SEEDS
