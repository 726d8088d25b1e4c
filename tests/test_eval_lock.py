"""The evaluation's test split is locked: its studies and labels are what was committed before
the engine was tuned, and nobody tunes on them."""

from __future__ import annotations

import tomllib

from tests.eval.data import HERE, in_test_split, load_studies
from tests.eval.split import LOCK, locked_digest


def test_the_test_split_is_unchanged() -> None:
    assert locked_digest() == LOCK.read_text().strip(), (
        "tests/eval/test/ changed: the test split is locked. A label found wrong is fixed in a "
        "commit of its own that gives the reason and rewrites tests/eval/LOCK "
        "(python -m tests.eval.split --lock); never to fit the engine."
    )


def test_every_test_study_follows_the_split_rule() -> None:
    for path in (HERE / "test").glob("*.toml"):
        for study in tomllib.loads(path.read_text()).get("study", []):
            assert in_test_split(str(study["pmid"])), f"{path.name}: {study['pmid']}"


def test_no_study_is_in_both_splits() -> None:
    studies = load_studies()
    dev = {s.pmid for s in studies if s.split == "dev"}
    test = {s.pmid for s in studies if s.split == "test"}
    assert test and dev and not dev & test
