"""Recording readers' verdicts and reading back what they did to the claims' ledgers."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from kapwatch.seeds.articles import Seeds
from kapwatch.store import Store, VerdictError, empty_ledger
from kapwatch.vocabulary import VERDICTS, NotRelated


def resolve_claims(seeds: Seeds, claim_or_family: str, linked: Iterable[str] = ()) -> list[str]:
    """The claims a verdict applies to: a claim id itself; a family id, the family's members
    the engine linked the study to, or every member when it linked none."""
    if claim_or_family in {c.id for c in seeds.claims}:
        return [claim_or_family]
    for family in seeds.families:
        if family.id == claim_or_family:
            chosen = [m for m in family.members if m in set(linked)]
            return chosen or list(family.members)
    raise VerdictError(f"no claim or claim family {claim_or_family!r} (kapwatch claims lists them)")


def record(
    store: Store,
    seeds: Seeds,
    study: str | int,
    claim_or_family: str,
    stance: str,
    reviewer: str,
    note: str = "",
) -> list[str]:
    """Save a verdict: study by store id, PMID or DOI; claim or family id; a stance or "none".
    Returns the claims it was recorded for."""
    stance = stance.strip().lower()
    if stance not in VERDICTS:
        raise VerdictError(f"stance: expected one of {', '.join(VERDICTS)}, got {stance!r}")
    study_id = study if isinstance(study, int) else store.find_study(study)
    if study_id is None:
        raise VerdictError(f"no study with PMID or DOI {study!r} in the store")
    claims = resolve_claims(seeds, claim_or_family, store.engine_claims(study_id))
    for claim_id in claims:
        store.save_verdict(study_id, claim_id, stance, reviewer, note)
    return claims


def claims_ledger(store: Store, seeds: Seeds) -> list[dict[str, Any]]:
    """Every claim with its ledger, confirmed and suggested apart (`kapwatch claims --json`)."""
    ledger = store.claim_ledger()
    return [
        {
            "id": c.id,
            "family": c.family,
            "linkable": c.linkable,  # false: a definition or rhetoric no study is held against
            "text": c.text,
            "restated": c.restated,
            "ledger": ledger.get(c.id, empty_ledger()),
        }
        for c in seeds.claims
    ]


def export_toml(store: Store) -> str:
    """Every verdict in tests/eval's format: one [[study]] per reviewed study, its links the
    readers' verdicts (pairs judged not related are listed in `not_linked`)."""
    studies: dict[Any, dict[str, Any]] = {}
    for v in store.all_verdicts():
        entry = studies.setdefault(
            (v["pmid"], v["doi"]),
            {
                **{k: v[k] for k in (*STUDY_KEYS, "relevant")},
                "links": [],
                "not_linked": [],
                "reviewers": set(),
            },
        )
        entry["reviewers"].add(v["reviewer"])
        if v["stance"] == NotRelated.NONE:
            entry["not_linked"].append(v["claim_id"])
        else:
            link = {"claim": v["claim_id"], "stance": v["stance"], "reason": v["note"]}
            entry["links"].append(link)
    out = ["# Readers' verdicts, exported by `kapwatch review --export` (tests/eval's format)."]
    for entry in studies.values():
        out += ["", "[[study]]"]
        for key in STUDY_KEYS:
            if entry[key] not in (None, "", []) or key in ("pmid", "pub_types", "mesh", "keywords"):
                out.append(f"{key} = {_toml(entry[key] or '')}")
        out.append(f"relevant = {'true' if entry['relevant'] or entry['links'] else 'false'}")
        out.append("links = [")
        out += [
            f"  {{ claim = {_toml(x['claim'])}, stance = {_toml(x['stance'])}, "
            f"reason = {_toml(x['reason'])} }},"
            for x in entry["links"]
        ]
        out.append("]")
        out.append(f"not_linked = {_toml(entry['not_linked'])}")
        out.append(f"note = {_toml('reviewed by ' + ', '.join(sorted(entry['reviewers'])))}")
    return "\n".join(out) + "\n"


STUDY_KEYS = (
    "pmid",
    "doi",
    "title",
    "journal",
    "year",
    "first_author",
    "pub_types",
    "mesh",
    "keywords",
    "abstract",
    "sections",
    "source",
    "design",
    "n",
)


def _toml(value: Any) -> str:
    """A TOML value: JSON's strings, numbers and arrays are TOML's too."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return json.dumps(value, ensure_ascii=False)
