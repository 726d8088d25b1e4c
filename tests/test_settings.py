from __future__ import annotations

import re
from pathlib import Path

import pytest

from kapwatch.settings import Settings, SettingsError, env_names, redact

README = Path(__file__).resolve().parent.parent / "README.md"


def test_defaults_match_the_contract() -> None:
    s = Settings.from_env({})
    assert s.home == Path("./var")
    assert s.db_url == "sqlite:///var/kapwatch.db"
    assert s.seeds_dir == Path("./seeds")
    assert s.feeds_path == Path("seeds/feeds.toml")
    assert s.eutils_url == "https://eutils.ncbi.nlm.nih.gov/entrez/eutils/"
    assert s.smtp_security == "starttls" and s.smtp_port_effective == 587
    assert s.mail_to == () and s.timezone == "UTC" and s.public_url == ""
    assert Settings.from_env({"KAPWATCH_PUBLIC_URL": "https://x.org/kap/"}).public_url == (
        "https://x.org/kap"
    )


def test_values_are_read_and_normalised() -> None:
    s = Settings.from_env(
        {
            "KAPWATCH_HOME": "/tmp/kw",
            "KAPWATCH_EUTILS_URL": "http://127.0.0.1:9/entrez/eutils",
            "KAPWATCH_MAIL_TO": " a@example.org, b@example.org ,",
            "KAPWATCH_SMTP_SECURITY": "SSL",
            "KAPWATCH_TIMEZONE": "Europe/Berlin",
            "KAPWATCH_NCBI_API_KEY": "k3y",
        }
    )
    assert s.db_url == "sqlite:////tmp/kw/kapwatch.db"
    assert s.eutils_url.endswith("/eutils/")
    assert s.mail_to == ("a@example.org", "b@example.org")
    assert s.smtp_port_effective == 465
    assert "k3y" not in repr(s)


@pytest.mark.parametrize(
    ("name", "value", "fragment"),
    [
        ("KAPWATCH_SMTP_SECURITY", "tls", "KAPWATCH_SMTP_SECURITY"),
        ("KAPWATCH_SMTP_PORT", "twenty-five", "KAPWATCH_SMTP_PORT"),
        ("KAPWATCH_SMTP_PORT", "99999", "from 1 to 65535"),
        ("KAPWATCH_SMTP_PORT", "0", "from 1 to 65535"),
        ("KAPWATCH_TIMEZONE", "Mars/Olympus", "KAPWATCH_TIMEZONE"),
        ("KAPWATCH_EUTILS_URL", "ftp://x", "KAPWATCH_EUTILS_URL"),
        ("KAPWATCH_MAIL_TO", "not-an-address", "KAPWATCH_MAIL_TO"),
        ("KAPWATCH_HTTP_TIMEOUT", "-1", "KAPWATCH_HTTP_TIMEOUT"),
        ("KAPWATCH_PUBLIC_URL", "example.org/kap", "KAPWATCH_PUBLIC_URL"),
    ],
)
def test_bad_values_name_the_variable(name: str, value: str, fragment: str) -> None:
    with pytest.raises(SettingsError) as info:
        Settings.from_env({name: value})
    message = str(info.value)
    assert fragment in message and "\n" not in message


def test_every_setting_is_documented_in_the_readme() -> None:
    # The configuration table: one row per variable, "| `KAPWATCH_X` | default | meaning |".
    text = README.read_text(encoding="utf-8")
    documented = set(re.findall(r"^\| `(KAPWATCH_[A-Z_]+)` \|", text, re.MULTILINE))
    assert set(env_names()) <= documented, set(env_names()) - documented
    assert documented <= set(env_names()), documented - set(env_names())


def test_redact_hides_every_secret() -> None:
    text = "GET https://x/esearch.fcgi?api_key=s3cr3t&tool=kapwatch failed (pw hunter2)"
    assert redact(text, ("s3cr3t", "hunter2")) == (
        "GET https://x/esearch.fcgi?api_key=***&tool=kapwatch failed (pw ***)"
    )
