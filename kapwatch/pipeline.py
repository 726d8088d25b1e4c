"""The weekly run's stages as plain functions; kapwatch.flow orchestrates them with Prefect.

Each stage takes and returns plain values, so it runs and is tested without Prefect. A
failing source becomes a SourceReport with status "error": it never stops the others.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from kapwatch.collector import fewer_collections
from kapwatch.delivery import Deliverer, DeliveryError, Message, deliverers
from kapwatch.digest.exports import write_exports
from kapwatch.digest.render import DigestFiles, build_context, render
from kapwatch.evidence import Engine, StudyText
from kapwatch.seeds import citations
from kapwatch.seeds.articles import Seeds, load_seeds
from kapwatch.settings import Settings, redact
from kapwatch.sources import pubmed, registry
from kapwatch.sources.base import Conditional, NotModified, Source, SourceError, SourceReport
from kapwatch.sources.eutils import Eutils, EutilsError
from kapwatch.store import AddResult, Listing, Store, Study, Window, WindowStudies
from kapwatch.vocabulary import DeliveryState, SourceStatus

Progress = Callable[[int, int], None]
log = logging.getLogger(__name__)


class RunError(RuntimeError):
    """No digest could be produced; the message is the one line to show."""


class WindowError(RunError):
    """The dates asked for make no window (bad input); the message says which and why."""


class NotDelivered(RuntimeError):
    """The digest was written but not delivered; the message is the one line to show, and
    `result` what the run produced (the flow's summary), when there is one."""

    def __init__(self, message: str, result: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.result = result


@dataclass
class Setup:
    seeds: Seeds
    sources: list[Source]  # in the order they are collected (kapwatch.sources.registry)
    query: str


def prepare(settings: Settings) -> Setup:
    """Read the seeds and build the sources (PubMed, then each feed of the feeds file); bad
    input stops here with one line naming the file."""
    seeds = load_seeds(settings.seeds_dir)
    return Setup(seeds=seeds, sources=registry.build(settings, seeds), query=seeds.query())


def resolve_window(
    store: Store, since: date | None, until: date | None, today: date
) -> tuple[date, date]:
    """Default: from the end of the last rendered window (or a week back) until today. When
    the last window already ends there, it is that window again: rebuilt, never sent twice."""
    check_dates(since, until, today)
    until = until or today
    if since is None:
        last = store.last_window()
        if last is not None and last.until < until:
            since = last.until
        elif last is not None and last.until == until:
            since = last.since
        else:
            since = until - timedelta(7)
    return since, until


def check_dates(since: date | None, until: date | None, today: date) -> None:
    """Refuse a window that cannot be right: one ending after today (it would never be
    finished), or one starting after it ends."""
    if until is not None and until > today:
        raise WindowError(f"--until {until} is after today ({today})")
    if since is not None and since > (until or today):
        raise WindowError(f"--since {since} is after --until {until or today}")


def collect(
    source: Source,
    store: Store,
    window: Window,
    *,
    secrets: tuple[str, ...] = (),
    added: AddResult | None = None,
) -> SourceReport:
    """Collect one source's window into the store and say how it went.

    Each batch is stored as it arrives (memory stays flat on a ten-year backfill); a failure
    midway keeps the batches already stored. Whatever the source raises becomes its error
    report, secrets redacted: one failing source never stops the others. A feed's validators
    for the next conditional GET are read before and saved after. Store counts are added to
    `added` when given.
    """
    added = added if added is not None else AddResult()
    _resume(store, source)
    items = kept = 0
    note = None
    try:
        with fewer_collections():  # parsing too, not only storing
            for batch in source.collect(window):
                items += len(batch)
                wanted = [record for record in batch if source.keeps(record)]
                kept += len(wanted)
                if wanted:
                    _count(added, store.add_records(window.id, wanted))
    except NotModified as exc:
        note = str(exc)
    except Exception as exc:  # a failing source is reported, never raised
        error = _failure(source, exc, secrets)
        _remember(store, source, error)
        if items:
            error += f" (after {items} records, which were kept)"
        return SourceReport(source.name, source.kind, SourceStatus.ERROR, items=items, error=error)
    _remember(store, source)
    log.info("%s: %d items, %d kept", source.name, items, kept)
    status = SourceStatus.OK if items else SourceStatus.EMPTY
    return SourceReport(source.name, source.kind, status, items=items, kept=kept, error=note)


def _resume(store: Store, source: Source) -> None:
    """Give a source that sends HTTP validators the ones its last run received."""
    if isinstance(source, Conditional):
        state = store.source_state(source.name)
        source.etag = state.etag if state else None
        source.last_modified = state.last_modified if state else None


def _remember(store: Store, source: Source, error: str | None = None) -> None:
    """Save a source's validators and outcome (only sources that send validators keep any)."""
    if not isinstance(source, Conditional):
        return
    if error is None:
        store.save_source_state(
            source.name, ok=True, etag=source.etag, last_modified=source.last_modified
        )
    else:
        store.save_source_state(source.name, ok=False, error=error)


def _failure(source: Source, exc: Exception, secrets: tuple[str, ...]) -> str:
    """The one line a failed source's report carries."""
    if isinstance(exc, SourceError):
        error = redact(str(exc), secrets)
        log.warning("%s failed: %s", source.name, error)
    else:  # not a known way for a source to fail: a bug, or the database
        error = redact(f"{type(exc).__name__}: {exc}", secrets)
        log.warning("%s failed: %s", source.name, error, exc_info=True)
    return error


def _count(total: AddResult, batch: AddResult) -> None:
    total.new, total.merged, total.news = (
        total.new + batch.new,
        total.merged + batch.merged,
        total.news + batch.news,
    )


def watch_citations(
    settings: Settings, store: Store, seeds: Seeds, window: Window, query: str
) -> tuple[list[citations.CitationCheck], SourceReport]:
    """The seed references' verdicts, and the watch on studies already stored, in one pass.

    References are looked up once (cached by fingerprint); after that a run re-reads only the
    matched references (one EFetch). The watch asks PubMed which stored studies on the topic
    changed in the window (one ESearch by modification date, intersected with the stored
    PMIDs, and one EFetch of those, read for their own CommentsCorrections), and for the
    window's editorial notices that match the topic: a new flag on a study already stored is
    news in this window's digest. The requests do not grow with the number of stored studies.
    """
    cached = citations.from_store(store.citation_checks())
    name = "PubMed citation check"
    try:
        with Eutils.from_settings(settings) as eutils:
            checks = citations.check_references(eutils, seeds, cached)
            known = sorted({c.pmid for c in checks if c.pmid and c.fingerprint in cached})
            records = list(eutils.fetch_ids(known)) if known else []
            notices = pubmed.editorial_news(eutils, query, window.since, window.until)
            changes = pubmed.sent_changes(
                eutils, query, window.since, window.until, store.stored_pmids
            )
    except EutilsError as exc:
        error = redact(str(exc), settings.secrets)
        log.warning("%s failed: %s", name, error)
        current = {citations.fingerprint(r, c) for _f, r, c in citations.citing(seeds)}
        kept = [c for fp, c in cached.items() if fp in current]
        return kept, SourceReport(name, "check", SourceStatus.ERROR, error=error)
    changed = citations.apply_records(checks, records)
    for pmid, flags in changes.items():
        notices.setdefault(pmid, set()).update(flags)
    news = store.refresh_flags(window.id, notices)
    store.save_citation_checks({c.fingerprint: c.as_json() for c in checks})
    log.info(
        "%s: %d references (%d re-read, %d newly flagged); %d editorial notices, %d on "
        "studies already sent",
        name,
        len(checks),
        len(records),
        len(changed),
        len(notices),
        news,
    )
    report = SourceReport(
        name, "check", SourceStatus.OK, items=len(checks) + len(notices), kept=len(checks)
    )
    return checks, report


def text_of(columns: dict[str, Any]) -> StudyText:
    """What the evidence engine reads of a stored study (Store.texts gives the columns)."""
    return StudyText(
        title=columns["title"],
        abstract=columns["abstract"],
        sections=[(str(label), str(body)) for label, body in columns["sections"]],
        pub_types=columns["pub_types"],
        mesh=columns["mesh"],
        keywords=columns["keywords"],
    )


ASSESS_BATCH = 1000  # studies read, assessed and saved together: memory stays flat


def assess_new(store: Store, window: Window, seeds: Seeds, progress: Progress | None = None) -> int:
    """Take this window's new studies and record relevance, design and claim links for each,
    a batch at a time; returns how many were assessed."""
    ids = store.take_new_studies(window.id)
    engine = Engine(seeds.claims, seeds.lexicon)
    with fewer_collections():
        for start in range(0, len(ids), ASSESS_BATCH):
            rows = store.texts(ids[start : start + ASSESS_BATCH])
            store.save_assessments({i: engine.assess(text_of(columns)) for i, columns in rows})
            if progress is not None:
                progress(min(start + ASSESS_BATCH, len(ids)), len(ids))
    return len(ids)


def assess_window(store: Store, window: Window, seeds: Seeds) -> WindowStudies:
    """Assess the window's new studies; the studies, as the digest lists them."""
    assess_new(store, window, seeds)
    return store.window_studies(window.id)


def render_window(
    settings: Settings,
    store: Store,
    window: Window,
    studies: Iterable[Study | Listing],
    sources: list[SourceReport],
    setup: Setup,
    checks: list[citations.CitationCheck] | None = None,
) -> DigestFiles:
    if sources and all(s.status == SourceStatus.ERROR for s in sources if s.kind != "check"):
        failed = "; ".join(f"{s.name}: {s.error}" for s in sources)
        raise RunError(f"no source could be read, so no digest was made ({failed})")
    news = store.news_in(window.id)
    verdicts = [c.as_json() for c in checks or []]
    shown = store.shown_citations(window.id)
    changed = bool(verdicts) and (shown is None or _verdicts(shown) != _verdicts(verdicts))
    context = build_context(
        window,
        studies,
        sources,
        setup.seeds,
        setup.query,
        news,
        citations=verdicts,
        citations_changed=changed,
        ledger=store.claim_ledger(),
        review={"pending": store.pending_reviews(), "url": settings.review_url},
    )
    public = settings.public_url or None
    files = render(context, settings.digests_dir, public_url=public)
    files.extras = write_exports(context, settings.digests_dir, public)
    store.mark_rendered(window.id, context["sources"])
    store.mark_citations(window.id, verdicts)
    return files


def _verdicts(checks: list[Any]) -> set[tuple[str, str, str, str]]:
    """What a reader would notice changing: a reference's status or the record it matched."""
    return {
        (c["seed"], c["key"], ",".join(sorted(c["status"])), c.get("pmid") or "") for c in checks
    }


def deliver_pending(settings: Settings, store: Store, send: bool, current: Window) -> list[str]:
    """Deliver this window's digest and any earlier one still pending (held by --no-send, or
    whose delivery failed), on each channel the settings choose; one line per window and
    channel. Without `send` nothing goes out and this window stays pending.

    At most once per channel: a window is marked "sending" before the conversation starts, so
    a run that dies mid-send leaves it "unknown" and it is reported, never sent twice.
    """
    lines = _interrupted(settings, store)
    chosen = deliverers(settings)
    store.open_deliveries(current.id, [deliverer.channel for deliverer in chosen])
    if not send:
        return [*lines, f"{current.label}: not sent (--no-send); `kapwatch send` sends it"]
    for deliverer in chosen:
        for window in store.pending_windows(deliverer.channel):
            lines.append(_deliver(settings, store, deliverer, window))
    return lines


def undelivered(settings: Settings, store: Store) -> list[str]:
    """One line per rendered window whose digest is still to go out on a chosen channel, with
    why (the last error); empty when everything went out."""
    lines = []
    for deliverer in deliverers(settings):
        for window in store.pending_windows(deliverer.channel):
            detail = store.delivery_detail(window.id, deliverer.channel)
            lines.append(f"{window.label} ({deliverer.channel}): {detail or 'pending'}")
    return lines


SENT_ALREADY = (DeliveryState.SENT, DeliveryState.OUTBOX, DeliveryState.SENDING)
ALREADY = {
    DeliveryState.SENT: "already sent",
    DeliveryState.OUTBOX: "already written to the outbox",
    DeliveryState.SENDING: "perhaps sent already (a send began and never finished)",
    DeliveryState.UNKNOWN: "perhaps sent already (a run stopped while sending it)",
}


def send_windows(settings: Settings, store: Store, label: str | None, again: bool) -> list[str]:
    """`kapwatch send`: every pending window (no label), or the one named, on each channel;
    a window already delivered (or maybe delivered: unknown) only with `again`. Raises
    WindowError for an unknown label, RunError when that window has no digest, NotDelivered
    when a delivery failed."""
    lines = _interrupted(settings, store)
    chosen = deliverers(settings)
    if label is None:
        for deliverer in chosen:
            lines += [
                _deliver(settings, store, deliverer, w)
                for w in store.pending_windows(deliverer.channel)
            ]
    else:
        window = store.window_by_label(label)
        if window is None:
            raise WindowError(f"no window {label!r} (`kapwatch digests` lists them)")
        if window.rendered is None:
            raise RunError(f"{label}: no digest was written for this window")
        states = store.deliveries(window.id)
        for deliverer in chosen:
            state = states.get(deliverer.channel)
            if state in (*SENT_ALREADY, DeliveryState.UNKNOWN) and not again:
                lines.append(f"{label}: {ALREADY[state]}; not sent again (--again sends it)")
            else:
                lines.append(_deliver(settings, store, deliverer, window))
    failed = undelivered(settings, store)
    if failed:
        raise NotDelivered("not delivered: " + "; ".join(failed))
    return lines or ["nothing to send: every digest has been delivered"]


def _interrupted(settings: Settings, store: Store) -> list[str]:
    """Windows whose send began but never finished (a run died mid-send): marked unknown and
    reported, never resent."""
    lines = []
    for window, channel in store.interrupted_deliveries():
        store.mark_delivery(
            window.id, channel, DeliveryState.UNKNOWN, "a run stopped while sending this digest"
        )
        lines.append(
            f"{window.label}: a run stopped while sending it; not resent (check the inbox, or "
            f"the outbox at {settings.outbox_dir})"
        )
    return lines


def _deliver(settings: Settings, store: Store, deliverer: Deliverer, window: Window) -> str:
    """One window's digest on one channel; "sending" is recorded before the attempt starts."""
    try:
        message = Message.read(settings.digests_dir, window.label)
        store.mark_delivery(window.id, deliverer.channel, DeliveryState.SENDING)
        outcome = deliverer.deliver(message)
    except (DeliveryError, OSError, ValueError) as exc:
        error = redact(str(exc), settings.secrets)
        store.mark_delivery(window.id, deliverer.channel, DeliveryState.FAILED, error)
        return f"{window.label}: delivery failed, will retry next run ({error})"
    store.mark_delivery(window.id, outcome.channel, outcome.state, outcome.where)
    return f"{window.label}: {outcome.summary}"


def summary_markdown(digest: dict[str, Any]) -> str:
    """A short markdown account of a digest (for the Prefect UI)."""
    summary, window = digest["summary"], digest["window"]
    lines = [
        f"# {digest['label']}: {window['since']} to {window['until']}",
        "",
        f"- new studies: {summary['new_studies']} ({summary['relevant']} relevant)",
        f"- claim updates: {summary['claim_updates']} on {summary['claims_updated']} claims",
        f"- news about earlier studies: {summary['news']}",
        f"- failed sources: {', '.join(summary['failed_sources']) or 'none'}",
        "",
        "| source | status | items | kept | error |",
        "|---|---|---|---|---|",
    ]
    for src in digest["sources"]:
        error = (src["error"] or "").replace("|", "/")
        lines.append(
            f"| {src['name']} | {src['status']} | {src['items']} | {src['kept']} | {error} |"
        )
    return "\n".join(lines) + "\n"


def studies_table(studies: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One row per study the digest lists (for the Prefect UI)."""
    return [
        {
            "title": s["title"],
            "pmid": s["pmid"] or "",
            "doi": s["doi"] or "",
            "design": s["design"],
            "relevant": s["relevant"],
            "score": s["score"],
            "claims": ", ".join(f"{c['claim_id']} {c['stance']}" for c in s["claims"]),
            "sources": ", ".join(s["sources"]),
        }
        for s in studies
    ]
