"""Fetch a date window from the stand-in with kapwatch's PubMed client, or with a reference client.

- `kapwatch`: `kapwatch.pubmed.search_window` with an `Eutils` client configured as a user
  without an API key has it (3 requests/s): one ESearch per window (split in halves by date past
  9,999 hits), EFetch through the history server in batches of 200, backoff on 429.
- `reference`: what the rules allow, to calibrate the stand-in: the same ESearch/EFetch calls for
  the windows kapwatch ended up with, parsed by the same parser, but paced by a client-side
  sliding window (3 request starts per 1.02 s), so that a strict server all but never refuses
  it (a 429 is waited out for a second and retried, and counted).

Each run is its own process (kapwatch's rate limiter is process-wide):

    .venv/bin/python -m bench.fetch kapwatch --eutils URL --since 2016-01-01 --until 2025-12-31
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import time
from collections import deque
from datetime import date
from pathlib import Path
from typing import Any

import httpx

from bench.common import ROOT, emit, loopback_only, peak_mb, pin
from kapwatch.seeds.articles import load_seeds
from kapwatch.settings import Settings
from kapwatch.sources import pubmed
from kapwatch.sources.eutils import BATCH_SIZE, Eutils, parse_esearch
from kapwatch.sources.pubmed_xml import parse_pubmed

MARGIN = 0.020  # seconds beyond the 1-second window: scheduling jitter on a busy machine


def query() -> str:
    return load_seeds(ROOT / "seeds").query()


def with_kapwatch(eutils_url: str, since: date, until: date) -> dict[str, Any]:
    """The weekly run's PubMed path: `pubmed.window_batches` (one EFetch batch at a time, as
    `pipeline.collect_pubmed` consumes it)."""
    settings = Settings.from_env(
        {"KAPWATCH_EUTILS_URL": eutils_url, "KAPWATCH_NCBI_EMAIL": "bench@example.org"}
    )
    term = query()
    client = Eutils.from_settings(settings)
    searches: list[Any] = []
    pmids: list[str] = []
    count = 0
    started = time.perf_counter()
    for batch in pubmed.window_batches(
        settings, term, since, until, client=client, searches=searches
    ):
        count += len(batch)
        pmids.extend(r.pmid for r in batch if r.pmid)
    wall = time.perf_counter() - started
    client.close()
    return {
        "client": "kapwatch",
        "wall_s": round(wall, 3),
        "records": count,
        "unique_pmids": len(set(pmids)),
        "searches_fetched": len(searches),
        "client_requests": client.requests,
        "pmids": sorted(set(pmids)),
        "peak_rss_mb": peak_mb(),
    }


class SlidingWindow:
    """At most `rate` request starts in any `window` seconds (plus a margin)."""

    def __init__(self, rate: int = 3, window: float = 1.0, margin: float = MARGIN) -> None:
        self.starts: deque[float] = deque(maxlen=rate)
        self.window, self.margin = window + margin, margin

    def wait(self) -> None:
        if len(self.starts) == self.starts.maxlen:
            delay = self.starts[0] + self.window - time.monotonic()
            if delay > 0:
                time.sleep(delay)
        self.starts.append(time.monotonic())


class Paced:
    """E-utilities calls paced by a SlidingWindow; a 429 is waited out for a second, counted."""

    def __init__(self, eutils_url: str, client: httpx.Client) -> None:
        self.base, self.client = eutils_url.rstrip("/") + "/", client
        self.limiter = SlidingWindow()
        self.requests = self.refused = 0

    def call(self, method: str, endpoint: str, params: dict[str, Any]) -> bytes:
        while True:
            self.limiter.wait()
            self.requests += 1
            if method == "GET":
                reply = self.client.get(self.base + endpoint, params=params)
            else:
                reply = self.client.post(self.base + endpoint, data=params)
            if reply.status_code != 429:
                reply.raise_for_status()
                return reply.content
            self.refused += 1
            time.sleep(1.0)


def with_reference(eutils_url: str, windows: list[tuple[date, date]]) -> dict[str, Any]:
    term = query()
    pmids: list[str] = []
    started = time.perf_counter()
    with httpx.Client(timeout=60) as client:
        paced = Paced(eutils_url, client)
        for since, until in windows:
            dates = {"mindate": since.strftime("%Y/%m/%d"), "maxdate": until.strftime("%Y/%m/%d")}
            params = {"db": "pubmed", "term": term, "datetype": "edat", "usehistory": "y"}
            search = parse_esearch(
                paced.call("GET", "esearch.fcgi", {**params, "retmax": 0, **dates})
            )
            history = {"db": "pubmed", "query_key": search.query_key, "WebEnv": search.webenv}
            for start in range(0, search.count, BATCH_SIZE):
                page = {
                    "retstart": start,
                    "retmax": BATCH_SIZE,
                    "retmode": "xml",
                    "rettype": "abstract",
                }
                body = paced.call("POST", "efetch.fcgi", {**history, **page})
                pmids.extend(r.pmid for r in parse_pubmed(body) if r.pmid)
    wall = time.perf_counter() - started
    return {
        "client": "reference",
        "wall_s": round(wall, 3),
        "records": len(pmids),
        "unique_pmids": len(set(pmids)),
        "client_requests": paced.requests,
        "client_refused": paced.refused,
        "pmids": sorted(set(pmids)),
        "peak_rss_mb": peak_mb(),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("client", choices=["kapwatch", "reference"])
    parser.add_argument("--eutils", required=True)
    parser.add_argument("--since", type=date.fromisoformat)
    parser.add_argument("--until", type=date.fromisoformat)
    parser.add_argument(
        "--windows", default="[]", help='reference: JSON [["2016-01-01", "2020-12-31"], ...]'
    )
    parser.add_argument("--cpu", type=int, default=None)
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args(argv)
    loopback_only()
    pin(args.cpu)
    logging.basicConfig(level=logging.WARNING)
    if args.client == "kapwatch":
        result = with_kapwatch(args.eutils, args.since, args.until)
    else:
        windows = [
            (date.fromisoformat(a), date.fromisoformat(b)) for a, b in json.loads(args.windows)
        ]
        result = with_reference(args.eutils, windows)
    emit(result, args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
