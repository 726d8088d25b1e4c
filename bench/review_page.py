"""The review page for a week of 500 suggested links: how long it takes to render (issue 12
asks for under 300 ms). Not a timed test: a figure to watch.

A throwaway SQLite store gets one window of studies, each linked by the "engine" to two or
three of the real seed claims with an evidence sentence and a confidence; then the page (the
store's queue query, the template, the ASGI round trip) is fetched repeatedly.

    .venv/bin/python -m bench.review_page [--links 500] [--repeat 20]
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

from sqlalchemy import insert

from kapwatch.review.app import make_app
from kapwatch.seeds.articles import load_seeds
from kapwatch.settings import default_seeds
from kapwatch.store import ClaimLink, DigestItem, Store, Study, Window
from kapwatch.store.models import table
from kapwatch.vocabulary import Stance

DESIGNS = ["randomized controlled trial", "open-label/pilot", "observational", "meta-analysis"]


def fill(store: Store, claims: list[str], links: int, seed: int = 12) -> None:
    """One window with studies carrying `links` engine links in all (2-3 per study)."""
    rng = random.Random(seed)
    with store.session() as s:
        window = Window(label="2026-W49", since=date(2026, 11, 30), until=date(2026, 12, 6))
        s.add(window)
        s.flush()
        studies, rows, made, i = [], [], 0, 0
        while made < links:
            i += 1
            per = min(rng.choice((2, 3)), links - made)
            studies.append(
                {
                    "id": i,
                    "pmid": str(40_000_000 + i),
                    "title": f"Ketamine-assisted psychotherapy study {i}: outcomes at 6 months",
                    "title_key": f"study {i}",
                    "journal": "J Psychopharmacol",
                    "published": date(2026, 12, 1) - timedelta(days=i % 6),
                    "design": rng.choice(DESIGNS),
                    "n": rng.randint(12, 400),
                    "relevant": True,
                    "score": rng.random(),
                }
            )
            for claim in rng.sample(claims, per):
                rows.append(
                    {
                        "study_id": i,
                        "claim_id": claim,
                        "stance": rng.choice(list(Stance)),
                        "evidence": "Depression scores fell by 8.2 points more than with "
                        "midazolam at 24 hours, and the difference persisted at day 7 (p < 0.01).",
                        "confidence": round(rng.uniform(0.3, 0.95), 3),
                    }
                )
            made += per
        s.execute(insert(table(Study)), studies)
        s.execute(
            insert(table(DigestItem)),
            [{"study_id": x["id"], "window_id": window.id} for x in studies],
        )
        s.execute(insert(table(ClaimLink)), rows)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--links", type=int, default=500)
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args(argv)
    from starlette.testclient import TestClient

    seeds = load_seeds(default_seeds())
    with tempfile.TemporaryDirectory() as folder:
        store = Store(f"sqlite:///{Path(folder) / 'bench.db'}")
        fill(store, [c.id for c in seeds.claims if c.linkable], args.links)
        web, _ = make_app(store, seeds, "bench")
        client = TestClient(web)
        first = client.get("/")
        assert first.status_code == 200 and first.text.count('class="link') == args.links
        times = []
        for _ in range(args.repeat):
            start = time.perf_counter()
            client.get("/")
            times.append((time.perf_counter() - start) * 1000)
        store.engine.dispose()
    result = {
        "links": args.links,
        "page_bytes": len(first.content),
        "median_ms": round(statistics.median(times), 1),
        "max_ms": round(max(times), 1),
        "target_ms": 300,
    }
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
