"""The weekly_digest flow: thin Prefect tasks over kapwatch.pipeline's stages.

Network tasks retry; the flow turns a source that still fails into an error line in the
digest, so one bad source never sinks the week.
"""

from __future__ import annotations

import os
import socket
from datetime import date, datetime
from typing import Any

# Before Prefect is imported (a worker may load this file directly, not as a package):
# telemetry off unless the user opts in, and kapwatch's own log lines shown in the Prefect UI.
os.environ.setdefault("DO_NOT_TRACK", "1")
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "60")
os.environ.setdefault("PREFECT_LOGGING_EXTRA_LOGGERS", "kapwatch")

from prefect import flow, get_run_logger, task
from prefect.artifacts import create_markdown_artifact, create_table_artifact
from prefect.cache_policies import NO_CACHE
from prefect.runtime import flow_run

from kapwatch import pipeline
from kapwatch.digest.render import DigestFiles, SourceReport
from kapwatch.settings import Settings, redact
from kapwatch.sources.feeds import Feed
from kapwatch.sources.records import Record
from kapwatch.store.store import Store, Window, WindowStudies

# Only network tasks retry; inputs hold a live store, so nothing is cached.
RETRIES = 2
RETRY_DELAYS = [5.0, 30.0]


@task(name="read seeds and feeds", cache_policy=NO_CACHE)
def read_setup(settings: Settings) -> pipeline.Setup:
    return pipeline.prepare(settings)


@task(
    name="search PubMed", retries=RETRIES, retry_delay_seconds=RETRY_DELAYS, cache_policy=NO_CACHE
)
def search_pubmed(
    settings: Settings, store: Store, window: Window, query: str
) -> tuple[dict[str, int], SourceReport]:
    """Search, fetch and store PubMed's records for the window, a batch at a time."""
    added, report = pipeline.collect_pubmed(settings, store, window, query)
    return {"new": added.new, "merged": added.merged}, report


@task(
    name="fetch feed",
    task_run_name="fetch feed {feed.name}",
    retries=RETRIES,
    retry_delay_seconds=RETRY_DELAYS,
    cache_policy=NO_CACHE,
)
def fetch_feed(
    settings: Settings, store: Store, feed: Feed, setup: pipeline.Setup
) -> tuple[list[Record], SourceReport]:
    return pipeline.collect_feed(settings, store, feed, setup.seeds.lexicon)


@task(name="store and deduplicate", cache_policy=NO_CACHE)
def store_records(store: Store, window: Window, records: list[Record]) -> dict[str, int]:
    result = pipeline.store_records(store, window, records)
    return {"new": result.new, "merged": result.merged}


@task(
    name="check citations and retractions",
    retries=RETRIES,
    retry_delay_seconds=RETRY_DELAYS,
    cache_policy=NO_CACHE,
)
def check_citations(
    settings: Settings, store: Store, setup: pipeline.Setup, window: Window
) -> tuple[list[Any], SourceReport]:
    return pipeline.check_citations(settings, store, setup.seeds, window, setup.query)


@task(name="assess studies", cache_policy=NO_CACHE)
def assess_studies(store: Store, window: Window, setup: pipeline.Setup) -> WindowStudies:
    return pipeline.assess_window(store, window, setup.seeds)


@task(name="render digest", cache_policy=NO_CACHE)
def render_digest(
    settings: Settings,
    store: Store,
    window: Window,
    studies: WindowStudies,
    sources: list[SourceReport],
    setup: pipeline.Setup,
    checks: list[Any],
) -> DigestFiles:
    return pipeline.render_window(settings, store, window, studies, sources, setup, checks)


@task(name="deliver digest", cache_policy=NO_CACHE)
def deliver_digest(settings: Settings, store: Store, window: Window, send: bool) -> list[str]:
    return pipeline.deliver_pending(settings, store, send, window)


@task(name="publish artifacts", cache_policy=NO_CACHE)
def publish_artifacts(files: DigestFiles) -> None:
    """The digest's summary and the studies it lists, readable in the Prefect UI."""
    create_markdown_artifact(
        key="kapwatch-digest", markdown=pipeline.summary_markdown(files.head), description="Digest"
    )
    create_table_artifact(
        key="kapwatch-studies", table=pipeline.studies_table(files.listed), description="Studies"
    )


def failed_source(name: str, kind: str, exc: Exception, settings: Settings) -> SourceReport:
    error = redact(f"{type(exc).__name__}: {exc}", settings.secrets)
    get_run_logger().warning("Source %s failed after retries: %s", name, error)
    return SourceReport(name, kind, "error", error=error)


def run_name() -> str:
    """The run's name says its window, e.g. 'digest 2026-11-16..2026-11-23'."""
    params = flow_run.parameters
    since, until = params.get("since"), params.get("until")
    return f"digest {since or 'last-run'}..{until or 'today'}"


@flow(name="weekly-digest", flow_run_name=run_name, log_prints=True)
def weekly_digest(
    since: date | None = None, until: date | None = None, send: bool = True
) -> dict[str, Any]:
    """Collect the window's new studies, assess them against the seed claims, render, deliver."""
    logger = get_run_logger()
    settings = Settings.from_env()
    setup = read_setup(settings)
    store = Store(settings.db_url)
    # One run at a time: a second run started meanwhile stops with a clear message.
    with store.exclusive(f"{socket.gethostname()} pid {os.getpid()}"):
        since, until = pipeline.resolve_window(
            store, since, until, datetime.now(settings.tz).date()
        )
        window = store.open_window(since, until)
        logger.info("Window %s: %s to %s", window.label, since, until)

        searched = search_pubmed.submit(settings, store, window, setup.query)
        feeds = [fetch_feed.submit(settings, store, feed, setup) for feed in setup.feeds]
        sources: list[SourceReport] = []
        counts = {"new": 0, "merged": 0}
        try:
            stored, report = searched.result()
        except Exception as exc:  # retries exhausted: PubMed failed, the week goes on
            stored, report = {}, failed_source("pubmed", "pubmed", exc, settings)
        sources.append(report)
        for key, value in stored.items():
            counts[key] += value
        for feed, future in zip(setup.feeds, feeds, strict=True):
            try:
                records, report = future.result()
            except Exception as exc:
                records, report = [], failed_source(feed.name, "feed", exc, settings)
            sources.append(report)
            for key, value in store_records(store, window, records).items():
                counts[key] += value

        checks, report = check_citations(settings, store, setup, window)
        sources.append(report)
        studies = assess_studies(store, window, setup)
        files = render_digest(settings, store, window, studies, sources, setup, checks)
        publish_artifacts(files)
        delivery = deliver_digest(settings, store, window, send)
        for line in delivery:
            logger.info("Delivery: %s", line)
        return {
            "label": window.label,
            "since": since.isoformat(),
            "until": until.isoformat(),
            "sources": [vars(s) for s in sources],
            "stored_new": counts["new"],
            "stored_merged": counts["merged"],
            "new_studies": files.head["summary"]["new_studies"],
            "relevant": files.head["summary"]["relevant"],
            "claim_updates": files.head["summary"]["claim_updates"],
            "digest": [str(p) for p in files.paths],
            "delivery": delivery,
        }
