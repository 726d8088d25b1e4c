"""A run killed (SIGKILL) between stages; the rerun finishes the window, nothing lost or doubled."""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import asdict
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller

from kapwatch.settings import Settings
from kapwatch.store import Store

from .conftest import ROOT, Inbox
from .helpers import WEEK1, mailing_to, run_week

# The stages of a week, in a child process that kills itself at the given point.
CHILD = """
import json, os, signal, sys

from datetime import date
from pathlib import Path
from kapwatch import pipeline
from kapwatch.settings import Settings
from kapwatch.store import Store

raw, stop = json.loads(sys.argv[1]), sys.argv[2]
settings = Settings(**{k: (Path(v) if k in ("home", "seeds_dir", "feeds_file") and v else
                           tuple(v) if k == "mail_to" else v) for k, v in raw.items()})
week = (date(2026, 11, 9), date(2026, 11, 15))
store = Store(settings.db_url)
setup = pipeline.prepare(settings)
window = store.open_window(*week)
report = pipeline.collect(setup.sources[0], store, window)  # PubMed
if stop == "after-fetch":  # PubMed fetched and stored, the feeds not yet read
    os.kill(os.getpid(), signal.SIGKILL)
studies = pipeline.assess_window(store, window, setup.seeds)
pipeline.render_window(settings, store, window, studies, [report], setup)
if stop == "after-store":
    os.kill(os.getpid(), signal.SIGKILL)
"""


@pytest.mark.parametrize("stop", ["after-fetch", "after-store"])
def test_killed_run_then_rerun_sends_once_and_stores_once(
    settings: Settings, smtp_server: tuple[Controller, Inbox], stop: str
) -> None:
    controller, inbox = smtp_server
    settings = mailing_to(settings, controller.port)
    raw = {k: (str(v) if isinstance(v, Path) else v) for k, v in asdict(settings).items()}
    child = subprocess.run(
        [sys.executable, "-c", CHILD, json.dumps(raw), stop], cwd=ROOT, timeout=120, check=False
    )
    assert child.returncode == -9  # killed, as a crash would
    store = Store(settings.db_url)
    digest, lines = run_week(settings, store, WEEK1)
    assert lines == ["2026-W46: emailed to team@example.org"]
    assert len(inbox.messages) == 1
    pmids = [s["pmid"] for s in digest["studies"] if s["pmid"]]
    assert sorted(pmids) == ["90000001", "90000002"]  # each once, none lost
    _, again = run_week(settings, store, WEEK1)
    assert again == [] and len(inbox.messages) == 1
