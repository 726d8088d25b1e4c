"""The PubMed source: a window's ESearch (split by date when it holds too many hits), EFetch
in batches through the history server; and the watch on studies already stored: the
editorial notices of a window and the stored studies whose record changed in it.

The E-utilities client (rate limit, timeouts, retries) is kapwatch.sources.eutils; the XML
parser is kapwatch.sources.pubmed_xml.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from typing import TYPE_CHECKING

from kapwatch.settings import Settings
from kapwatch.sources.base import Period, Source
from kapwatch.sources.eutils import MAX_HITS, Eutils, HistoryGone, SearchResult
from kapwatch.sources.records import Record
from kapwatch.vocabulary import Flag

if TYPE_CHECKING:
    from kapwatch.seeds.articles import Seeds

log = logging.getLogger(__name__)


@dataclass
class PubMed:
    """PubMed as a Source: every record entered in the window that matches the seeds' query."""

    settings: Settings
    query: str
    name: str = "pubmed"
    kind: str = "pubmed"

    def collect(self, window: Period) -> Iterator[list[Record]]:
        yield from window_batches(self.settings, self.query, window.since, window.until)

    def keeps(self, record: Record) -> bool:
        """Every record: the query already asks for the drug."""
        return True


def sources(settings: Settings, seeds: Seeds) -> list[Source]:
    """The registry's entry: one PubMed source, searching with the seeds' query."""
    return [PubMed(settings, seeds.query())]


# --- one window, end to end ---------------------------------------------------------------


def window_batches(
    settings: Settings,
    term: str,
    since: date,
    until: date,
    progress: Callable[[int, int], None] | None = None,
    client: Eutils | None = None,
    searches: list[SearchResult] | None = None,
) -> Iterator[list[Record]]:
    """Records entered in PubMed between since and until (inclusive) that match the term, one
    EFetch batch at a time: a caller stores each batch and never holds the whole window.

    A window with more hits than the history server can page through is split in halves by
    date until each part fits, so a ten-year backfill needs no special handling. Each search
    actually fetched is appended to `searches`. If the history expires midway, the part is
    searched again and fetching resumes where it stopped (no batch is read twice).
    """
    eutils = client or Eutils.from_settings(settings)
    pending = [(since, until)]
    try:
        while pending:
            start, end = pending.pop(0)
            search = eutils.esearch(term, start, end)
            if search.count > MAX_HITS and start < end:
                middle = start + (end - start) // 2
                pending[:0] = [(start, middle), (middle + timedelta(days=1), end)]
                continue
            log.info(
                "PubMed: %d records entered %s to %s match the query", search.count, start, end
            )
            done = 0
            while True:
                try:
                    resume_at = done
                    for reached, batch in eutils.fetch_batches(
                        search, resume_at, progress=progress
                    ):
                        done = reached
                        yield batch
                    break
                except HistoryGone:
                    log.info("PubMed history expired after %d records; searching again", done)
                    search = eutils.esearch(term, start, end)
            if searches is not None:
                searches.append(search)
    finally:
        if client is None:
            eutils.close()


# Editorial notices, by publication type.
NOTICE_TYPES = (
    "Retracted Publication",
    "Retraction of Publication",
    "Published Erratum",
    "Expression of Concern",
)
CHANGES_MAX = 10_000  # PMIDs one ESearch returns; a week's changes on the topic are far fewer


def editorial_news(eutils: Eutils, query: str, since: date, until: date) -> dict[str, set[str]]:
    """PMID -> flags from the topic's editorial notices of the window: one ESearch by
    modification date for retracted articles and for notices whose own text matches the
    query, then one EFetch of the few it finds. A notice flags the article it points to."""
    types = " OR ".join(f'"{t}"[pt]' for t in NOTICE_TYPES)
    search = eutils.esearch(f"({query}) AND ({types})", since, until, datetype="mdat")
    flags: dict[str, set[str]] = {}
    for record in eutils.fetch(search):
        if record.pmid and Flag.RETRACTED in record.flags:
            flags.setdefault(record.pmid, set()).add(Flag.RETRACTED)
        for pmid, flag in record.notice_targets():
            flags.setdefault(pmid, set()).add(flag)
    return flags


def sent_changes(
    eutils: Eutils,
    query: str,
    since: date,
    until: date,
    stored: Callable[[Iterable[str]], set[str]],
) -> dict[str, set[str]]:
    """PMID -> flags for stored studies whose PubMed record changed in the window: one ESearch
    for the topic query by modification date, intersected with the stored PMIDs (`stored`),
    and one EFetch of those, reading each study's own CommentsCorrections (RetractionIn,
    ErratumIn, ExpressionOfConcernIn, UpdateIn). A notice needs no words of the topic to be
    found this way, and the cost stays two requests however many studies are stored."""
    search = eutils.esearch(query, since, until, datetype="mdat", retmax=CHANGES_MAX)
    if search.count > len(search.ids):
        log.warning(
            "PubMed: %d records on the topic changed %s to %s; the first %d were checked",
            search.count,
            since,
            until,
            len(search.ids),
        )
    changed = sorted(stored(search.ids))
    flags: dict[str, set[str]] = {}
    if not changed:
        return flags
    for record in eutils.fetch_ids(changed, batch_size=len(changed)):
        found = {Flag(f) for f in record.flags} & CHANGES
        if record.pmid and found:
            flags.setdefault(record.pmid, set()).update(found)
    return flags


CHANGES = frozenset({Flag.RETRACTED, Flag.ERRATUM, Flag.EXPRESSION_OF_CONCERN, Flag.UPDATED})


def search_window(
    settings: Settings,
    term: str,
    since: date,
    until: date,
    progress: Callable[[int, int], None] | None = None,
    client: Eutils | None = None,
) -> tuple[list[Record], list[SearchResult]]:
    """The whole window at once (small windows and tests): records, and the searches made."""
    searches: list[SearchResult] = []
    batches = window_batches(settings, term, since, until, progress, client, searches)
    records = [record for batch in batches for record in batch]
    return records, searches
