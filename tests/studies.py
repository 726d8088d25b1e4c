"""Studies written for the engine's tests: a trial from its results and conclusions, and the
stance the engine takes on each claim it links."""

from __future__ import annotations

from kapwatch.evidence import Engine, StudyText
from kapwatch.seeds.articles import Seeds


def trial(title: str, results: str, conclusions: str) -> StudyText:
    sections = [("RESULTS", results), ("CONCLUSIONS", conclusions)]
    return StudyText(title, "", sections, ["Randomized Controlled Trial"], [], [])


def stances(seeds: Seeds, text: StudyText) -> dict[str, str]:
    return {x.claim_id: x.stance for x in Engine(seeds.claims, seeds.lexicon).assess(text).links}
