"""Request counts against the stand-in: a regression guard in counts, not times (issue 5)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from bench.generate import efetch
from bench.synthetic import Dataset
from kapwatch.demo.standin import StandIn, serve
from kapwatch.settings import Settings
from kapwatch.sources import pubmed
from kapwatch.sources.eutils import BATCH_SIZE, MAX_HITS, Eutils
from kapwatch.sources.pubmed import search_window


def run(count: int, days: int, since: date, until: date) -> tuple[int, int, int]:
    data = StandIn()
    # The bench's synthetic records, spread evenly over `days` entrez dates from 1 January.
    data.load_pubmed(
        efetch(
            Dataset(
                "counts", count, 80_000_000, date(2026, 1, 1), date(2026, 1, 1) + timedelta(days)
            )
        )
    )
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


def test_storing_new_records_takes_a_few_statements_a_batch_not_one_a_record(
    database_url: str,
) -> None:
    import sqlalchemy as sa

    from kapwatch.sources.records import Record
    from kapwatch.store import BATCH, Store

    store = Store(database_url)
    window = store.open_window(date(2026, 1, 5), date(2026, 1, 11))
    count = 2 * BATCH + 200
    records = [
        Record(
            "pubmed",
            f"Ketamine and therapy, study {i}: outcomes at {i % 50} weeks",
            pmid=str(10_000 + i),
            doi=f"10.5555/k{i}" if i % 3 else None,  # rows with and without some columns
            authors=[f"Author{i % 300} A", "Second B"],
            year=2026,
        )
        for i in range(count)
    ]
    statements: list[str] = []
    sa.event.listen(store.engine, "before_cursor_execute", lambda *args: statements.append(args[2]))
    result = store.add_records(window.id, records)
    assert result.new == count
    batches = -(-count // BATCH)
    # Per batch: the look-ups by identifier, by block and of the preprints a journal record may
    # be the version of, the insert of the new studies, reading their ids back (SQLite), their
    # sightings. Row by row it would be 2 * count.
    assert len(statements) <= 7 * batches, statements[:12]
    with store.session() as s:
        assert s.scalar(sa.select(sa.func.count()).select_from(sa.text("sightings"))) == count


@pytest.mark.parametrize("stored", [10, 1500])
def test_the_watch_on_stored_studies_takes_the_same_requests_however_many(stored: int) -> None:
    """Every stored study changed this week: still one ESearch by modification date and one
    EFetch of those (ids sent by POST), then the notices' ESearch (and an EFetch if any)."""
    week = (date(2026, 11, 16), date(2026, 11, 22))
    data = StandIn()
    data.load_pubmed(
        efetch(Dataset("stored", stored, 80_000_000, date(2026, 1, 5), date(2026, 11, 1)))
    )
    for article in data.articles:
        article.modified = date(2026, 11, 18)
    with serve(data) as running:
        settings = Settings.from_env({"KAPWATCH_EUTILS_URL": running.eutils_url})
        with Eutils.from_settings(settings) as eutils:
            ids = {a.pmid for a in data.articles}
            changes = pubmed.sent_changes(
                eutils, "ketamine[tiab]", *week, lambda found: ids & set(found)
            )
            pubmed.editorial_news(eutils, "ketamine[tiab]", *week)
    # The bench's records carry errata now and then (ErratumIn), as real ones do.
    assert set(changes) <= ids
    # The changed stored studies (ESearch, EFetch), then the notices (ESearch, and one EFetch
    # when the week has any): at most four requests however many studies are stored.
    assert data.requests[:3] == [
        "/entrez/eutils/esearch.fcgi",
        "/entrez/eutils/efetch.fcgi",
        "/entrez/eutils/esearch.fcgi",
    ]
    assert data.requests[3:] in ([], ["/entrez/eutils/efetch.fcgi"])
