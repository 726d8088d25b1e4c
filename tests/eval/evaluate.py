"""`make eval`: the evidence engine against the hand-labelled studies in tests/eval/.

Prints the dev split (tuned on) and the locked test split (never tuned on) apart, each figure
with a 90% bootstrap interval over studies, then per claim and per family, the stance
confusion matrix and the calibration of the links' confidence. Writes tests/eval/results.json.
Exits 1 when a test-split figure falls below its floor (tests/eval/floors.json: the figures
the project landed with), so CI catches a regression on studies nobody tuned on.

    .venv/bin/python -m tests.eval.evaluate [--show-errors] [--set-floors]
    .venv/bin/python -m tests.eval.evaluate --dev-only --show-errors   # while tuning
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from kapwatch.evidence import Assessment, Engine
from kapwatch.seeds.articles import Seeds, load_seeds
from tests.eval.data import HERE, SPLITS, Labelled, load_studies
from tests.eval.metrics import calibration, confusion, figures, per_key, study_counts

ROOT = HERE.parent.parent
RESULTS = HERE / "results.json"
FLOORS = HERE / "floors.json"
# The targets, judged on the test split only.
TARGETS = {
    "contrary_recall": 0.85,
    "contrary_precision": 0.60,
    "link_f1": 0.65,
    "family_f1": 0.75,
    "stance": 0.75,
    "relevance_recall": 0.97,
    "relevance_precision": 0.90,
    "strong_precision": 0.80,
}
SLACK = 0.005  # rounding: a floor is the landed figure to three places


def run(studies: list[Labelled], seeds: Seeds) -> list[tuple[Labelled, Assessment]]:
    engine = Engine(seeds.claims, seeds.lexicon)
    return [(study, engine.assess(study.text)) for study in studies]


def family_map(seeds: Seeds) -> dict[str, str]:
    return {c.id: c.family or c.id for c in seeds.claims}


def report(pairs: list[tuple[Labelled, Assessment]], family_of: dict[str, str]) -> dict[str, Any]:
    counts = [study_counts(s, r, family_of) for s, r in pairs]
    return {
        "figures": figures(counts),
        "per_claim": {k: dict(v) for k, v in sorted(per_key(pairs, lambda c: c).items())},
        "per_family": {
            k: dict(v) for k, v in sorted(per_key(pairs, lambda c: family_of.get(c, c)).items())
        },
        "confusion": {k: dict(v) for k, v in sorted(confusion(pairs).items())},
        "calibration": calibration(pairs),
    }


def cell(figure: dict[str, Any]) -> str:
    if figure["value"] is None:
        return "-"
    return f"{figure['value']:.2f} [{figure['low']:.2f}-{figure['high']:.2f}]"


def print_split(name: str, part: dict[str, Any]) -> None:
    fig = part["figures"]
    print(
        f"\n== {name}: {fig['studies']} studies, {fig['links_labelled']} labelled links, "
        f"{fig['contrary_labelled']} against a claim =="
    )
    for key in fig:
        if isinstance(fig[key], dict):
            target = f"  (target {TARGETS[key]})" if key in TARGETS and name == "test" else ""
            print(f"  {key:22}{cell(fig[key]):>20}{target}")
    print("  per claim / per family: labelled, found, predicted")
    for table in ("per_claim", "per_family"):
        for key, row in part[table].items():
            print(
                f"    {key:22}{row.get('labelled', 0):4}{row.get('found', 0):4}"
                f"{row.get('predicted', 0):4}"
            )
    stances = ["supports", "challenges", "mixed", "extends", "none"]
    print("  stance confusion (rows labelled, columns predicted): " + " ".join(stances))
    for want in stances:
        row = part["confusion"].get(want, {})
        print(f"    {want:11}" + "".join(f"{row.get(got, 0):6}" for got in stances))
    print("  calibration: confidence bin, links, share right")
    for row in part["calibration"]:
        print(f"    {row['from']:.1f}-{row['to']:.1f}{row['links']:6}  {row['share_right']}")


def errors(pairs: list[tuple[Labelled, Assessment]]) -> list[str]:
    """One line per mistake on the dev split, for the engineer tuning the engine."""
    lines = []
    for study, result in pairs:
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
    return lines


def below_floors(test: dict[str, Any], floors: dict[str, float]) -> list[str]:
    got = test["figures"]
    return [
        f"{k} {got[k]['value']} < floor {v}"
        for k, v in floors.items()
        if got[k]["value"] is None or got[k]["value"] < v - SLACK
    ]


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--show-errors", action="store_true", help="every mistake on dev")
    parser.add_argument("--set-floors", action="store_true", help="land today's test figures")
    parser.add_argument(
        "--dev-only", action="store_true", help="tuning: dev and val only, never the test split"
    )
    args = parser.parse_args(argv)
    seeds = load_seeds(ROOT / "seeds")
    family_of = family_map(seeds)
    splits = [split for split in SPLITS if not (args.dev_only and split == "test")]
    pairs = run([s for s in load_studies() if s.split in splits], seeds)
    results: dict[str, Any] = {}
    for split in splits:
        results[split] = report([p for p in pairs if p[0].split == split], family_of)
        print_split(split, results[split])
    if args.dev_only:  # tuning: no test figures, so no targets, floors or results.json
        if args.show_errors:
            print("\n".join(errors([p for p in pairs if p[0].split == "dev"])))
        return 0
    test = results["test"]["figures"]
    missed = [
        f"{k} {test[k]['value']} < {v}" for k, v in TARGETS.items() if (test[k]["value"] or 0) < v
    ]
    results["targets"] = {k: {"target": v, "test": test[k]["value"]} for k, v in TARGETS.items()}
    RESULTS.write_text(json.dumps(results, indent=1) + "\n", encoding="utf-8")
    print(
        f"\ntargets on the test split: {'all met' if not missed else 'missed: ' + '; '.join(missed)}"
    )
    if args.set_floors:
        floors = {k: test[k]["value"] for k in TARGETS if test[k]["value"] is not None}
        FLOORS.write_text(json.dumps(floors, indent=1) + "\n", encoding="utf-8")
        print(f"floors written to {FLOORS.relative_to(ROOT)}")
    if args.show_errors:
        print("\n".join(errors([p for p in pairs if p[0].split == "dev"])))
    floors = json.loads(FLOORS.read_text()) if FLOORS.exists() else {}
    dropped = below_floors(results["test"], floors)
    if dropped:
        print("test split below the landed floors: " + "; ".join(dropped))
    print(f"written to {RESULTS.relative_to(ROOT)}")
    return 1 if dropped else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
