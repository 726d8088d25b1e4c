"""The evaluation's arithmetic, on small hand-made cases with known answers."""

from __future__ import annotations

from collections import Counter

from kapwatch.evidence import Assessment, Link, StudyText
from tests.eval.data import Labelled, family_links, in_test_split
from tests.eval.metrics import FIGURES, figures, intervals, study_counts

FAMILY = {"a1": "a", "a2": "a", "b1": "b"}


def labelled(links: dict[str, str], relevant: bool = True) -> Labelled:
    text = StudyText("t", "", [], [], [], [])
    return Labelled("1", "t", text, relevant, "", None, links, "dev", "x.toml")


def assessed(links: dict[str, str], relevant: bool = True) -> Assessment:
    found = [Link(claim, stance, "sentence") for claim, stance in links.items()]
    return Assessment(relevant, 1.0, "", "", None, found)


def test_family_stance_is_the_members_or_the_most_contrary() -> None:
    assert family_links({"a1": "supports", "a2": "supports"}, FAMILY) == {"a": "supports"}
    assert family_links({"a1": "supports", "a2": "mixed", "b1": "extends"}, FAMILY) == {
        "a": "mixed",
        "b": "extends",
    }


def test_contrary_recall_and_precision() -> None:
    study = labelled({"a1": "challenges", "a2": "mixed", "b1": "supports"})
    result = assessed({"a1": "challenges", "a2": "supports", "b1": "challenges"})
    c = study_counts(study, result, FAMILY)
    assert FIGURES["contrary_recall"](c) == 0.5  # a1 found, a2 marked supports
    assert FIGURES["contrary_precision"](c) == 0.5  # a1 right, b1 wrong
    assert FIGURES["stance"](c) == 1 / 3
    assert FIGURES["family_recall"](c) == 1.0


def test_interval_holds_the_estimate_and_narrows_with_more_studies() -> None:
    hit: Counter[str] = Counter(link_tp=1)
    miss: Counter[str] = Counter(link_fp=1)
    few = [hit, hit, hit, miss] * 5
    many = few * 20
    low_few, high_few = intervals(few)["link_precision"]
    low_many, high_many = intervals(many)["link_precision"]
    assert low_few is not None and high_few is not None
    assert low_many is not None and high_many is not None
    assert low_few <= 0.75 <= high_few and low_many <= 0.75 <= high_many
    assert high_many - low_many < high_few - low_few
    assert figures(many, with_intervals=False)["link_precision"]["value"] == 0.75


def test_split_rule_is_by_pmid_and_near_a_third() -> None:
    share = sum(in_test_split(str(p)) for p in range(30_000_000, 30_003_000)) / 3000
    assert 0.28 < share < 0.39
    assert in_test_split("33397139") == in_test_split("33397139")
