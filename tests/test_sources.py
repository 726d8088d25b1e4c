"""The Source seam: any source goes through pipeline.collect, stored a batch at a time, with
one report; a failing source is one error report naming it, secrets redacted."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

import httpx
from pytest_httpserver import HTTPServer

from kapwatch import pipeline
from kapwatch.seeds.articles import Seeds
from kapwatch.settings import Settings
from kapwatch.sources import registry
from kapwatch.sources.base import Period, SourceError
from kapwatch.sources.feeds import Feed, FeedSource, fetch_feed
from kapwatch.sources.pubmed import PubMed
from kapwatch.sources.records import Record
from kapwatch.store import AddResult, Store

from .conftest import E2E_FIXTURES

SECRET = "s3cr3t-api-key"
WEEK = (date(2026, 11, 9), date(2026, 11, 15))


class Trials:
    """A source as a new module would write one: two batches, then (optionally) a failure."""

    name = "trials"
    kind = "registry"

    def __init__(self, fail: Exception | None = None) -> None:
        self.fail = fail
        self.added = AddResult()  # what pipeline.collect has stored so far
        self.seen_between_batches: int | None = None
        self.windows: list[tuple[date, date]] = []

    def collect(self, window: Period) -> Iterator[list[Record]]:
        self.windows.append((window.since, window.until))
        yield [
            Record("trials", "Ketamine and CBT for PTSD: a registered trial", doi="10.5555/t.1"),
            Record("trials", "Off topic: lithium levels", doi="10.5555/t.2"),
        ]
        self.seen_between_batches = self.added.new  # the first batch is stored by now
        yield [Record("trials", "Esketamine with exposure therapy", doi="10.5555/t.3")]
        if self.fail is not None:
            raise self.fail

    def keeps(self, record: Record) -> bool:
        return not record.title.startswith("Off topic")


def test_a_new_source_is_collected_stored_and_reported(store: Store) -> None:
    window = store.open_window(*WEEK)
    source = Trials()
    report = pipeline.collect(source, store, window, added=source.added)
    assert source.windows == [WEEK]
    assert source.seen_between_batches == 1  # stored as it arrived, before the next batch
    assert (source.added.new, source.added.merged) == (2, 0)
    assert (report.name, report.kind, report.status) == ("trials", "registry", "ok")
    assert (report.items, report.kept, report.error) == (3, 2, None)
    assert len(store.take_new_studies(window.id)) == 2


def test_a_failing_source_is_one_error_report_naming_it_secrets_redacted(store: Store) -> None:
    window = store.open_window(*WEEK)
    source = Trials(fail=SourceError(f"HTTP 503 from https://x/?api_key={SECRET}"))
    report = pipeline.collect(source, store, window, secrets=(SECRET,), added=source.added)
    assert (report.name, report.status) == ("trials", "error")
    assert report.error == "HTTP 503 from https://x/?api_key=*** (after 3 records, which were kept)"
    assert source.added.new == 2  # what came before the failure stays stored


def test_an_unexpected_exception_is_also_that_sources_error(store: Store) -> None:
    window = store.open_window(*WEEK)
    report = pipeline.collect(Trials(fail=KeyError(SECRET)), store, window, secrets=(SECRET,))
    assert report.status == "error" and report.error is not None
    assert report.error.startswith("KeyError: '***'") and SECRET not in report.error


def test_registry_builds_pubmed_first_then_each_feed(settings: Settings, seeds: Seeds) -> None:
    sources = registry.build(settings, seeds)
    assert [s.name for s in sources] == ["pubmed", "jtp", "captcha-journal"]
    assert isinstance(sources[0], PubMed) and sources[0].query == seeds.query()
    assert all(isinstance(s, FeedSource) and s.kind == "feed" for s in sources[1:])


def feed_source(httpserver: HTTPServer, seeds: Seeds) -> FeedSource:
    feed = Feed("jtp", httpserver.url_for("/feed"), "Test")
    return FeedSource(feed, tuple(seeds.lexicon.by_role("drug")), timeout=2.0)


def test_a_feed_keeps_its_validators_between_runs(
    httpserver: HTTPServer, store: Store, seeds: Seeds
) -> None:
    body = (E2E_FIXTURES / "journal_rss2.xml").read_bytes()
    httpserver.expect_ordered_request("/feed").respond_with_data(
        body, content_type="application/rss+xml", headers={"ETag": '"v1"'}
    )
    httpserver.expect_ordered_request("/feed", headers={"If-None-Match": '"v1"'}).respond_with_data(
        "", status=304
    )
    window = store.open_window(*WEEK)
    first = pipeline.collect(feed_source(httpserver, seeds), store, window)
    assert (first.status, first.items) == ("ok", 3)
    state = store.source_state("jtp")
    assert state is not None and state.etag == '"v1"'
    # A new run builds its sources afresh: the validators come from the store.
    second = pipeline.collect(feed_source(httpserver, seeds), store, window)
    assert (second.status, second.items, second.error) == (
        "empty",
        0,
        "not modified since the last run",
    )


def test_a_feed_fetch_retries_a_5xx_then_succeeds(httpserver: HTTPServer) -> None:
    body = (E2E_FIXTURES / "journal_rss2.xml").read_bytes()
    httpserver.expect_ordered_request("/feed").respond_with_data("busy", status=503)
    httpserver.expect_ordered_request("/feed").respond_with_data(
        body, content_type="application/rss+xml"
    )
    feed = Feed("jtp", httpserver.url_for("/feed"))
    with httpx.Client() as client:
        result = fetch_feed(client, feed, attempts=3, backoff=0.01)
    assert result.status == "ok" and len(result.records) == 3


def test_a_feed_that_keeps_failing_says_how_often_it_was_tried(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/feed").respond_with_data("busy", status=503)
    feed = Feed("jtp", httpserver.url_for("/feed"))
    with httpx.Client() as client:
        result = fetch_feed(client, feed, attempts=2, backoff=0.01)
    assert result.error == "HTTP 503 (gave up after 2 attempts)"
    assert len(httpserver.log) == 2
