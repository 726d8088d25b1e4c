"""Figures for one split: counts per study, summed, with 90% bootstrap intervals over studies."""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Callable, Sequence
from typing import Any

from kapwatch.evidence import Assessment
from tests.eval.data import Labelled, family_links

CONTRARY = {"challenges", "mixed"}
RESAMPLES = 1000
SEED = 20261203


def ratio(a: float, b: float) -> float | None:
    return a / b if b else None


def f1(p: float | None, r: float | None) -> float | None:
    if p is None or r is None:
        return None
    return 2 * p * r / (p + r) if p + r else 0.0


# Each figure from the summed counts of a set of studies.
FIGURES: dict[str, Callable[[Counter[str]], float | None]] = {
    "relevance_precision": lambda c: ratio(c["rel_tp"], c["rel_tp"] + c["rel_fp"]),
    "relevance_recall": lambda c: ratio(c["rel_tp"], c["rel_tp"] + c["rel_fn"]),
    "link_precision": lambda c: ratio(c["link_tp"], c["link_tp"] + c["link_fp"]),
    "link_recall": lambda c: ratio(c["link_tp"], c["link_tp"] + c["link_fn"]),
    "link_f1": lambda c: f1(FIGURES["link_precision"](c), FIGURES["link_recall"](c)),
    "family_precision": lambda c: ratio(c["fam_tp"], c["fam_tp"] + c["fam_fp"]),
    "family_recall": lambda c: ratio(c["fam_tp"], c["fam_tp"] + c["fam_fn"]),
    "family_f1": lambda c: f1(FIGURES["family_precision"](c), FIGURES["family_recall"](c)),
    "stance": lambda c: ratio(c["stance_right"], c["link_tp"]),
    "contrary_recall": lambda c: ratio(c["contrary_found"], c["contrary_labelled"]),
    "contrary_precision": lambda c: ratio(c["contrary_right"], c["contrary_marked"]),
    "strong_precision": lambda c: ratio(c["strong_right"], c["strong"]),
    "design": lambda c: ratio(c["design_right"], c["design_total"]),
    "n": lambda c: ratio(c["n_right"], c["n_total"]),
}


def study_counts(study: Labelled, result: Assessment, family_of: dict[str, str]) -> Counter[str]:
    """What one study adds to every figure."""
    c: Counter[str] = Counter()
    c["rel_tp" if study.relevant else "rel_fp"] += result.relevant
    c["rel_fn" if study.relevant else "rel_tn"] += not result.relevant
    predicted = {x.claim_id: x.stance for x in result.links}
    for claim, stance in predicted.items():
        want = study.links.get(claim)
        c["link_tp" if want else "link_fp"] += 1
        c["stance_right"] += stance == want
        if stance in CONTRARY:
            c["contrary_marked"] += 1
            c["contrary_right"] += want in CONTRARY
    for link in result.links:
        if link.strength == "strong":
            c["strong"] += 1
            c["strong_right"] += link.claim_id in study.links
    c["link_fn"] += len(set(study.links) - set(predicted))
    for claim, stance in study.links.items():
        if stance in CONTRARY:
            c["contrary_labelled"] += 1
            c["contrary_found"] += predicted.get(claim) in CONTRARY
    want_f, got_f = family_links(study.links, family_of), family_links(predicted, family_of)
    c["fam_tp"] += len(set(want_f) & set(got_f))
    c["fam_fp"] += len(set(got_f) - set(want_f))
    c["fam_fn"] += len(set(want_f) - set(got_f))
    if study.relevant and study.design:
        c["design_total"] += 1
        c["design_right"] += result.design == study.design
    if study.relevant and study.n is not None:
        c["n_total"] += 1
        c["n_right"] += result.n == study.n
    return c


def intervals(counts: Sequence[Counter[str]]) -> dict[str, tuple[float | None, float | None]]:
    """Each figure's 5th and 95th percentiles over studies resampled with replacement."""
    rng = random.Random(SEED)
    values: dict[str, list[float]] = {name: [] for name in FIGURES}
    for _ in range(RESAMPLES):
        total: Counter[str] = Counter()
        for c in rng.choices(counts, k=len(counts)):
            total.update(c)
        for name, figure in FIGURES.items():
            value = figure(total)
            if value is not None:
                values[name].append(value)
    out: dict[str, tuple[float | None, float | None]] = {}
    for name, found in values.items():
        found.sort()
        last = len(found) - 1
        out[name] = (found[int(0.05 * last)], found[int(0.95 * last)]) if found else (None, None)
    return out


def figures(counts: Sequence[Counter[str]], with_intervals: bool = True) -> dict[str, Any]:
    total: Counter[str] = Counter()
    for c in counts:
        total.update(c)
    spread = intervals(counts) if with_intervals and counts else {}
    out: dict[str, Any] = {"studies": len(counts)}
    for name, figure in FIGURES.items():
        value = figure(total)
        low, high = spread.get(name, (None, None))
        out[name] = {
            "value": None if value is None else round(value, 3),
            "low": None if low is None else round(low, 3),
            "high": None if high is None else round(high, 3),
        }
    out["links_labelled"] = total["link_tp"] + total["link_fn"]
    out["contrary_labelled"] = total["contrary_labelled"]
    return out


def confusion(pairs: Sequence[tuple[Labelled, Assessment]]) -> dict[str, Counter[str]]:
    """Labelled stance (or none) -> predicted stance (or none), over every (study, claim)
    pair either side marked."""
    table: dict[str, Counter[str]] = {}
    for study, result in pairs:
        predicted = {x.claim_id: x.stance for x in result.links}
        for claim in set(predicted) | set(study.links):
            row = table.setdefault(study.links.get(claim, "none"), Counter())
            row[predicted.get(claim, "none")] += 1
    return table


def per_key(
    pairs: Sequence[tuple[Labelled, Assessment]], key_of: Callable[[str], str]
) -> dict[str, Counter[str]]:
    """Labelled, predicted and found links per claim (or per family, with key_of)."""
    table: dict[str, Counter[str]] = {}
    for study, result in pairs:
        want = {key_of(c) for c in study.links}
        got = {key_of(x.claim_id) for x in result.links}
        for key in want | got:
            row = table.setdefault(key, Counter())
            row["labelled"] += key in want
            row["predicted"] += key in got
            row["found"] += key in want and key in got
    return table


def calibration(pairs: Sequence[tuple[Labelled, Assessment]], bins: int = 5) -> list[dict]:
    """Engine links by confidence: how many, and the share the labels also hold."""
    rows = [{"from": i / bins, "to": (i + 1) / bins, "links": 0, "right": 0} for i in range(bins)]
    for study, result in pairs:
        for link in result.links:
            confidence = link.confidence
            row = rows[min(int(confidence * bins), bins - 1)]
            row["links"] += 1
            row["right"] += link.claim_id in study.links
    for row in rows:
        row["share_right"] = round(row["right"] / row["links"], 3) if row["links"] else None
    return rows
