"""kapwatch's vocabularies, each defined once: stances, a reader's verdicts, strengths, source statuses, delivery
states and study flags. They are StrEnums, so each member is also the plain string the JSON,
the store and the templates carry."""

from __future__ import annotations

from enum import StrEnum


class Stance(StrEnum):
    """How a study bears on a claim."""

    SUPPORTS = "supports"
    CHALLENGES = "challenges"
    MIXED = "mixed"
    EXTENDS = "extends"


# The order a reader wants: what goes against a claim first.
STANCE_ORDER = (Stance.CHALLENGES, Stance.MIXED, Stance.EXTENDS, Stance.SUPPORTS)
CONTRARY = frozenset({Stance.CHALLENGES, Stance.MIXED})


class NotRelated(StrEnum):
    """A reader's verdict that a study does not bear on a claim (the engine never says it)."""

    NONE = "none"


# What a reader may say of a (study, claim) pair: a stance, or not related.
VERDICTS: tuple[str, ...] = (*Stance, NotRelated.NONE)


class Strength(StrEnum):
    """How sure the digest is of a link, from its calibrated confidence."""

    STRONG = "strong"
    POSSIBLE = "possible"


class SourceStatus(StrEnum):
    OK = "ok"
    EMPTY = "empty"
    ERROR = "error"


class DeliveryState(StrEnum):
    """A window's delivery on one channel; at most once: SENDING is written before the
    conversation starts, so a run that dies mid-send leaves UNKNOWN, never a second send."""

    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    OUTBOX = "outbox"
    FAILED = "failed"
    SKIPPED = "skipped"
    UNKNOWN = "unknown"


class Flag(StrEnum):
    """News about a study: an editorial notice on it (a notice is never a study itself)."""

    RETRACTED = "retracted"
    ERRATUM = "erratum"
    EXPRESSION_OF_CONCERN = "expression_of_concern"
