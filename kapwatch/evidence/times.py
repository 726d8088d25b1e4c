"""Time points after a dose, however an abstract writes them: within hours or a day is what a
claim of rapid relief is tested on.

A reader of time points a month or more after the last dose (a benefit then is one that lasted)
was tried in December: tuned on dev, it lowered the locked test split's contrary-evidence
precision below its floor, so it did not land."""

from __future__ import annotations

import re

EARLY = "within_a_day"  # the lexicon's concept of an effect within hours or a day

_NUMBER = r"(?:\d+(?:\.\d+)?\s*(?:-|to|and|,)\s*)*"  # "at 90 and 230 minutes": the last counts
# A time since the dose ("at 240 minutes", "4 hours after", "within 2 h", "on days 1, 2 and
# 3"). An infusion's length ("over 40 minutes") is not one.
_EARLY_TIME = re.compile(
    r"\b(?:(?:at|after|within|by|until|through|to)\s+(?:the\s+first\s+)?"
    + _NUMBER
    + r"(?P<n>\d+(?:\.\d+)?)[\s-]*(?P<u>min(?:utes?)?|h|hrs?|hours?)\b"
    r"|(?P<n2>\d+(?:\.\d+)?)[\s-]*(?P<u2>min(?:utes?)?|h|hrs?|hours?)\s+(?:after|post)"
    r"|\bdays?\s+(?:1|one)\b(?!\d))",
    re.IGNORECASE,
)
_MAYBE = re.compile(r"\b(?:min(?:utes?)?|h|hrs?|hours?|days?)\b", re.IGNORECASE)


def early_time(sentence: str) -> str | None:
    """The phrase naming a time point within three days of a dose, if the sentence has one."""
    if not _MAYBE.search(sentence):
        return None  # most sentences name no time at all
    for match in _EARLY_TIME.finditer(sentence):
        number, unit = match.group("n") or match.group("n2"), match.group("u") or match.group("u2")
        if number is None or unit.lower().startswith("m") or float(number) <= 72:
            return match.group(0)
    return None
