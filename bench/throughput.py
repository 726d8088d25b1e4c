"""Processing throughput on one core: parse + normalise + dedupe + store + assess, records/s.

Synthetic PubMed XML (structured abstracts, markup, several authors) from the stand-in's
generator; SQLite in a temporary folder. Peak RSS is read from the OS at the end.

    .venv/bin/python bench/throughput.py [records]      # default 10000
"""

from __future__ import annotations

import resource
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

from kapwatch.pipeline import assess_window
from kapwatch.pubmed import parse_pubmed
from kapwatch.seeds import load_seeds
from kapwatch.standin import EFETCH_HEAD, StandIn
from kapwatch.store import Store

ROOT = Path(__file__).resolve().parent.parent


def main(count: int) -> None:
    data = StandIn()
    data.add_synthetic(count, date(2026, 1, 1), 365)
    xml = EFETCH_HEAD + b"\n".join(a.xml for a in data.articles) + b"\n</PubmedArticleSet>\n"
    seeds = load_seeds(ROOT / "seeds")
    store = Store(f"sqlite:///{tempfile.mkdtemp(prefix='kapwatch-bench-')}/t.db")
    window = store.open_window(date(2026, 1, 1), date(2026, 12, 31))

    started = time.perf_counter()
    records = list(parse_pubmed(xml))
    parsed = time.perf_counter()
    store.add_records(window.id, records)
    stored = time.perf_counter()
    studies = assess_window(store, window, seeds)
    assessed = time.perf_counter()

    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    total = assessed - started
    print(f"records            {count}")
    print(f"parse              {count / (parsed - started):,.0f} records/s")
    print(f"dedupe + store     {count / (stored - parsed):,.0f} records/s")
    print(f"assess             {len(studies) / (assessed - stored):,.0f} studies/s")
    print(f"all stages         {count / total:,.0f} records/s ({total:.1f} s)")
    print(f"peak RSS           {peak_mb:,.0f} MB")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 10_000)
