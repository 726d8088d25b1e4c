"""Time points after a dose, however an abstract writes them: within hours or a day (what a
claim of rapid relief is tested on) and a month or more after the last dose (what a claim that
the benefit fades, or lasts, is tested on)."""

from __future__ import annotations

import re

EARLY = "within_a_day"  # the lexicon's concept of an effect within hours or a day
LATE = "durability"  # ... and of an effect followed over time

_NUMBER = r"(?:\d+(?:\.\d+)?\s*(?:-|to|and|,)\s*)*"  # "3, 7 and 90 days": the last counts
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
# A time a month or more after the last dose, said as one ("at 3, 7 and 90 days after
# surgery", "6 months after the last infusion", "at the 12-week follow-up"): a visit during
# weeks of repeated dosing ("at week 8") is not one.
_LATE_TIME = re.compile(
    r"\b" + _NUMBER + r"(?P<n>\d+)[\s-]*(?P<u>days?|weeks?|months?)\s+(?:after|post)[\s-]"
    r"(?:the\s+)?(?:last|final|single|surgery|delivery|infusion|injection|dose|dosing|treatment)"
    r"|\b(?P<n2>\d+)[\s-]*(?P<u2>weeks?|months?)\s+follow[\s-]?ups?\b",
    re.IGNORECASE,
)
_DAYS = {"d": 1, "w": 7, "m": 30}


def early_time(sentence: str) -> str | None:
    """The phrase naming a time point within three days of a dose, if the sentence has one."""
    for match in _EARLY_TIME.finditer(sentence):
        number, unit = match.group("n") or match.group("n2"), match.group("u") or match.group("u2")
        if number is None or unit.lower().startswith("m") or float(number) <= 72:
            return match.group(0)
    return None


def late_time(sentence: str) -> str | None:
    """The phrase naming a time point four weeks or more after the last dose, if any."""
    for match in _LATE_TIME.finditer(sentence):
        number, unit = match.group("n") or match.group("n2"), match.group("u") or match.group("u2")
        if int(number) * _DAYS[unit[0].lower()] >= 28:
            return match.group(0)
    return None
