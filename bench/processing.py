"""Processing throughput on one core: parse + normalise + dedupe + store + classify.

The stages are kapwatch's own, called as the weekly run calls them: the PubMed XML is parsed
(`pubmed.parse_pubmed`) and stored one EFetch batch (500) at a time, as
`pipeline.collect_pubmed` does, with `Store.add_records` (dedupe by PMID, DOI, title key and
fuzzy title within blocks) into SQLite; then `pipeline.assess_window` claims the window's new
studies and classifies each (the evidence engine: relevance, design, sample size, claim links).
Last, the window's digest is rendered (timed apart, counted in the peak memory).
Parse and store times are summed over the batches. "normalise" is the dedupe keys alone (title
key, first-author key, DOI), timed apart for visibility: the store computes them again inside its
own stage, so it is not added to the total.

Run one size per process, so the peak RSS is that size's (VmHWM, reset between stages):

    .venv/bin/python -m bench.processing bench/.cache/data/proc-10k-*.xml --cpu 0
    .venv/bin/python -m bench.processing FILE --profile bench/results/profile.txt   # cProfile
"""

from __future__ import annotations

import argparse
import cProfile
import io
import itertools
import json
import pstats
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any, TypeVar

from bench import generate
from bench.common import ROOT, loopback_only, peak_mb, pin, reset_peak, rss_mb
from kapwatch import pipeline
from kapwatch.collector import fewer_collections
from kapwatch.digest import exports
from kapwatch.digest import render as digest
from kapwatch.evidence import engine as evidence
from kapwatch.seeds.articles import load_seeds
from kapwatch.sources.eutils import BATCH_SIZE
from kapwatch.sources.pubmed_xml import parse_pubmed
from kapwatch.store import AddResult, Store, dedupe

_F = TypeVar("_F", bound=Callable[..., Any])


class Timers:
    """Seconds spent inside wrapped callables (kapwatch's own functions, not edited)."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}

    def wrap(self, name: str, func: _F) -> _F:
        def timed(*args: Any, **kwargs: Any) -> Any:
            started = time.perf_counter()
            try:
                return func(*args, **kwargs)
            finally:
                self.seconds[name] = self.seconds.get(name, 0.0) + time.perf_counter() - started

        return timed  # type: ignore[return-value]

    @classmethod
    def classify(cls, store: Store) -> Timers:
        """Timers around the functions assess_window goes through."""
        timers = cls()
        timers.around(evidence.Engine, "assess", "assess")
        timers.around(store, "take_new_studies", "claim")
        timers.around(store, "texts", "read")
        timers.around(store, "save_assessments", "save")
        return timers

    def around(self, owner: object, attribute: str, name: str) -> None:
        """Time owner.attribute (a class's method or a bound method)."""
        setattr(owner, attribute, self.wrap(name, getattr(owner, attribute)))


def _parse_and_store(
    path: Path, limit: int | None, store: Store, window_id: int
) -> tuple[int, AddResult, float, float, float]:
    """Parse and store interleaved, one EFetch batch (BATCH_SIZE records) at a time, as
    pipeline.collect_pubmed does: (records, added, parse s, normalise s, dedupe + store s),
    each stage's time summed over the batches."""
    parse_s = normalise_s = store_s = 0.0
    count = 0
    added = AddResult()
    # The collector runs less often while a source's batches are parsed and stored, as in
    # pipeline.collect.
    with path.open("rb") as handle, fewer_collections():
        records = parse_pubmed(handle)
        while limit is None or count < limit:
            began = time.perf_counter()
            want = BATCH_SIZE if limit is None else min(BATCH_SIZE, limit - count)
            batch = list(itertools.islice(records, want))
            parsed = time.perf_counter()
            parse_s += parsed - began
            if not batch:
                break
            count += len(batch)
            for record in batch:
                dedupe.title_key(record.title)
                dedupe.author_key(record.first_author)
                dedupe.normalize_doi(record.doi)
            keyed = time.perf_counter()
            normalise_s += keyed - parsed
            for key in (dedupe.title_key, dedupe.author_key, dedupe.normalize_doi):
                key.cache_clear()  # the store computes its keys itself, as in a real run
            result = store.add_records(window_id, batch)
            store_s += time.perf_counter() - keyed
            added.new, added.merged = added.new + result.new, added.merged + result.merged
    return count, added, parse_s, normalise_s, store_s


def run(path: Path, limit: int | None = None) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="kapwatch-bench-") as folder:
        return _run(path, limit, Path(folder))


def _run(path: Path, limit: int | None, folder: Path) -> dict[str, Any]:
    seeds = load_seeds(ROOT / "seeds")
    store = Store(f"sqlite:///{folder}/processing.db")
    window = store.open_window(date(2026, 1, 5), date(2026, 1, 11))

    timers = Timers.classify(store)

    baseline = rss_mb()
    stages: dict[str, dict[str, float]] = {}
    peaks: list[float] = []

    def stage(name: str, seconds: float, items: int) -> None:
        peaks.append(peak_mb())
        per_s = round(items / seconds) if seconds else 0
        stages[name] = {"seconds": round(seconds, 3), "per_s": per_s, "peak_rss_mb": peaks[-1]}

    reset_peak()
    count, added, parse_s, normalise_s, store_s = _parse_and_store(path, limit, store, window.id)
    stage("parse", parse_s, count)
    stages["normalise"] = {"seconds": round(normalise_s, 3), "per_s": round(count / normalise_s)}
    stage("dedupe_store", store_s, count)
    stages["parse"]["peak_rss_mb"] = stages["dedupe_store"]["peak_rss_mb"]  # one interleaved peak

    reset_peak()
    started = time.perf_counter()
    studies = pipeline.assess_window(store, window, seeds)
    stage("classify", time.perf_counter() - started, added.new)
    for name in ("claim", "read", "assess", "save"):
        seconds = timers.seconds.get(name, 0.0)
        per_s = round(added.new / seconds) if seconds else 0
        stages[f"classify.{name}"] = {"seconds": round(seconds, 3), "per_s": per_s}

    # The digest of the whole window (HTML, text, JSON, RIS, BibTeX, feed), as render_window
    # writes it: not part of the records/s (the processing), but of the peak memory.
    reset_peak()
    started = time.perf_counter()
    context = digest.build_context(window, studies, [], seeds, seeds.query(), [])
    digest.render(context, folder / "digests")
    exports.write_exports(context, folder / "digests")
    summary = context["summary"]
    stage("digest", time.perf_counter() - started, summary["new_studies"])
    digest_json = folder / "digests" / f"{window.label}.json"

    total = sum(stages[s]["seconds"] for s in ("parse", "dedupe_store", "classify"))
    return {
        "file": path.name,
        "records": count,
        "studies_new": added.new,
        "studies_merged": added.merged,
        "relevant": summary["relevant"],
        "claim_links": summary["claim_updates"],
        "digest_json_mb": round(digest_json.stat().st_size / 1e6, 1),
        "seconds": round(total, 2),
        "records_per_s": round(count / total) if total else 0,
        "stages": stages,
        "baseline_rss_mb": baseline,
        "peak_rss_mb": max(peaks),
        "db_mb": round((folder / "processing.db").stat().st_size / 1e6, 1),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("file", type=Path, nargs="?", help="EFetch XML (or --dataset)")
    parser.add_argument(
        "--dataset",
        default=None,
        help="a bench.generate data set, e.g. proc-100k (written if missing)",
    )
    parser.add_argument("--limit", type=int, default=None, help="stop after this many records")
    parser.add_argument("--cpu", type=int, default=None, help="pin to this CPU")
    parser.add_argument("--out", type=Path, default=None, help="write the JSON result here")
    parser.add_argument("--profile", type=Path, default=None, help="cProfile the run; top 40 here")
    args = parser.parse_args(argv)
    loopback_only()
    pin(args.cpu)
    if args.dataset:
        args.file = generate.write(generate.DATASETS[args.dataset])
    if args.file is None:
        parser.error("give a file or --dataset")
    if args.profile is not None:
        profiler = cProfile.Profile()
        profiler.enable()
        result = run(args.file, args.limit)
        profiler.disable()
        profiler.dump_stats(str(args.profile.with_suffix(".prof")))
        text = io.StringIO()
        stats = pstats.Stats(profiler, stream=text).strip_dirs().sort_stats("cumulative")
        stats.print_stats(40)
        text.write("\n--- by internal time ---\n")
        stats.sort_stats("tottime").print_stats(25)
        args.profile.parent.mkdir(parents=True, exist_ok=True)
        args.profile.write_text(text.getvalue(), encoding="utf-8")
        result["profiled"] = True
    else:
        result = run(args.file, args.limit)
    output = json.dumps(result, indent=2)
    if args.out is not None:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(output + "\n", encoding="utf-8")
    print(output)
    return 0


if __name__ == "__main__":
    sys.exit(main())
