"""Deduplication quality on the SRA benchmark sets (Rathbone et al. 2015) in ../shared/data.

Each set's records go through the same Store.add_records the weekly run uses (SQLite in a
temporary folder); the clusters it forms are compared, pair by pair, with the labelled duplicate
clusters. The ASySD Diabetes set (Hair et al. 2023: 1,845 records exported from several
databases, with DOIs in mixed forms) is the held-out check, reported apart: nothing is tuned on
it (see issue 5).

    .venv/bin/python -m bench.dedupe_sra            # table + bench/results/dedupe.json
"""

from __future__ import annotations

import csv
import io
import itertools
import json
import re
import sys
import tempfile
import time
from collections import defaultdict
from datetime import date
from pathlib import Path

from kapwatch.sources.records import Record
from kapwatch.store import Sighting, Store, Study

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT.parent / "shared" / "data" / "dedup" / "bib_dedupe"
ASYSD = ROOT.parent / "shared" / "data" / "dedup" / "asysd" / "labelled_test_set.csv"
SETS = ["cytology_screening", "haematology", "respiratory", "stroke"]
_NEXT_AUTHOR = re.compile(r"(?<=\.)(?=[A-Z])")  # ASySD runs authors together: "Adeli K.Lewis G. F."


def authors(raw: str) -> list[str]:
    """'Zhai, Q. J. and Yue, X. Y.' -> ['Zhai, Q. J.', 'Yue, X. Y.'] (as BibTeX lists them)."""
    return [" ".join(a.split()) for a in raw.split(" and ") if a.strip()]


def load(name: str) -> tuple[list[tuple[str, Record]], dict[str, str]]:
    with (DATA / name / "records_pre_merged.csv").open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    records = []
    for row in rows:
        year = row.get("year", "")
        record = Record(
            source=row["ID"],  # one source per record: every record is its own sighting
            title=row.get("title") or "",
            authors=authors(row.get("author") or ""),
            year=int(year) if year.isdigit() else None,
            journal=row.get("journal") or "",
            volume=row.get("volume") or "",
            issue=row.get("number") or "",
            pages=row.get("pages") or "",
            doi=row.get("doi") or None,
        )
        records.append((row["ID"], record))
    truth: dict[str, str] = {}
    with (DATA / name / "merged_record_ids.csv").open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            ids = row["merged_ids"].split(";")
            for record_id in ids:
                truth[record_id] = ids[0]
    return records, truth


def pairs(clusters: dict[str, str]) -> set[tuple[str, str]]:
    groups: dict[str, list[str]] = defaultdict(list)
    for record_id, cluster in clusters.items():
        groups[cluster].append(record_id)
    return {p for members in groups.values() for p in itertools.combinations(sorted(members), 2)}


def load_asysd() -> tuple[list[tuple[str, Record]], dict[str, str]]:
    """The ASySD Diabetes set (cp1252 text) and its clusters from bib_dedupe's diabetes labels."""
    text = ASYSD.read_bytes().decode("cp1252")
    records = []
    for row in csv.DictReader(io.StringIO(text)):
        record_id = f"id_{int(row['record_id']):07d}"
        year = (row.get("year") or "").strip()
        doi = (row.get("doi") or "").strip()
        record = Record(
            source=record_id,
            title=row.get("title") or "",
            authors=[a.strip() for a in _NEXT_AUTHOR.split(row.get("author") or "") if a.strip()],
            year=int(year) if year.isdigit() else None,
            journal=row.get("journal") or "",
            volume=row.get("volume") or "",
            issue=row.get("number") or "",
            pages=row.get("pages") or "",
            doi=None if doi in ("", "NA") else doi,
        )
        records.append((record_id, record))
    truth: dict[str, str] = {}
    with (DATA / "diabetes" / "merged_record_ids.csv").open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            ids = row["merged_ids"].split(";")
            for record_id in ids:
                truth[record_id] = ids[0]
    return records, truth


def _cluster(records: list[tuple[str, Record]], folder: Path) -> tuple[dict[str, str], int, float]:
    """Store the records; (record id -> study id, studies formed, seconds)."""
    store = Store(f"sqlite:///{folder}/dedupe.db")
    window = store.open_window(date(2026, 1, 1), date(2026, 1, 7))
    started = time.perf_counter()
    store.add_records(window.id, (record for _, record in records))
    seconds = time.perf_counter() - started
    with store.session() as s:
        predicted = {
            source: str(study_id)
            for source, study_id in s.query(Sighting.source, Sighting.study_id).all()
        }
        studies = s.query(Study).count()
    store.engine.dispose()
    return predicted, studies, seconds


def run(name: str) -> dict[str, float | int | str]:
    records, truth = load_asysd() if name == "asysd_diabetes" else load(name)
    with tempfile.TemporaryDirectory(prefix="kapwatch-bench-") as folder:
        predicted, studies, seconds = _cluster(records, Path(folder))
    ids = [record_id for record_id, _ in records]
    truth_all = {i: truth.get(i, i) for i in ids}
    found, expected = pairs(predicted), pairs(truth_all)
    n = len(ids)
    total = n * (n - 1) // 2
    tp, fp, fn = len(found & expected), len(found - expected), len(expected - found)
    tn = total - tp - fp - fn
    return {
        "set": name,
        "records": n,
        "studies": studies,
        "true_unique": len(set(truth_all.values())),
        "pair_sensitivity": round(tp / (tp + fn), 4) if tp + fn else 1.0,
        "pair_specificity": round(tn / (tn + fp), 6) if tn + fp else 1.0,
        "false_merges": fp,
        "missed_pairs": fn,
        "seconds": round(seconds, 2),
        "records_per_s": round(n / seconds),
    }


def main() -> int:
    if not DATA.is_dir():
        print(f"{DATA} not present", file=sys.stderr)
        return 1
    results = [run(name) for name in SETS]
    held_out = [run("asysd_diabetes")] if ASYSD.is_file() else []
    columns = list(results[0])
    print(" | ".join(columns))
    for row in results:
        print(" | ".join(str(row[c]) for c in columns))
    for row in held_out:
        print("held out: " + " | ".join(str(row[c]) for c in columns))
    out = Path(__file__).parent / "results"
    out.mkdir(exist_ok=True)
    data = {"sra": results, "held_out": held_out}
    (out / "dedupe.json").write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
