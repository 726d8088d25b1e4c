"""metapub and pymed fetching the same records from the same stand-in, as their users would.

Runs in the peers' own virtualenv (bench/.cache/venv-peers: the lock plus metapub and pymed,
made by `make bench`), so it imports neither kapwatch nor anything of bench that does. Each
library's base URL is a module constant, pointed at the stand-in here:

- metapub (`PubMedFetcher`, the library's documented way): `pmids_for_query(query, since,
  until, retmax)` per date window, then `article_by_pmid(pmid)` for each PMID: one EFetch per
  record. A run stops at `--budget` seconds; the rest is projected from the measured rate (a
  10,400-record backfill would take about an hour at 3 requests/s).
- pymed (`PubMed.query(term, max_results)`): the window as an [edat] range in the term (pymed
  takes no date parameters), ESearch in JSON, then EFetch of 250 ids per GET. pymed's
  `pubmed_id` joins every pubmed ArticleId in the record, reference list included; the first is
  the record's own.

Neither splits a window past PubMed's 9,999-record paging limit, so both are given the windows
kapwatch's split ended with.

    bench/.cache/venv-peers/bin/python -m bench.peers metapub --eutils URL --windows '[["2026/01/05","2026/01/11"]]'
"""

from __future__ import annotations

import argparse
import json
import logging
import re
import sys
import time
from pathlib import Path
from typing import Any

from bench.common import emit, loopback_only


def version(name: str) -> str:
    from importlib.metadata import PackageNotFoundError
    from importlib.metadata import version as package_version

    try:
        return package_version(name)
    except PackageNotFoundError:
        return "?"


def reason(exc: BaseException) -> str:
    """One short line: the HTTP status at the root of the error chain when there is one."""
    seen: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and current not in seen:
        seen.append(current)
        current = current.__cause__ or current.__context__
    for error in reversed(seen):
        match = re.search(r"\b([45]\d\d) (?:Client|Server) Error", str(error))
        if match:
            return f"HTTP {match.group(1)}"
    root = seen[-1]
    return f"{type(root).__name__}: {' '.join(str(root).split())[:120]}"


def with_metapub(
    eutils_url: str, query: str, windows: list[list[str]], budget: float
) -> dict[str, Any]:
    logging.getLogger("metapub").setLevel(logging.ERROR)
    import metapub.ncbi_client

    metapub.ncbi_client.NCBIClient.BASE_URL = eutils_url.rstrip("/")
    from metapub import PubMedFetcher

    fetch = PubMedFetcher()  # no cachedir: every call goes to the server
    started = time.perf_counter()
    pmids: list[str] = []
    for since, until in windows:
        pmids += fetch.pmids_for_query(query, since=since, until=until, retmax=9999)
    searched = time.perf_counter()
    got: list[str] = []
    failures: list[str] = []
    stopped_early = False
    for pmid in pmids:
        if budget and time.perf_counter() - started > budget:
            stopped_early = True
            break
        try:
            article = fetch.article_by_pmid(pmid)
            got.append(str(article.pmid))
        except Exception as exc:  # a user's loop would stop here; we note it and go on
            failures.append(reason(exc))
    wall = time.perf_counter() - started
    attempted = len(got) + len(failures)
    per_record = (wall - (searched - started)) / attempted if attempted else 0.0
    return {
        "client": f"metapub {version('metapub')}",
        "wall_s": round(wall, 3),
        "search_s": round(searched - started, 3),
        "ids_found": len(pmids),
        "records": len(got),
        "failures": len(failures),
        "failure_examples": failures[:3],
        "stopped_early": stopped_early,
        "projected_wall_s": round((searched - started) + per_record * len(pmids), 1),
        "pmids": sorted(set(got)),
    }


def with_pymed(eutils_url: str, query: str, windows: list[list[str]]) -> dict[str, Any]:
    import pymed.api

    root = eutils_url.split("/entrez/")[0]
    pymed.api.BASE_URL = root
    from pymed import PubMed

    client = PubMed(tool="kapwatch-bench", email="bench@example.org")
    started = time.perf_counter()
    got: list[str] = []
    failure = ""
    try:
        for since, until in windows:
            term = f'({query}) AND ("{since}"[edat] : "{until}"[edat])'
            for article in client.query(term, max_results=9999):
                got.append(str(article.pubmed_id).split("\n")[0])
    except Exception as exc:  # pymed raises on the first HTTP error (raise_for_status)
        failure = reason(exc)
    wall = time.perf_counter() - started
    return {
        "client": f"pymed {version('pymed')}",
        "wall_s": round(wall, 3),
        "records": len(got),
        "failures": 1 if failure else 0,
        "failure_examples": [failure] if failure else [],
        "stopped_early": bool(failure),
        "pmids": sorted(set(got)),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("client", choices=["metapub", "pymed"])
    parser.add_argument("--eutils", required=True)
    parser.add_argument("--query-file", type=Path, required=True)
    parser.add_argument("--windows", required=True, help='JSON [["2026/01/05", "2026/01/11"], ...]')
    parser.add_argument(
        "--budget", type=float, default=0.0, help="metapub: stop after this many seconds"
    )
    parser.add_argument("--cpu", type=int, default=None)
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args(argv)
    loopback_only()
    if args.cpu is not None:
        import os

        os.sched_setaffinity(0, {args.cpu})
    query = args.query_file.read_text(encoding="utf-8").strip()
    windows = json.loads(args.windows)
    if args.client == "metapub":
        result = with_metapub(args.eutils, query, windows, args.budget)
    else:
        result = with_pymed(args.eutils, query, windows)
    emit(result, args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
