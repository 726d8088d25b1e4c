"""A store already holding 1M studies, and one incremental week against it.

The store is built once and cached under bench/.cache/ (keyed by the generator version, the
Alembic migrations and this file's STORE_VERSION): kapwatch's own schema (`store.migrate`), then
bulk inserts through SQLAlchemy core, secondary indexes dropped during the load and rebuilt
after. What it holds, as ten years of weekly runs would leave it:

- 1,000,000 studies (bench/generate.py's "store-1m" set: titles, 5-30 authors, years 1996-2025,
  DOIs for 92%, PMIDs for 95%; the first author follows the same skewed surname distribution as
  the other sets, so the author blocks the dedupe reads are as uneven as a real store's). The
  abstract is shortened to one line: the week never reads old abstracts;
- a PubMed sighting for each (a feed sighting too for 10%), a digest item for each (all were
  announced), 520 rendered weekly windows (2016-2025; older studies in the first);
- 20,000 relevant studies (2%: about the size of the whole ketamine-in-psychiatry literature, the
  most a KAP store can hold whatever its size) with 1-3 claim links each; their full PubMed
  records are written to an XML file the stand-in serves by id (kapwatch's first retraction
  watch re-read every one of them each week; the current one asks PubMed for the week's
  notices instead, which the week's records include: retraction notices and errata pointing
  at studies in this store);
- the citation checks already cached (run once against the stand-in, as a first run would);
- 20 of the week's 200 records already stored from a journal feed (same DOI and title, no PMID):
  the week merges them instead of adding them.

The week itself (`week`) is the weekly run's stages from kapwatch.pipeline against the stand-in,
on a fresh copy of the store, each stage timed; `run.py` also times `kapwatch run` (the CLI:
the Prefect flow) on another copy.

    .venv/bin/python -m bench.store1m build
    .venv/bin/python -m bench.store1m week --eutils URL
"""

from __future__ import annotations

import argparse
import cProfile
import hashlib
import io
import json
import pstats
import random
import shutil
import sqlite3
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from datetime import time as dtime
from pathlib import Path
from typing import Any, TextIO

from sqlalchemy import Table, insert

from bench.common import ROOT, loopback_only, peak_mb, pin
from bench.generate import EFETCH_HEAD, EFETCH_TAIL, article_xml
from bench.synthetic import CACHE, DATASETS, DESIGN, GENERATOR_VERSION, JOURNALS, Core, core
from kapwatch import pipeline
from kapwatch.demo.standin import StandIn, serve
from kapwatch.seeds.articles import Seeds, load_seeds
from kapwatch.settings import Settings
from kapwatch.sources.pubmed_xml import parse_pubmed
from kapwatch.sources.records import Record
from kapwatch.store import (
    AddResult,
    ClaimLink,
    DigestItem,
    Sighting,
    Store,
    Study,
    Window,
    migrate,
)

STORE_VERSION = 4
STUDIES = 1_000_000
RELEVANT = 20_000
FEED_SHARE = 0.10  # studies also seen in a journal feed
WEEK_OVERLAP = 20  # of the week's records, already stored from a feed
WEEK = (date(2026, 1, 5), date(2026, 1, 11))
FIRST_WEEK_END = date(2016, 1, 10)  # a Sunday; 520 weekly windows follow
WINDOWS = 520
CHUNK = 20_000
# The store modules that make a study's row from a record (schema, derived keys, merge).
KEYED_BY = ("models.py", "merge.py", "index.py", "dedupe.py")
STANCES = ["supports", "supports", "extends", "challenges", "mixed"]
EVIDENCE = "Ketamine combined with psychotherapy led to sustained improvements."


def cache_key(studies: int = STUDIES) -> str:
    migrations = ROOT / "kapwatch" / "store" / "migrations" / "versions"
    digest = hashlib.sha256(f"{GENERATOR_VERSION}:{STORE_VERSION}:{studies}:{RELEVANT}".encode())
    # The schema, and the code that derives stored keys from a record: a change rebuilds.
    sources = [
        *sorted(migrations.glob("*.py")),
        *(ROOT / "kapwatch" / "store" / name for name in KEYED_BY),
    ]
    for path in sources:
        digest.update(path.name.encode() + path.read_bytes())
    return digest.hexdigest()[:12]


def paths(studies: int = STUDIES) -> tuple[Path, Path]:
    key = cache_key(studies)
    return CACHE / f"store-{studies}-{key}.db", CACHE / f"store-{studies}-{key}-watched.xml"


def empty_feeds() -> Path:
    path = CACHE / "feeds-none.toml"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(
            "# no journal feeds: the benchmark times PubMed and the store\n", encoding="utf-8"
        )
    return path


def settings_env(home: Path, db: Path, eutils_url: str, api_key: str = "") -> dict[str, str]:
    env = {
        "KAPWATCH_HOME": str(home),
        "KAPWATCH_DATABASE_URL": f"sqlite:///{db}",
        "KAPWATCH_EUTILS_URL": eutils_url,
        "KAPWATCH_SEEDS_DIR": str(ROOT / "seeds"),
        "KAPWATCH_FEEDS_FILE": str(empty_feeds()),
        "KAPWATCH_NCBI_EMAIL": "bench@example.org",
    }
    if api_key:
        env["KAPWATCH_NCBI_API_KEY"] = api_key
    return env


def _table(model: Any) -> Table:
    table: Table = model.__table__
    return table


class Rows:
    """Study rows exactly as kapwatch would store them: `store._new_study(record)` decides every
    derived column (title key, author key, blocking keys, normalised DOI, ...), so the store keeps
    up with kapwatch's schema; only what a weekly run would have added later is set here."""

    def __init__(self) -> None:
        from kapwatch.store import merge as store_module

        self.new_study = store_module._new_study
        self.table = _table(Study)
        self.skip: set[str] | None = None

    def __call__(self, record: Record, **columns: Any) -> dict[str, Any]:
        given = {**self.new_study(record).columns(), **columns}
        row: dict[str, Any] = {}
        for column in self.table.columns:
            value = given.get(column.key)  # a column kapwatch leaves to its default: None
            if value is None and not column.nullable:
                default = column.default
                if default is not None and getattr(default, "is_callable", False):
                    value = default.arg(None)  # type: ignore[attr-defined]
                elif default is not None and getattr(default, "is_scalar", False):
                    value = default.arg  # type: ignore[attr-defined]
            row[column.key] = value
        if self.skip is None:  # left to the server default, the same for every row
            self.skip = {
                c.key
                for c in self.table.columns
                if row[c.key] is None and not c.nullable and c.server_default is not None
            }
        for key in self.skip:
            row.pop(key, None)
        return row


def _label(until: date) -> str:
    iso = until.isocalendar()
    return f"{iso.year}-W{iso.week:02d}"


def _window_of(entrez: date) -> int:
    """1-based id of the weekly window that first saw a study entered on that day."""
    weeks = (entrez - (FIRST_WEEK_END - timedelta(days=6))).days // 7
    return min(max(weeks, 0), WINDOWS - 1) + 1


def build(studies: int = STUDIES, log: Any = print) -> tuple[Path, Path]:
    """Build (or find cached) the store and the watched records' XML."""
    db_path, watched_path = paths(studies)
    if db_path.exists() and watched_path.exists():
        return db_path, watched_path
    started = time.perf_counter()
    CACHE.mkdir(parents=True, exist_ok=True)
    for stale in CACHE.glob(f"store-{studies}-*"):  # an older schema or generator's
        stale.unlink()
    partial = db_path.with_suffix(".partial")
    partial.unlink(missing_ok=True)
    url = f"sqlite:///{partial}"
    migrate(url)
    store = Store(url, upgrade=False)
    seeds = load_seeds(ROOT / "seeds")
    rng = random.Random(20_261_122)
    _add_windows(store)
    checks = _cache_citations(store, seeds, partial)
    log(f"  citation checks cached: {len(checks)}")
    store.engine.dispose()
    indexes = _drop_indexes(partial)  # secondary indexes go during the load, back after it

    relevant = set(rng.sample(range(studies), RELEVANT))
    engine = Store(url, upgrade=False).engine
    watched_partial = watched_path.with_suffix(".partial")
    with engine.begin() as conn, watched_partial.open("w", encoding="utf-8") as watched:
        conn.exec_driver_sql("PRAGMA synchronous=OFF")
        loader = _Loader(conn, rng, [c.id for c in seeds.claims] or ["none"])
        watched_count = _add_studies(loader, studies, relevant, watched, log, started)
    engine.dispose()

    connection = sqlite3.connect(partial)
    for _name, sql in indexes:
        connection.execute(sql)
    connection.execute("ANALYZE")
    connection.execute("PRAGMA journal_mode=DELETE")
    connection.commit()
    connection.close()
    watched_partial.replace(watched_path)
    partial.replace(db_path)
    log(
        f"  store built: {studies:,} studies, {watched_count:,} watched, "
        f"{db_path.stat().st_size / 1e9:.2f} GB in {time.perf_counter() - started:.0f} s"
    )
    return db_path, watched_path


def _add_windows(store: Store) -> None:
    """520 weekly windows, each rendered and delivered to the outbox."""
    rows = []
    for w in range(WINDOWS):
        until = FIRST_WEEK_END + timedelta(days=7 * w)
        rendered = datetime.combine(until + timedelta(days=1), dtime(7), UTC)
        rows.append(
            {
                "id": w + 1,
                "label": _label(until),
                "since": until - timedelta(days=6),
                "until": until,
                "started": rendered,
                "rendered": rendered,
                "delivery": "outbox",
                "delivered": rendered,
                "delivery_error": "",
                "sources": [{"name": "pubmed", "kind": "pubmed", "status": "ok"}],
                "citations": [],
            }
        )
    with store.engine.begin() as conn:
        conn.execute(insert(_table(Window)), rows)


def _cache_citations(store: Store, seeds: Seeds, db: Path) -> list[Any]:
    """The citation checks a first run caches (every reference looked up once; not found here)."""
    with tempfile.TemporaryDirectory(prefix="kapwatch-bench-") as home, serve(StandIn()) as standin:
        env = settings_env(Path(home), db, standin.eutils_url, api_key="bench-build-key")
        settings = Settings.from_env(env)
        first = store.open_window(FIRST_WEEK_END - timedelta(days=6), FIRST_WEEK_END)
        checks, _report = pipeline.watch_citations(settings, store, seeds, first, seeds.query())
    return checks


def _drop_indexes(db: Path) -> list[tuple[str, str]]:
    """Drop the secondary indexes of the big tables; (name, sql) of each, to rebuild them."""
    connection = sqlite3.connect(db)
    connection.executescript(
        "PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF; PRAGMA cache_size=-400000;"
    )
    indexes: list[tuple[str, str]] = connection.execute(
        "SELECT name, sql FROM sqlite_master WHERE type='index' AND sql IS NOT NULL "
        "AND tbl_name IN ('studies', 'sightings', 'digest_items', 'claim_links')"
    ).fetchall()
    for name, _sql in indexes:
        connection.execute(f'DROP INDEX "{name}"')
    connection.commit()
    connection.close()
    return indexes


def _add_studies(
    loader: _Loader, studies: int, relevant: set[int], watched: TextIO, log: Any, started: float
) -> int:
    """The 1M studies (the relevant ones' XML to `watched`), then 20 of the week's records a
    feed reported earlier (journal version online before PubMed had it). Returns how many
    records were watched."""
    ds, rng = DATASETS["store-1m"], loader.rng
    watched.write(EFETCH_HEAD)
    watched_count = 0
    for k in range(studies):
        c = core(ds, k)
        pmid = c.pmid if rng.random() < 0.95 else None
        is_relevant = k in relevant
        loader.add(k + 1, c, pmid, "pubmed" if pmid else "jad", is_relevant, _window_of(c.entrez))
        if is_relevant and pmid:
            xml = article_xml(ds, k)
            watched.write(xml)
            watched_count += 1
            # The flags the record had when it was stored (a retraction is news only once).
            record = next(iter(parse_pubmed((EFETCH_HEAD + xml + EFETCH_TAIL).encode())))
            loader.studies[-1]["flags"] = record.flags
        if len(loader.studies) >= CHUNK:
            loader.flush()
        if k % 200_000 == 199_999:
            log(f"  {k + 1:,} studies ({time.perf_counter() - started:.0f} s)")
    weekly = DATASETS["weekly"]
    for i in range(WEEK_OVERLAP):
        c = core(weekly, i * (weekly.count // WEEK_OVERLAP))
        if c.doi:
            loader.add(studies + i + 1, c, None, "jad", False, WINDOWS)
    loader.flush()
    watched.write(EFETCH_TAIL)
    return watched_count


def _record(c: Core, pmid: str | None, source: str) -> Record:
    """The record a study was stored from (the abstract shortened: the week never reads it)."""
    design = DESIGN[c.design][1]
    return Record(
        source=source,
        title=c.plain_title,
        pmid=pmid,
        doi=c.doi,
        abstract=f"{c.plain_title} (abstract shortened in the benchmark store)",
        authors=c.author_names(),
        journal=JOURNALS[c.journal][0],
        journal_abbrev=JOURNALS[c.journal][1],
        volume=str(c.volume),
        issue=str(c.issue),
        pages=f"{c.first_page}-{c.first_page + 9}",
        published=date(c.year, c.month, 1),
        year=c.year,
        pub_types=["Journal Article", design] if design else ["Journal Article"],
        url=f"https://pubmed.ncbi.nlm.nih.gov/{pmid}/" if pmid else None,
    )


class _Loader:
    """Rows for studies, sightings, digest items and claim links, inserted a chunk at a time."""

    def __init__(self, conn: Any, rng: random.Random, claim_ids: list[str]) -> None:
        self.conn, self.rng, self.claim_ids = conn, rng, claim_ids
        self.row_of = Rows()
        self.studies: list[dict[str, Any]] = []
        self.sightings: list[dict[str, Any]] = []
        self.digest: list[dict[str, Any]] = []
        self.links: list[dict[str, Any]] = []

    def flush(self) -> None:
        for model, batch in (
            (Study, self.studies),
            (Sighting, self.sightings),
            (DigestItem, self.digest),
            (ClaimLink, self.links),
        ):
            if batch:
                self.conn.execute(insert(_table(model)), batch)
                batch.clear()

    def add(
        self, study_id: int, c: Core, pmid: str | None, source: str, relevant: bool, window: int
    ) -> None:
        seen = datetime.combine(c.entrez, dtime(9), UTC)
        reason = "ketamine; psychotherapy" if relevant else "no claim's therapy"
        self.studies.append(
            self.row_of(
                _record(c, pmid, source),
                id=study_id,
                first_seen=seen,
                updated=seen,
                relevant=relevant,
                score=0.9 if relevant else 0.1,
                reason=reason,
            )
        )
        sighting = {"study_id": study_id, "source": source, "window_id": window, "seen_at": seen}
        self.sightings.append(sighting)
        if source == "pubmed" and c.doi and self.rng.random() < FEED_SHARE:
            self.sightings.append({**sighting, "source": "jad"})
        self.digest.append({"study_id": study_id, "window_id": window})
        if relevant:
            for claim in self.rng.sample(
                self.claim_ids, min(len(self.claim_ids), self.rng.randint(1, 3))
            ):
                self.links.append(
                    {
                        "study_id": study_id,
                        "claim_id": claim,
                        "stance": self.rng.choice(STANCES),
                        "evidence": EVIDENCE,
                    }
                )


def copy(db_path: Path, folder: Path) -> Path:
    target = folder / "kapwatch.db"
    shutil.copyfile(db_path, target)
    return target


def week(db_path: Path, eutils_url: str) -> dict[str, Any]:
    """The weekly run's stages (kapwatch.pipeline, no Prefect) on a copy of the store."""

    timings: dict[str, float] = {}
    with tempfile.TemporaryDirectory(prefix="kapwatch-bench-") as home:
        db = copy(db_path, Path(home))
        settings = Settings.from_env(settings_env(Path(home), db, eutils_url))
        since, until = WEEK
        started = time.perf_counter()

        def timed(name: str, begun: float) -> float:
            now = time.perf_counter()
            timings[name] = round(now - begun, 3)
            return now

        mark = started
        setup = pipeline.prepare(settings)
        store = Store(settings.db_url)
        mark = timed("open store and seeds", mark)
        with store.exclusive("bench"):
            window = store.open_window(since, until)
            # Every source (PubMed alone: the feeds file is empty), stored a batch at a time.
            added = AddResult()
            reports = [
                pipeline.collect(source, store, window, secrets=settings.secrets, added=added)
                for source in setup.sources
            ]
            pubmed_report = reports[0]  # PubMed is collected first
            mark = timed("PubMed fetch + dedupe + store", mark)
            checks, check_report = pipeline.watch_citations(
                settings, store, setup.seeds, window, setup.query
            )
            mark = timed("citations + retraction watch", mark)
            studies = pipeline.assess_window(store, window, setup.seeds)
            mark = timed("classify", mark)
            files = pipeline.render_window(
                settings, store, window, studies, [*reports, check_report], setup, checks
            )
            mark = timed("render digest", mark)
            pipeline.deliver_pending(settings, store, False, window)
            mark = timed("deliver (--no-send)", mark)
        total = time.perf_counter() - started
        summary = files.head["summary"]
        digest = json.loads(files.json.read_text(encoding="utf-8"))  # a week: a small file
    return {
        "seconds": round(total, 2),
        "stages": timings,
        "records": pubmed_report.items,
        "stored_new": added.new,
        "stored_merged": added.merged,
        "new_studies": summary["new_studies"],
        "relevant": summary["relevant"],
        "digest_studies": len(digest.get("studies", [])),
        "pubmed_status": pubmed_report.status,
        "check_status": check_report.status,
        "peak_rss_mb": peak_mb(),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("action", choices=["build", "week"])
    parser.add_argument("--studies", type=int, default=STUDIES)
    parser.add_argument("--eutils", default="", help="the stand-in's E-utilities URL (week)")
    parser.add_argument("--db", type=Path, default=None, help="the store to copy (week)")
    parser.add_argument("--profile", type=Path, default=None, help="week: cProfile, top 40 here")
    parser.add_argument("--cpu", type=int, default=None)
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args(argv)
    loopback_only()
    pin(args.cpu)
    if args.action == "build":
        db_path, watched = build(args.studies)
        result: dict[str, Any] = {"db": str(db_path), "watched": str(watched)}
    else:
        profiler = cProfile.Profile() if args.profile else None
        if profiler is not None:
            profiler.enable()
        result = week(args.db or paths(args.studies)[0], args.eutils)
        if profiler is not None and args.profile is not None:
            profiler.disable()
            text = io.StringIO()
            stats = pstats.Stats(profiler, stream=text).strip_dirs().sort_stats("cumulative")
            stats.print_stats(40)
            args.profile.write_text(text.getvalue(), encoding="utf-8")
    output = json.dumps(result, indent=2, default=str)
    if args.out is not None:
        args.out.write_text(output + "\n", encoding="utf-8")
    print(output)
    return 0


if __name__ == "__main__":
    sys.exit(main())
