"""`make eval`: the evidence engine against the hand-labelled studies in tests/eval/.

Prints precision, recall and F1 for relevance and for (study, claim) links, stance and design
accuracy, overall and on a third reported apart ("holdout": a study's PMID decides it, so it
never moves; its errors were read while tuning too, so it shows stability, not a blind score),
and writes them to tests/eval/results.json.

    .venv/bin/python -m tests.eval.evaluate [--show-errors]
"""

from __future__ import annotations

import argparse
import json
import sys
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kapwatch.evidence.engine import Assessment, Engine, StudyText
from kapwatch.seeds.articles import Seeds, load_seeds

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
RESULTS = HERE / "results.json"
TARGETS = {"relevance_recall": 0.98, "relevance_precision": 0.90, "link_f1": 0.80, "stance": 0.80}
STANCES = ("supports", "challenges", "extends", "mixed")


@dataclass
class Labelled:
    pmid: str
    title: str
    text: StudyText
    relevant: bool
    design: str
    n: int | None
    links: dict[str, str]  # claim id -> stance
    file: str

    @property
    def holdout(self) -> bool:
        return int(self.pmid) % 3 == 0


def load_studies(folder: Path = HERE) -> list[Labelled]:
    studies = []
    for path in sorted(folder.glob("studies_*.toml")):
        with path.open("rb") as handle:
            data = tomllib.load(handle)
        for entry in data.get("study", []):
            sections = [(str(a), str(b)) for a, b in entry.get("sections", [])]
            text = StudyText(
                title=entry["title"],
                abstract=entry.get("abstract", "") or " ".join(b for _, b in sections),
                sections=sections,
                pub_types=list(entry.get("pub_types", [])),
                mesh=list(entry.get("mesh", [])),
                keywords=list(entry.get("keywords", [])),
            )
            studies.append(
                Labelled(
                    pmid=str(entry["pmid"]),
                    title=entry["title"],
                    text=text,
                    relevant=bool(entry["relevant"]),
                    design=entry.get("design", ""),
                    n=entry.get("n"),
                    links={x["claim"]: x["stance"] for x in entry.get("links", [])},
                    file=path.name,
                )
            )
    return studies


@dataclass
class Tally:
    tp: int = 0
    fp: int = 0
    fn: int = 0
    tn: int = 0

    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0

    def f1(self) -> float:
        p, r = self.precision(), self.recall()
        return 2 * p * r / (p + r) if p + r else 0.0


@dataclass
class Scores:
    relevance: Tally = field(default_factory=Tally)
    links: Tally = field(default_factory=Tally)
    stance_right: int = 0
    stance_total: int = 0
    design_right: int = 0
    design_total: int = 0
    n_right: int = 0
    n_total: int = 0
    studies: int = 0

    def add(self, study: Labelled, result: Assessment) -> None:
        self.studies += 1
        rel = self.relevance
        if study.relevant:
            rel.tp, rel.fn = rel.tp + result.relevant, rel.fn + (not result.relevant)
        else:
            rel.fp, rel.tn = rel.fp + result.relevant, rel.tn + (not result.relevant)
        predicted = {x.claim_id: x.stance for x in result.links}
        for claim_id, stance in predicted.items():
            if claim_id in study.links:
                self.links.tp += 1
                self.stance_total += 1
                self.stance_right += stance == study.links[claim_id]
            else:
                self.links.fp += 1
        self.links.fn += len(set(study.links) - set(predicted))
        if study.relevant and study.design:
            self.design_total += 1
            self.design_right += result.design == study.design
        if study.relevant and study.n is not None:
            self.n_total += 1
            self.n_right += result.n == study.n

    def as_dict(self) -> dict[str, Any]:
        ratio = lambda a, b: round(a / b, 3) if b else None  # noqa: E731
        return {
            "studies": self.studies,
            "relevance_precision": round(self.relevance.precision(), 3),
            "relevance_recall": round(self.relevance.recall(), 3),
            "relevance_f1": round(self.relevance.f1(), 3),
            "link_precision": round(self.links.precision(), 3),
            "link_recall": round(self.links.recall(), 3),
            "link_f1": round(self.links.f1(), 3),
            "links_labelled": self.links.tp + self.links.fn,
            "stance": ratio(self.stance_right, self.stance_total),
            "stance_judged": self.stance_total,
            "design": ratio(self.design_right, self.design_total),
            "n": ratio(self.n_right, self.n_total),
        }


def evaluate(
    studies: list[Labelled], seeds: Seeds
) -> tuple[dict[str, Any], list[tuple[Labelled, Assessment]]]:
    overall, dev, holdout = Scores(), Scores(), Scores()
    results = []
    engine = Engine(seeds.claims, seeds.lexicon)
    for study in studies:
        result = engine.assess(study.text)
        results.append((study, result))
        overall.add(study, result)
        (holdout if study.holdout else dev).add(study, result)
    figures = {
        "all": overall.as_dict(),
        "dev": dev.as_dict(),
        "holdout": holdout.as_dict(),
        "targets": TARGETS,
    }
    return figures, results


def errors(results: list[tuple[Labelled, Assessment]]) -> list[str]:
    """One line per mistake, for the engineer tuning the engine."""
    lines = []
    for study, result in results:
        where = f"{study.pmid} {study.title[:70]}"
        if study.relevant != result.relevant:
            lines.append(
                f"RELEVANCE {where}: labelled {study.relevant}, got {result.relevant} "
                f"({result.score}: {result.reason})"
            )
        predicted = {x.claim_id: x.stance for x in result.links}
        for claim_id in sorted(set(predicted) | set(study.links)):
            want, got = study.links.get(claim_id), predicted.get(claim_id)
            if want != got:
                lines.append(f"LINK {where}: {claim_id} labelled {want}, got {got}")
        if study.relevant and study.design and study.design != result.design:
            lines.append(f"DESIGN {where}: labelled {study.design}, got {result.design}")
    return lines


def table(figures: dict[str, Any]) -> str:
    rows = [
        ("studies", "studies"),
        ("relevance precision", "relevance_precision"),
        ("relevance recall", "relevance_recall"),
        ("relevance F1", "relevance_f1"),
        ("link precision", "link_precision"),
        ("link recall", "link_recall"),
        ("link F1", "link_f1"),
        ("stance accuracy", "stance"),
        ("design accuracy", "design"),
        ("n accuracy", "n"),
    ]
    lines = [f"{'':22}{'all':>8}{'dev':>8}{'holdout':>9}"]
    for label, key in rows:
        cells = [figures[part][key] for part in ("all", "dev", "holdout")]
        lines.append(f"{label:22}" + "".join(f"{c!s:>8}" for c in cells[:2]) + f"{cells[2]!s:>9}")
    return "\n".join(lines)


def missed_targets(figures: dict[str, Any]) -> list[str]:
    got = figures["all"]
    return [f"{k} {got[k]} < {v}" for k, v in TARGETS.items() if (got[k] or 0) < v]


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--show-errors", action="store_true", help="print every mistake")
    args = parser.parse_args(argv)
    seeds = load_seeds(ROOT / "seeds")
    figures, results = evaluate(load_studies(), seeds)
    RESULTS.write_text(json.dumps(figures, indent=2) + "\n", encoding="utf-8")
    print(table(figures))
    if args.show_errors:
        print("\n".join(errors(results)))
    missed = missed_targets(figures)
    print(f"targets: {'all met' if not missed else 'missed: ' + '; '.join(missed)}")
    print(f"written to {RESULTS.relative_to(ROOT)}")
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
