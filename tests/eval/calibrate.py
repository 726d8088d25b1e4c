"""Fit the links' confidence on the dev split: `python -m tests.eval.calibrate`.

A logistic regression of "the labels hold this link" on the LinkFeatures of every link the
engine makes on dev studies (never the test split), and the threshold above which dev links
are right at least 85% of the time. Writes kapwatch/evidence/calibration.json.
"""

from __future__ import annotations

import json
import math
import sys

from kapwatch.evidence import Engine
from kapwatch.evidence.confidence import CALIBRATION, FEATURES, UNFITTED
from kapwatch.evidence.design import classify_design
from kapwatch.evidence.text import read
from kapwatch.seeds.articles import load_seeds
from tests.eval.data import load_studies
from tests.eval.evaluate import ROOT

STRONG_PRECISION = 0.85
L2 = 0.01  # keeps the weights small on a few hundred links


def dev_links() -> list[tuple[list[float], int]]:
    seeds = load_seeds(ROOT / "seeds")
    engine = Engine(seeds.claims, seeds.lexicon, calibration=UNFITTED)
    rows = []
    for study in load_studies():
        if study.split != "dev" or not study.relevant:
            continue
        reading = read(study.text, seeds.lexicon)
        for link, features in engine.scored_links(study.text, reading, classify_design(study.text)):
            rows.append((features.vector(), int(link.claim_id in study.links)))
    return rows


def fit(rows: list[tuple[list[float], int]], steps: int = 4000, rate: float = 0.5) -> list[float]:
    weights = [0.0] * len(rows[0][0])
    for _ in range(steps):
        gradient = [L2 * w for w in weights]
        for x, y in rows:
            p = 1.0 / (1.0 + math.exp(-sum(w * v for w, v in zip(weights, x, strict=True))))
            for i, v in enumerate(x):
                gradient[i] += (p - y) * v / len(rows)
        weights = [w - rate * g for w, g in zip(weights, gradient, strict=True)]
    return weights


def threshold(scored: list[tuple[float, int]]) -> float:
    """The lowest confidence above which dev links are right often enough."""
    best = 1.0
    for t in sorted({round(c, 3) for c, _ in scored}, reverse=True):
        above = [y for c, y in scored if c >= t]
        if len(above) >= 10 and sum(above) / len(above) >= STRONG_PRECISION:
            best = t
    return best


def main() -> int:
    rows = dev_links()
    weights = fit(rows)
    scored = [
        (1.0 / (1.0 + math.exp(-sum(w * v for w, v in zip(weights, x, strict=True)))), y)
        for x, y in rows
    ]
    cut = threshold(scored)
    data = {
        "fitted_on": f"{len(rows)} links on the dev split",
        "weights": {name: round(w, 4) for name, w in zip(FEATURES, weights, strict=True)},
        "threshold": round(cut, 3),
    }
    CALIBRATION.write_text(json.dumps(data, indent=1) + "\n", encoding="utf-8")
    strong = [y for c, y in scored if c >= cut]
    print(
        f"{len(rows)} dev links; strong at >= {cut:.3f}: {len(strong)} links, "
        f"{sum(strong) / max(len(strong), 1):.2f} right; written to {CALIBRATION}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
