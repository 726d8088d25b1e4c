"""The stand-in under load: kapwatch's own (kapwatch/demo/standin.py) with NCBI's rate limit
and latency, in a process of its own (its own CPU when there are two), with counters.

Counters (requests per endpoint, 429s, records returned, bytes, arrival times, every search's
window and count) are read at /_bench/stats and zeroed at /_bench/reset.

    .venv/bin/python -m bench.server --load bench/.cache/data/weekly-*.xml   # prints READY <url>
"""

from __future__ import annotations

import argparse
import json
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import httpx

from bench.common import ROOT, pin
from kapwatch.demo.standin import Limits, Reply, StandIn, serve


@dataclass
class Stats:
    started: float = field(default_factory=time.monotonic)
    by_endpoint: dict[str, int] = field(default_factory=dict)
    refused_429: int = 0
    records_returned: int = 0
    bytes_out: int = 0
    arrivals: list[float] = field(default_factory=list)
    searches: list[dict[str, Any]] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        gaps = [b - a for a, b in zip(self.arrivals, self.arrivals[1:], strict=False)]
        data = {k: v for k, v in vars(self).items() if k != "started"}
        data["requests"] = sum(self.by_endpoint.values())
        data["first_arrival"] = self.arrivals[0] if self.arrivals else None
        data["last_arrival"] = self.arrivals[-1] if self.arrivals else None
        data["min_gap"] = min(gaps) if gaps else None
        return data


@dataclass
class CountingStandIn(StandIn):
    """The stand-in, counting what it serves and answering the bench's control paths."""

    stats: Stats = field(default_factory=Stats)

    def answer(
        self, path: str, params: dict[str, str], headers: dict[str, str], client: str
    ) -> Reply:
        if path == "/_bench/reset":
            with self.lock:
                self.stats = Stats()
            return Reply(200, b"{}", "application/json")
        if path == "/_bench/stats":
            with self.lock:
                return Reply(200, json.dumps(self.stats.as_json()).encode(), "application/json")
        arrived = time.monotonic()
        reply = super().answer(path, params, headers, client)
        endpoint = path.rsplit("/", 1)[-1]
        with self.lock:
            stats = self.stats
            stats.by_endpoint[endpoint] = stats.by_endpoint.get(endpoint, 0) + 1
            stats.arrivals.append(round(arrived - stats.started, 6))
            stats.refused_429 += reply.status == 429
            stats.records_returned += reply.records
            stats.bytes_out += len(reply.body)
        return reply

    def find(
        self, term: str, datetype: str, mindate: date | None, maxdate: date | None
    ) -> list[str]:
        hits = super().find(term, datetype, mindate, maxdate)
        window = [d.isoformat() if d else None for d in (mindate, maxdate)]
        with self.lock:
            self.stats.searches.append(
                {
                    "mindate": window[0],
                    "maxdate": window[1],
                    "datetype": datetype,
                    "count": len(hits),
                }
            )
        return hits


class LoadServer:
    """The counting stand-in in a child process: url, eutils_url, stats(), reset(), stop()."""

    def __init__(
        self,
        files: list[tuple[Path, bool]],
        limits: Limits | None = None,
        cpu: int | None = None,
    ) -> None:
        limits = limits or Limits()
        command = [sys.executable, "-m", "bench.server", "--latency", str(limits.latency)]
        command += ["--per-record", str(limits.per_record), "--rate", str(limits.rate)]
        if cpu is not None:
            command += ["--cpu", str(cpu)]
        for path, listed in files:
            command += ["--load" if listed else "--load-unlisted", str(path)]
        self.process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, text=True)
        assert self.process.stdout is not None
        line = self.process.stdout.readline().strip()
        if not line.startswith("READY "):
            self.process.kill()
            raise RuntimeError(f"the E-utilities stand-in did not start: {line!r}")
        self.url = line.split()[1]
        self.eutils_url = f"{self.url}/entrez/eutils/"
        self._client = httpx.Client(timeout=30)

    def stats(self) -> dict[str, Any]:
        data: dict[str, Any] = self._client.get(f"{self.url}/_bench/stats").json()
        return data

    def reset(self, settle: float = 1.1) -> None:
        """Zero the counters, after a pause that empties every client's rate window."""
        time.sleep(settle)
        self._client.post(f"{self.url}/_bench/reset")

    def stop(self) -> None:
        self._client.close()
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()

    def __enter__(self) -> LoadServer:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.stop()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--load", action="append", default=[], type=Path, help="listed records")
    parser.add_argument("--load-unlisted", action="append", default=[], type=Path, help="by id")
    parser.add_argument("--latency", type=float, default=Limits.latency)
    parser.add_argument("--per-record", type=float, default=Limits.per_record)
    parser.add_argument("--rate", type=int, default=Limits.rate)
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--cpu", type=int, default=None, help="pin the server to this CPU")
    args = parser.parse_args(argv)
    pin(args.cpu)
    data = CountingStandIn(
        limits=Limits(args.rate, latency=args.latency, per_record=args.per_record)
    )
    for path in args.load:
        data.load_pubmed(path)
    for path in args.load_unlisted:
        data.load_pubmed(path, listed=False)
    stopped = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stopped.set())
    with serve(data, args.port) as running:
        print(f"READY {running.url} records={len(data.articles)}", flush=True)
        stopped.wait()
    return 0


if __name__ == "__main__":
    sys.exit(main())
