"""The labelled studies of tests/eval/: loading, the dev/test split rule, and family labels."""

from __future__ import annotations

import hashlib
import tomllib
from dataclasses import dataclass
from pathlib import Path

from kapwatch.evidence import StudyText
from kapwatch.vocabulary import STANCE_ORDER

HERE = Path(__file__).resolve().parent
# dev: tuned on. val: labelled blind after the December tuning, read only as figures while
# tuning, to see whether a change generalizes. test: locked, never tuned on or read for errors.
SPLITS = ("dev", "val", "test")


def in_test_split(pmid: str) -> bool:
    """The rule that put a December study in the test split, decided by its PMID alone."""
    return hashlib.sha256(pmid.encode()).digest()[0] % 3 == 0


@dataclass
class Labelled:
    pmid: str
    title: str
    text: StudyText
    relevant: bool
    design: str
    n: int | None
    links: dict[str, str]  # claim id -> stance
    split: str
    file: str


def load_studies(folder: Path = HERE) -> list[Labelled]:
    studies = []
    for split in SPLITS:
        for path in sorted((folder / split).glob("*.toml")):
            with path.open("rb") as handle:
                data = tomllib.load(handle)
            studies += [_study(entry, split, path.name) for entry in data.get("study", [])]
    return studies


def _study(entry: dict, split: str, file: str) -> Labelled:
    sections = [(str(a), str(b)) for a, b in entry.get("sections", [])]
    text = StudyText(
        title=entry["title"],
        abstract=entry.get("abstract", "") or " ".join(b for _, b in sections),
        sections=sections,
        pub_types=list(entry.get("pub_types", [])),
        mesh=list(entry.get("mesh", [])),
        keywords=list(entry.get("keywords", [])),
    )
    return Labelled(
        pmid=str(entry["pmid"]),
        title=entry["title"],
        text=text,
        relevant=bool(entry["relevant"]),
        design=entry.get("design", ""),
        n=entry.get("n"),
        links={x["claim"]: x["stance"] for x in entry.get("links", [])},
        split=split,
        file=file,
    )


def family_links(links: dict[str, str], family_of: dict[str, str]) -> dict[str, str]:
    """A study's links per claim family: the members' stance when they agree, else the one
    most against the claim (challenges > mixed > extends > supports)."""
    stances: dict[str, set[str]] = {}
    for claim, stance in links.items():
        stances.setdefault(family_of.get(claim, claim), set()).add(stance)
    order = [str(s) for s in STANCE_ORDER]
    return {
        family: min(found, key=lambda s: order.index(s) if s in order else len(order))
        for family, found in stances.items()
    }
