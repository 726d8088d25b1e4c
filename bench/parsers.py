"""The parsing baseline: kapwatch's streaming parser against Biopython's Entrez.read/parse.

The same EFetch XML file for each (bench/generate.py's 10k set: 10,000 PubMed records as
EFetch sends them, pubmed_250101 DTD, which Biopython bundles), each parser in its own process
so its peak RSS is its own:

- kapwatch: `kapwatch.pubmed.parse_pubmed` (lxml iterparse, one article at a time, cleared as
  it goes) yielding kapwatch Records;
- Entrez.read: Biopython's validating parser, the whole document as nested dicts and lists;
- Entrez.parse: Biopython's incremental parser (refuses PubMed's EFetch XML on some versions;
  the error is reported).

    .venv/bin/python -m bench.parsers kapwatch FILE --cpu 0
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.common import loopback_only, peak_mb, pin, reset_peak, rss_mb

_CACHE = tempfile.TemporaryDirectory(prefix="kapwatch-bench-entrez-")  # removed at exit


def run(parser: str, path: Path) -> dict[str, Any]:
    if parser == "kapwatch":
        from kapwatch.sources.pubmed_xml import parse_pubmed

        baseline = rss_mb()
        reset_peak()
        started = time.perf_counter()
        with path.open("rb") as handle:
            count = sum(1 for _record in parse_pubmed(handle))
        seconds = time.perf_counter() - started
    else:
        from Bio import Entrez

        Entrez.local_cache = _CACHE.name  # type: ignore[assignment]
        from Bio.Entrez import Parser  # noqa: F401  (imported before measuring)

        baseline = rss_mb()
        reset_peak()
        started = time.perf_counter()
        try:
            with path.open("rb") as handle:
                if parser == "entrez-read":
                    count = len(Entrez.read(handle)["PubmedArticle"])
                else:
                    count = 0
                    for _record in Entrez.parse(handle):
                        count += 1
        except Exception as exc:
            return {
                "parser": parser,
                "error": f"{type(exc).__name__}: {' '.join(str(exc).split())[:200]}",
            }
        seconds = time.perf_counter() - started
    return {
        "parser": parser,
        "records": count,
        "seconds": round(seconds, 3),
        "records_per_s": round(count / seconds) if seconds else 0,
        "peak_rss_mb": peak_mb(),
        "peak_over_baseline_mb": round(peak_mb() - baseline, 1),
        "input_mb": round(path.stat().st_size / 1e6, 1),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("parser", choices=["kapwatch", "entrez-read", "entrez-parse"])
    parser.add_argument("file", type=Path)
    parser.add_argument("--cpu", type=int, default=None)
    args = parser.parse_args(argv)
    loopback_only()
    pin(args.cpu)
    print(json.dumps(run(args.parser, args.file)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
