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
# How a relevant study's reason says its result goes against a benefit ("; result: no better
# than control, or worse"): the digest lists such a study first among those tied to no claim.
RESULT_MARK = "; result: "


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
    """What a reader must see next to a study, and the news a study already sent is listed
    again for. Editorial ones come from a notice on it (a notice is never a study itself); the
    two version flags carry the other version's DOI: `now_published:<doi>` on a preprint,
    `published_version_of:<doi>` on its journal version (Flag.NOW_PUBLISHED.of(doi))."""

    RETRACTED = "retracted"
    ERRATUM = "erratum"
    EXPRESSION_OF_CONCERN = "expression_of_concern"
    UPDATED = "updated"  # PubMed's UpdateIn: a newer version of the work (a review updated)
    NOW_PUBLISHED = "now_published"
    PUBLISHED_VERSION_OF = "published_version_of"
    PREPRINT = "preprint"
    RETRACTION_NOTICE = "retraction_notice"

    def of(self, doi: str | None) -> str:
        """The flag with the other version's DOI: 'now_published:10.1056/...'."""
        return f"{self.value}:{doi or ''}"

    @classmethod
    def kind(cls, flag: str) -> str:
        """The flag without its DOI: 'now_published:10.1/x' -> 'now_published'."""
        return flag.partition(":")[0]


# Flags that are news about a study already sent, in the week they appear on it.
NEWS_FLAGS = frozenset(
    {
        Flag.RETRACTED,
        Flag.ERRATUM,
        Flag.EXPRESSION_OF_CONCERN,
        Flag.UPDATED,
        Flag.NOW_PUBLISHED,
        Flag.PUBLISHED_VERSION_OF,
    }
)
