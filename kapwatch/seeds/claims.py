"""Each claim restated as a neutral statement, and near-identical claims grouped in families.

kapwatch derives both for every claim from the concepts it names (so a third article dropped
into seeds/ gets them too); seeds/claims.toml, when present, overrides what was derived, claim
by claim. The evidence engine reads the restated claim, so a user who edits a restatement
changes what the claim is held against.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kapwatch.seeds.lexicon import Lexicon
from kapwatch.tomlfile import read_toml, unknown_keys

if TYPE_CHECKING:
    from kapwatch.seeds.articles import Claim

CLAIM_KEYS = ("restated", "family", "linkable")
FAMILY_KEYS = ("title",)
# The order in which an outcome group names a claim's family: what the claim is mostly about.
_GROUP_ORDER = ("contrast", "mechanism", "window", "course", "effect")


@dataclass(frozen=True)
class Family:
    id: str
    title: str
    members: tuple[str, ...]


def intervention_kind(concepts: dict[str, str], lexicon: Lexicon) -> str:
    roles = {lexicon.role_of(n) for n in concepts}
    if "drug" in roles and "therapy" in roles:
        return "ketamine-therapy"
    if "drug" in roles:
        return "ketamine"
    return "therapy" if "therapy" in roles else "other"


def derive_family(concepts: dict[str, str], lexicon: Lexicon) -> str:
    """e.g. 'ketamine-therapy-course': what the claim's intervention is and what it asserts."""
    groups = {lexicon.group_of(n) or "effect" for n in concepts if lexicon.role_of(n) == "outcome"}
    first = next((g for g in _GROUP_ORDER if g in groups), "effect")
    return f"{intervention_kind(concepts, lexicon)}-{first}"


# How a restatement names each kind of outcome a claim asserts.
_OUTCOME_WORDS = {
    "course": "how fast or how long the benefit lasts",
    "window": "a window of heightened plasticity",
    "contrast": "the benefit compared with ketamine alone",
    "effect": "symptoms",
}


def derive_restated(concepts: dict[str, str], lexicon: Lexicon) -> str:
    """A neutral statement of what the claim is about, in the lexicon's own terms: population,
    intervention, and the kind of outcome it asserts (not its wording or its direction)."""

    def canonical(role: str) -> list[str]:
        names = {lexicon.family_of(n) if role == "drug" else n for n in concepts}
        return sorted(
            {lexicon.term_of(n) for n in names if n in lexicon and lexicon.role_of(n) == role}
        )

    population = " or ".join(canonical("condition")) or "people"
    intervention = " with ".join(canonical("drug") + canonical("therapy")) or "the intervention"
    outcomes: list[str] = []
    for name in sorted(concepts):
        if lexicon.role_of(name) != "outcome":
            continue
        group = lexicon.group_of(name) or "effect"
        words = lexicon.term_of(name) if group == "mechanism" else _OUTCOME_WORDS[group]
        outcomes.append(words) if words not in outcomes else None
    return f"In {population}, {intervention} changes {', '.join(outcomes) or 'symptoms'}."


def read_overrides(path: Path, error: type[Exception]) -> dict[str, Any]:
    """seeds/claims.toml, checked: unknown keys stop with one line naming the table."""
    if not path.is_file():
        return {"claims": {}, "families": {}}
    data = read_toml(path, error)
    unknown_keys(data, ("claims", "families"), path, "the file", error)
    for table, keys in (("claims", CLAIM_KEYS), ("families", FAMILY_KEYS)):
        for name, entry in data.get(table, {}).items():
            if not isinstance(entry, dict):
                raise error(f"{path}: {table}.{name}: expected a table")
            unknown_keys(entry, keys, path, f"{table}.{name}", error)
    return {"claims": data.get("claims", {}), "families": data.get("families", {})}


def annotate(
    claims: list[Claim], lexicon: Lexicon, path: Path, error: type[Exception]
) -> list[Family]:
    """Give every claim its restatement and family (derived, then overridden); the families."""
    overrides = read_overrides(path, error)
    known = {c.id for c in claims}
    for name in overrides["claims"]:
        if name not in known:
            raise error(f"{path}: claims.{name}: no such claim (see `kapwatch seeds`)")
    for claim in claims:
        entry = overrides["claims"].get(claim.id, {})
        claim.restated_in_seeds = bool(entry.get("restated"))
        claim.restated = str(entry.get("restated") or derive_restated(claim.concepts, lexicon))
        claim.family = str(entry.get("family") or derive_family(claim.concepts, lexicon))
        claim.linkable = bool(entry.get("linkable", True))
    members: dict[str, list[str]] = {}
    for claim in claims:
        if claim.linkable:
            members.setdefault(claim.family, []).append(claim.id)
    titles = overrides["families"]
    return [
        Family(name, str(titles.get(name, {}).get("title", name)), tuple(ids))
        for name, ids in members.items()
    ]
