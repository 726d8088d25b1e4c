"""Request counts against the stand-in: a regression guard in counts, not times (issue 5)."""

from __future__ import annotations

from datetime import date

import pytest

from kapwatch.pubmed import BATCH_SIZE, MAX_HITS, Eutils, search_window
from kapwatch.settings import Settings
from kapwatch.standin import StandIn, serve


def run(count: int, days: int, since: date, until: date) -> tuple[int, int, int]:
    data = StandIn()
    data.add_synthetic(count, date(2026, 1, 1), days)
    with serve(data) as server:
        settings = Settings.from_env({"KAPWATCH_EUTILS_URL": server.eutils_url})
        # With a key (10 requests/s) so the test is quick; the counts are what it checks.
        eutils = Eutils(server.eutils_url, api_key="test-key", backoff=0.01)
        records, searches = search_window(settings, "ketamine", since, until, client=eutils)
    assert len({r.pmid for r in records}) == len(records)  # nothing fetched twice
    return len(records), len(searches), eutils.requests


def test_a_weekly_run_makes_two_requests() -> None:
    records, searches, requests = run(200, 7, date(2026, 1, 1), date(2026, 1, 7))
    assert (records, searches, requests) == (200, 1, 2)  # one ESearch, one EFetch


@pytest.mark.slow
def test_a_backfill_past_the_history_limit_is_split_and_fetched_once() -> None:
    count = 12_000
    records, searches, requests = run(count, 60, date(2026, 1, 1), date(2026, 3, 1))
    assert records == count and count > MAX_HITS
    assert searches == 2  # two halves of the window, each under the limit
    efetches = 2 * -(-count // 2 // BATCH_SIZE)
    assert requests == 1 + searches + efetches  # the over-limit ESearch, two more, the EFetches
