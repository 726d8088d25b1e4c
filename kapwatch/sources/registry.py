"""The sources a weekly run reads, in the order it reads and stores them.

PubMed comes first: when a feed item and a PubMed record are the same study, the study is
stored from PubMed's fuller record and the feed's sighting is merged into it.

Adding a source (say ClinicalTrials.gov) is one new module in kapwatch/sources/ -- a class
that implements `Source` (kapwatch.sources.base) and a `sources(settings, seeds)` function
that builds it -- and one line in SOURCES below. The pipeline stores its records, reports
its failures and shows it in the digest like any other.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from kapwatch.settings import Settings
from kapwatch.sources import feeds, pubmed
from kapwatch.sources.base import Source

if TYPE_CHECKING:
    from kapwatch.seeds.articles import Seeds

SOURCES: tuple[Callable[[Settings, Seeds], list[Source]], ...] = (
    pubmed.sources,
    feeds.sources,
)


def build(settings: Settings, seeds: Seeds) -> list[Source]:
    """Every source of a run; a bad feeds file raises FeedsFileError here."""
    return [source for make in SOURCES for source in make(settings, seeds)]
