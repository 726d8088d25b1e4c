"""How sure the digest is of a link: a logistic model over a few plain features of how the link
was made, fitted on the labelled dev studies (`python -m tests.eval.calibrate` writes
calibration.json beside this file). A link at or above the threshold is shown as "strong",
below it as "possible"; the threshold is where dev links start being right at least 85% of
the time."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, fields
from pathlib import Path

from kapwatch.vocabulary import Strength

CALIBRATION = Path(__file__).with_name("calibration.json")


@dataclass(frozen=True)
class LinkFeatures:
    coverage: float  # the share of the claim's concepts the study names
    in_conclusions: bool  # the evidence sentence is among the conclusions
    same: bool  # the claim's own population, drug form and therapy (not an extension)
    trial: bool  # a randomized trial or a meta-analysis
    contrary: bool  # the study goes against the claim
    focused: bool = False  # the study has finding sentences about what the claim asserts
    crowd: float = 1.0  # 1 / the number of claims the study bears on

    def vector(self) -> list[float]:
        return [
            1.0,
            self.coverage,
            float(self.in_conclusions),
            float(self.same),
            float(self.trial),
            float(self.contrary),
            float(self.focused),
            self.crowd,
        ]


FEATURES = ("bias", *(f.name for f in fields(LinkFeatures)))


@dataclass(frozen=True)
class Calibration:
    weights: tuple[float, ...]  # one per FEATURES
    threshold: float  # strong at or above

    def confidence(self, features: LinkFeatures) -> float:
        z = sum(w * x for w, x in zip(self.weights, features.vector(), strict=True))
        return round(1.0 / (1.0 + math.exp(-z)), 3)

    def strength(self, confidence: float) -> Strength:
        return Strength.STRONG if confidence >= self.threshold else Strength.POSSIBLE


# Before any fit: every link is as likely as the coverage of the claim says.
UNFITTED = Calibration(weights=(-1.0, 3.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0), threshold=0.7)


def load_calibration(path: Path = CALIBRATION) -> Calibration:
    if not path.is_file():
        return UNFITTED
    data = json.loads(path.read_text(encoding="utf-8"))
    weights = tuple(float(data["weights"].get(name, 0.0)) for name in FEATURES)
    return Calibration(weights=weights, threshold=float(data["threshold"]))
