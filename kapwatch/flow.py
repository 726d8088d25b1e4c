"""The weekly_digest flow: thin Prefect tasks over kapwatch.pipeline's stages.

It reads as the run does: prepare -> collect (each source) -> check citations -> assess ->
render -> deliver.

No task retries. Network retries belong to the clients, which back off and try again
themselves (kapwatch.sources.retry): re-running a task would only refetch what they already
retried. A source that still fails becomes an error line in the digest (pipeline.collect), so
one bad source never sinks the week; a database error or a bug would fail the same way again,
so it stops the run. Delivery is at most once and retried by the next run, never by Prefect;
a delivery that failed ends the run Failed (kapwatch.pipeline.NotDelivered) after the digest
is written, so the UI shows it.
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
from kapwatch.digest.render import DigestFiles
from kapwatch.settings import Settings
from kapwatch.sources.base import Source, SourceReport
from kapwatch.store import AddResult, Store, Window, WindowStudies

# Inputs hold a live store, so nothing is cached.


@task(name="read seeds and feeds", cache_policy=NO_CACHE)
def read_setup(settings: Settings) -> pipeline.Setup:
    return pipeline.prepare(settings)


@task(name="collect", task_run_name="collect {source.name}", cache_policy=NO_CACHE)
def collect_source(
    settings: Settings, store: Store, window: Window, source: Source
) -> tuple[SourceReport, dict[str, int]]:
    """Fetch one source's window and store it a batch at a time; its report and store counts."""
    added = AddResult()
    report = pipeline.collect(source, store, window, secrets=settings.secrets, added=added)
    return report, {"new": added.new, "merged": added.merged}


@task(name="check citations and retractions", cache_policy=NO_CACHE)
def verify_citations(
    settings: Settings, store: Store, setup: pipeline.Setup, window: Window
) -> tuple[list[Any], SourceReport]:
    return pipeline.watch_citations(settings, store, setup.seeds, window, setup.query)


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


def run_name() -> str:
    """The name a run starts with; it is renamed to its window once that is resolved."""
    params = flow_run.parameters
    since, until = params.get("since"), params.get("until")
    return f"digest {since or 'last-run'}..{until or 'today'}"


def name_run(window: Window) -> None:
    """Rename the run after its resolved window, e.g. 'digest 2026-W47 (2026-11-16..2026-11-22)'."""
    from prefect.client.orchestration import get_client

    name = f"digest {window.label} ({window.since}..{window.until})"
    try:
        with get_client(sync_client=True) as client:
            client.update_flow_run(flow_run.id, name=name)
    except Exception as exc:  # a name is not worth failing the week for
        get_run_logger().warning("could not rename the run to %r: %s", name, exc)


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
        name_run(window)
        logger.info("Window %s: %s to %s", window.label, since, until)

        sources: list[SourceReport] = []
        counts = {"new": 0, "merged": 0}
        for source in setup.sources:
            report, added = collect_source(settings, store, window, source)
            sources.append(report)
            counts = {key: counts[key] + added[key] for key in counts}
        checks, report = verify_citations(settings, store, setup, window)
        sources.append(report)
        studies = assess_studies(store, window, setup)
        files = render_digest(settings, store, window, studies, sources, setup, checks)
        publish_artifacts(files)
        delivery = deliver_digest(settings, store, window, send)
        for line in delivery:
            logger.info("Delivery: %s", line)
        result = {
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
        failed = pipeline.undelivered(settings, store) if send else []
    if failed:
        raise pipeline.NotDelivered(
            "digest written but not delivered (the next run tries again, or `kapwatch send`): "
            + "; ".join(failed),
            result,
        )
    return result
