from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from kapwatch.cli import app

from .conftest import ROOT, SEEDS_DIR

runner = CliRunner()


def env(tmp_path: Path, **extra: str) -> dict[str, str]:
    return {"KAPWATCH_HOME": str(tmp_path), "KAPWATCH_SEEDS_DIR": str(SEEDS_DIR), **extra}


def test_seeds_json_shows_claims_references_terms_query(tmp_path: Path) -> None:
    result = runner.invoke(app, ["seeds", "--json"], env=env(tmp_path))
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert [a["id"] for a in data["articles"]] == ["kap-trd", "kap-plasticity"]
    assert data["query"].startswith("(ketamine[tiab]")
    assert "ketamine" in data["terms"]
    claim = data["articles"][1]["claims"][0]
    assert set(claim) >= {"id", "text", "references", "citations", "concepts", "form"}
    assert set(claim["form"]) == {"population", "intervention", "outcome"}


def test_seeds_tables(tmp_path: Path) -> None:
    result = runner.invoke(app, ["seeds"], env=env(tmp_path), terminal_width=200)
    assert result.exit_code == 0, result.output
    assert "kap-plasticity-11" in result.stdout and "PubMed query" in result.stdout


def test_bad_setting_is_one_line_and_exit_2(tmp_path: Path) -> None:
    result = runner.invoke(app, ["run"], env=env(tmp_path, KAPWATCH_SMTP_SECURITY="tls"))
    assert result.exit_code == 2
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "KAPWATCH_SMTP_SECURITY" in lines[0]


def test_bad_feeds_file_names_the_file(tmp_path: Path) -> None:
    feeds = tmp_path / "feeds.toml"
    feeds.write_text('[[feeds]]\nname = "x"\n', encoding="utf-8")
    result = runner.invoke(app, ["run"], env=env(tmp_path, KAPWATCH_FEEDS_FILE=str(feeds)))
    assert result.exit_code == 2
    assert "feeds.toml" in result.stderr and "url" in result.stderr


def test_bad_date_is_refused(tmp_path: Path) -> None:
    result = runner.invoke(app, ["run", "--since", "last week"], env=env(tmp_path))
    assert result.exit_code == 2 and "--since" in result.stderr


@pytest.mark.slow
def test_demo_produces_a_digest_with_claims_marked(tmp_path: Path) -> None:
    home = tmp_path / "demo"
    child_env = {k: v for k, v in os.environ.items() if not k.startswith("KAPWATCH_")}
    done = subprocess.run(
        [sys.executable, "-m", "kapwatch.cli", "demo", "--home", str(home)],
        cwd=ROOT,
        env=child_env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Open the digest:" in done.stdout
    (digest_json,) = (home / "digests").glob("*.json")
    data = json.loads(digest_json.read_text(encoding="utf-8"))
    linked = [s for s in data["studies"] if s["claims"]]
    assert linked, "the demo week marks no claim"
    assert any(not s["relevant"] for s in data["studies"]), "no near-miss screened out"
    assert any(len(s["sources"]) > 1 for s in data["studies"]), "no duplicate across sources"
    assert any(s["status"] == "error" for s in data["sources"]), "no failing feed"
    assert list((home / "outbox").glob("*.eml"))
    # The citation check ran against the recorded reference records: claims health is shown.
    assert data["citations"] and data["summary"]["citation_problems"] == 11


def test_seeds_check_json_then_cached(tmp_path: Path) -> None:
    from kapwatch.demo.standin import StandIn, serve

    data = StandIn()
    data.load_pubmed(ROOT / "kapwatch" / "demo" / "citations.xml", listed=False)
    with serve(data) as running:
        settings = env(tmp_path, KAPWATCH_EUTILS_URL=running.eutils_url)
        first = runner.invoke(app, ["seeds", "--check", "--json"], env=settings)
        assert first.exit_code == 0, first.output
        checks = json.loads(first.stdout)
        looked_up = len(data.requests)
        again = runner.invoke(app, ["seeds", "--check"], env=settings, terminal_width=200)
        assert again.exit_code == 0, again.output
    assert len(data.requests) == looked_up  # cached in the store: no second look-up
    assert {"seed", "reference", "status", "differences", "pmid", "doi", "title"} <= set(checks[0])
    by_key = {c["key"]: c for c in checks}
    assert by_key["sakopoulos2025"]["status"] == ["verified"]
    assert by_key["mcewen2016"]["status"] == ["not_found"]
    assert "1 of 12 references check out as printed" in again.stdout


def test_seeds_check_with_pubmed_down_is_one_line(tmp_path: Path) -> None:
    from kapwatch.demo.standin import serve
    from tests.faults import FaultyStandIn

    data = FaultyStandIn()
    data.fail("/entrez/eutils/ecitmatch.cgi", status=400, body=b"<ERROR>bad</ERROR>")
    with serve(data) as running:
        settings = env(
            tmp_path, KAPWATCH_EUTILS_URL=running.eutils_url, KAPWATCH_NCBI_API_KEY="k3y-s3cret"
        )
        result = runner.invoke(app, ["seeds", "--check"], env=settings)
    assert result.exit_code == 1
    assert "PubMed citation check failed" in result.output and "k3y-s3cret" not in result.output


@pytest.mark.parametrize(
    ("url", "fragment"),
    [
        ("nonsense://", "KAPWATCH_DATABASE_URL: cannot use"),
        ("sqlite:////proc/no/such/dir/k.db", "KAPWATCH_DATABASE_URL: cannot"),
    ],
)
def test_bad_database_url_is_one_line(tmp_path: Path, url: str, fragment: str) -> None:
    result = runner.invoke(app, ["run"], env=env(tmp_path, KAPWATCH_DATABASE_URL=url))
    assert result.exit_code == 2, result.output
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and fragment in lines[0]
