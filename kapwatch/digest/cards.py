"""One card per study, the week's headline and the per-claim index.

A card is a study (the JSON contract's shape) with the claims it bears on grouped inside it:
a claim family's title above its members when the study bears on several members of one
family, a claim alone otherwise; each link with its stance, strength and evidence sentence.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from kapwatch.vocabulary import RESULT_MARK, STANCE_ORDER

INDEX_LINKS = 6  # card links per claim in the index; the rest are counted
INDEX_ROWS = 5  # claims in the index (challenged first): it stays short, the cards hold the rest
NOUNS = {
    "challenges": ("challenge", "challenges"),
    "supports": ("support", "supports"),
    "extends": ("extension", "extensions"),
    "mixed": ("mixed result", "mixed results"),
}


def stance_count(count: int, stance: str) -> str:
    """'1 challenge', '3 supports', '2 mixed results'."""
    return f"{count} {NOUNS[stance][count != 1]}"


def card(item: dict[str, Any], number: int, claims: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """The study as a card: `number` is its place among the week's relevant studies (the
    anchor #s<number> in both the email and the full digest)."""
    links = [
        {**link, "claim": claims[link["claim_id"]]}
        for link in item["claims"]
        if link["claim_id"] in claims
    ]
    links.sort(key=lambda x: (STANCE_ORDER.index(x["stance"]), -(x["confidence"] or 0)))
    by_family: dict[str, list[dict[str, Any]]] = {}
    for link in links:
        by_family.setdefault(link["family"], []).append(link)
    groups = [
        {"family": family if len(members) > 1 else None, "links": members}
        for family, members in by_family.items()
    ]
    stances = {link["stance"] for link in links}
    top = next((str(s) for s in STANCE_ORDER if s in stances), None)
    return {**item, "number": number, "groups": groups, "top": top}


RANKS = 4


def priority(c: dict[str, Any]) -> tuple[int, int]:
    """The email's order: challenges first, then other linked studies, then the studies tied to
    no claim whose result goes against a benefit, then the rest; within each, the store's
    order (strongest first)."""
    if c["top"]:
        rank = 0 if c["top"] == "challenges" else 1
    else:
        rank = 2 if RESULT_MARK in (c.get("reason") or "") else 3
    return rank, c["number"]


@dataclass
class Tally:
    """Per claim, how many of the week's studies bear on it, by stance, and the first cards."""

    stances: dict[str, Counter[str]] = field(default_factory=dict)
    cards: dict[str, list[int]] = field(default_factory=dict)

    def add(self, c: dict[str, Any]) -> None:
        for group in c["groups"]:
            for link in group["links"]:
                claim = link["claim_id"]
                self.stances.setdefault(claim, Counter())[link["stance"]] += 1
                numbers = self.cards.setdefault(claim, [])
                if len(numbers) < INDEX_LINKS * 4 and c["number"] not in numbers:
                    numbers.append(c["number"])

    def index(self, claims: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
        """One line per claim with new evidence, challenged claims first."""
        rows: list[dict[str, Any]] = [
            {
                "claim": claims[claim],
                "stances": [(str(s), counts[s]) for s in STANCE_ORDER if counts[s]],
                "cards": self.cards[claim],
                "total": sum(counts.values()),
            }
            for claim, counts in self.stances.items()
        ]
        rows.sort(key=lambda r: (-self.stances[r["claim"]["id"]]["challenges"], -r["total"]))
        return rows


def quoted(claim: dict[str, Any]) -> str:
    return f"'{(claim['restated'] or claim['text']).rstrip('.')}'"


def headline(tally: Tally, claims: dict[str, dict[str, Any]], new: int, relevant: int) -> str:
    """ "2 new studies challenge '…'; 1 challenges '…'. New supporting or extending evidence for
    '…' and '…'. 14 relevant of 60 new studies." Challenges first, then the claims with other
    new evidence, named (two of each, the rest counted), then the counts."""
    parts = []
    challenged = sorted(
        (
            (counts["challenges"], claim)
            for claim, counts in tally.stances.items()
            if counts["challenges"]
        ),
        key=lambda x: -x[0],
    )
    if challenged:
        n, claim = challenged[0]
        phrase = (
            f"{n} new stud{'ies challenge' if n != 1 else 'y challenges'} {quoted(claims[claim])}"
        )
        if len(challenged) > 1:
            others = len(challenged) - 1
            phrase += f", and {others} other claim{'s are' if others != 1 else ' is'} challenged"
        parts.append(phrase)
    backed = sorted(
        (
            (counts["supports"] + counts["extends"], claim)
            for claim, counts in tally.stances.items()
            if counts["supports"] + counts["extends"] and not counts["challenges"]
        ),
        key=lambda x: -x[0],
    )
    if backed:
        named = " and ".join(quoted(claims[c]) for _, c in backed[:2])
        more = f" ({len(backed) - 2} more claims)" if len(backed) > 2 else ""
        parts.append(f"New supporting or extending evidence for {named}{more}")
    if not parts:
        parts.append("No new study bears on the seed articles' claims")
    parts.append(f"{relevant} relevant of {new} new stud{'ies' if new != 1 else 'y'}")
    return ". ".join(parts) + "."
