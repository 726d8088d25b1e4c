"""What every source is to the rest of kapwatch: a name, a kind, and a window's records in
batches. kapwatch.pipeline.collect stores the batches and turns the outcome into a SourceReport;
kapwatch.sources.registry lists the sources a run reads.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from typing import Protocol, runtime_checkable

from kapwatch.sources.records import Record
from kapwatch.vocabulary import SourceStatus


class SourceError(Exception):
    """A source could not be read; the message is one line saying why."""


class NotModified(Exception):
    """Nothing changed since the last run (HTTP 304); the message is the note the digest shows."""


class Period(Protocol):
    """The days a run covers (a store Window is one)."""

    @property
    def since(self) -> date: ...

    @property
    def until(self) -> date: ...


class Source(Protocol):
    """A place new studies come from: PubMed, a journal's feed, ...

    `collect` yields everything the source returned for the window, a batch at a time (the
    caller stores each batch before the next is fetched), and raises SourceError, or
    NotModified, when there is nothing to read. `keeps` says which records are on topic: a
    feed carries a whole journal, while PubMed's query already asked for the topic.
    """

    name: str
    kind: str  # pubmed | feed (the report of the citation check says "check")

    def collect(self, window: Period) -> Iterator[list[Record]]: ...

    def keeps(self, record: Record) -> bool: ...


@runtime_checkable
class Conditional(Protocol):
    """A source that sends HTTP validators from its last run (a feed's conditional GET).

    kapwatch.pipeline.collect sets them from the store before `collect` and saves what
    `collect` leaves in them afterwards.
    """

    etag: str | None
    last_modified: str | None


@dataclass
class SourceReport:
    """How one source fared this run; the digest shows every one of them."""

    name: str
    kind: str  # pubmed | feed | check (the citation check and retraction watch)
    status: SourceStatus
    items: int = 0  # items the source returned (before the relevance filter)
    kept: int = 0  # items stored after the filter
    error: str | None = None
