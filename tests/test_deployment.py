"""The deployment for real: a Prefect server on loopback, a process work pool, `prefect deploy`
from prefect.yaml, a run triggered by hand, a worker that executes it against the stand-in."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from kapwatch.demo.standin import Running

from .conftest import ROOT, SEEDS_DIR, free_port
from .helpers import write_feeds

pytestmark = pytest.mark.slow
PREFECT = [sys.executable, "-m", "prefect"]


@pytest.fixture
def prefect_server(tmp_path: Path) -> Iterator[dict[str, str]]:
    port = free_port()
    env = {
        **os.environ,
        "PREFECT_HOME": str(tmp_path / "prefect"),
        "PREFECT_API_URL": f"http://127.0.0.1:{port}/api",
        "PREFECT_UI_ENABLED": "false",
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "DO_NOT_TRACK": "1",
    }
    log = (tmp_path / "server.log").open("w")
    server = subprocess.Popen(
        [*PREFECT, "server", "start", "--host", "127.0.0.1", "--port", str(port)],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/api/health", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert server.poll() is None, (tmp_path / "server.log").read_text()
            time.sleep(0.5)
        else:
            pytest.fail("prefect server did not start within 120 s")
        yield env
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
        log.close()


def prefect(env: dict[str, str], *args: str, timeout: float = 180) -> str:
    done = subprocess.run(
        [*PREFECT, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout
    )
    assert done.returncode == 0, f"prefect {' '.join(args)}:\n{done.stdout}\n{done.stderr}"
    return done.stdout


def test_deploy_trigger_by_hand_and_a_worker_runs_it(
    prefect_server: dict[str, str], standin: Running, tmp_path: Path
) -> None:
    home = tmp_path / "home"
    env = {
        **prefect_server,
        "KAPWATCH_HOME": str(home),
        "KAPWATCH_SEEDS_DIR": str(SEEDS_DIR),
        "KAPWATCH_FEEDS_FILE": str(write_feeds(tmp_path / "feeds.toml", standin.url)),
        "KAPWATCH_EUTILS_URL": standin.eutils_url,
        "KAPWATCH_SMTP_HOST": "",
    }
    prefect(env, "work-pool", "create", "kapwatch", "--type", "process")
    prefect(env, "--no-prompt", "deploy", "--all")
    # Nothing machine-specific is recorded: the worker imports kapwatch wherever it runs.
    spec = prefect(env, "deployment", "inspect", "weekly-digest/kapwatch-weekly")
    assert str(ROOT) not in spec and "kapwatch.flow:weekly_digest" in spec
    out = prefect(
        env,
        "deployment",
        "run",
        "weekly-digest/kapwatch-weekly",
        "--param",
        "since=2026-11-09",
        "--param",
        "until=2026-11-15",
    )
    assert "Created flow run" in out
    prefect(env, "worker", "start", "--pool", "kapwatch", "--run-once", timeout=300)
    digest = json.loads((home / "digests" / "2026-W46.json").read_text(encoding="utf-8"))
    assert {s["pmid"] for s in digest["studies"]} >= {"90000001", "90000002"}
    assert (home / "outbox" / "2026-W46.eml").is_file()
