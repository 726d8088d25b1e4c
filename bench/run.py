"""`make bench`: every scenario of issue 5, one table, JSON in bench/results/.

Scenarios (bench/README.md explains each):
  weekly     kapwatch's PubMed client fetching a week (200 records) from the stand-in
  backfill   ten years (10,400 records: more than one ESearch may page through)
  processing parse + normalise + dedupe + store + classify at 1k/10k/100k, one core each
  floor      the least work with the same records (tree, fields, insert, words), one core
  parsing    kapwatch's parser against Biopython's Entrez.read / Entrez.parse
  week_1m    an incremental week against a store already holding 1M studies
  dedupe     the SRA sets, and ASySD held out
  peers      metapub and pymed fetching the weekly and backfill records from the same stand-in

With two CPUs the long single-core processing run (100k) goes on the second CPU while the
rate-limited scenarios, which mostly wait, run on the first with the stand-in.

    .venv/bin/python -m bench.run                    # everything (about 7 minutes on 2 cores)
    .venv/bin/python -m bench.run --quick            # 1k/10k only, short peer budgets
    .venv/bin/python -m bench.run --only weekly,backfill,peers
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from bench import generate, store1m
from bench.common import BENCH, RESULTS, ROOT, cpus, loopback_only, machine, pin
from bench.server import LoadServer
from kapwatch.demo.standin import Limits

SCENARIOS = ["weekly", "backfill", "processing", "floor", "parsing", "week_1m", "dedupe", "peers"]
PEERS_PYTHON = BENCH / ".cache" / "venv-peers" / "bin" / "python"
PYTHON = sys.executable
WEEK = store1m.WEEK
BACKFILL = (date(2016, 1, 1), date(2025, 12, 31))
RATE = 3


def log(message: str) -> None:
    print(f"[{datetime.now():%H:%M:%S}] {message}", flush=True)


def run_json(command: list[str], timeout: float = 1800, python: str = PYTHON) -> dict[str, Any]:
    """Run `python -m bench.<module> ...` and read the JSON it prints last."""
    done = subprocess.run(
        [python, "-m", *command], cwd=ROOT, capture_output=True, text=True, timeout=timeout
    )
    if done.returncode != 0:
        tail = " ".join(done.stderr.strip().splitlines()[-3:])[:400]
        return {"error": f"exit {done.returncode}: {tail}"}
    lines = done.stdout.splitlines()
    start = next((i for i, line in enumerate(lines) if line.startswith("{")), None)
    if start is None:
        return {"error": f"no JSON from {' '.join(command[:2])}"}
    data: dict[str, Any] = json.loads("\n".join(lines[start:]))
    return data


def server_view(standin: LoadServer) -> dict[str, Any]:
    stats = standin.stats()
    accepted = stats["requests"] - stats["refused_429"]
    stats["floor_s"] = round(accepted / RATE, 2)
    return stats


@dataclass
class Row:
    scenario: str
    subject: str
    requests: str = ""
    refused: str = ""
    wall: str = ""
    floor: str = ""
    ratio: str = ""
    records: str = ""
    rate: str = ""
    peak: str = ""
    notes: str = ""
    target: str = ""
    met: str = ""


COLUMNS = [
    ("scenario", "scenario"),
    ("subject", "subject"),
    ("requests", "requests"),
    ("refused", "429s"),
    ("wall", "wall s"),
    ("floor", "floor s"),
    ("ratio", "wall/floor"),
    ("records", "records"),
    ("rate", "rec/s"),
    ("peak", "peak MB"),
    ("notes", "notes, ratios"),
    ("target", "target"),
    ("met", "met"),
]


def table(rows: list[Row]) -> str:
    widths = {key: max(len(title), *(len(getattr(r, key)) for r in rows)) for key, title in COLUMNS}
    line = " | ".join(title.ljust(widths[key]) for key, title in COLUMNS)
    rule = "-+-".join("-" * widths[key] for key, _ in COLUMNS)
    out = [line, rule]
    previous = ""
    for row in rows:
        if previous and row.scenario != previous:
            out.append(rule)
        previous = row.scenario
        out.append(" | ".join(str(getattr(row, key)).ljust(widths[key]) for key, _ in COLUMNS))
    return "\n".join(out)


def yes(ok: bool) -> str:
    return "yes" if ok else "NO"


def fmt(value: float | int | None, digits: int = 1) -> str:
    if value is None:
        return ""
    if isinstance(value, int) or digits == 0:
        return f"{value:,.0f}"
    return f"{value:,.{digits}f}"


# --- scenarios -------------------------------------------------------------------------------


def fetch_kapwatch(standin: LoadServer, since: date, until: date, cpu: int) -> dict[str, Any]:
    standin.reset()
    client = run_json(
        [
            "bench.fetch",
            "kapwatch",
            "--eutils",
            standin.eutils_url,
            "--since",
            since.isoformat(),
            "--until",
            until.isoformat(),
            "--cpu",
            str(cpu),
        ]
    )
    return {"client": client, "server": server_view(standin)}


def leaf_windows(server: dict[str, Any]) -> list[tuple[str, str]]:
    """The date windows kapwatch fetched (searches small enough to page through)."""
    seen: list[tuple[str, str]] = []
    for search in server["searches"]:
        window = (search["mindate"], search["maxdate"])
        if search["count"] <= 9_999 and window not in seen:
            seen.append(window)
    return seen


def fetch_reference(
    standin: LoadServer, windows: list[tuple[str, str]], cpu: int
) -> dict[str, Any]:
    standin.reset()
    client = run_json(
        [
            "bench.fetch",
            "reference",
            "--eutils",
            standin.eutils_url,
            "--windows",
            json.dumps(windows),
            "--cpu",
            str(cpu),
        ]
    )
    return {"client": client, "server": server_view(standin)}


def fetch_peer(
    standin: LoadServer,
    tool: str,
    windows: list[tuple[str, str]],
    query_file: Path,
    budget: float,
    cpu: int,
) -> dict[str, Any]:
    standin.reset()
    slashed = [[a.replace("-", "/"), b.replace("-", "/")] for a, b in windows]
    command = [
        "bench.peers",
        tool,
        "--eutils",
        standin.eutils_url,
        "--query-file",
        str(query_file),
        "--windows",
        json.dumps(slashed),
        "--cpu",
        str(cpu),
    ]
    if budget:
        command += ["--budget", str(budget)]
    client = run_json(command, python=str(PEERS_PYTHON), timeout=budget + 600)
    return {"client": client, "server": server_view(standin)}


def week_cli(standin: LoadServer, db_path: Path, cpu: int) -> dict[str, Any]:
    """`kapwatch run` (the Prefect flow) on a fresh copy of the 1M store."""
    standin.reset()
    with tempfile.TemporaryDirectory(prefix="kapwatch-bench-") as home:
        db = store1m.copy(db_path, Path(home))
        env = dict(os.environ)
        env.update(store1m.settings_env(Path(home), db, standin.eutils_url))
        env.update(
            PREFECT_HOME=str(Path(home) / "prefect"),
            DO_NOT_TRACK="1",
            PREFECT_SERVER_ANALYTICS_ENABLED="false",
        )
        command = ["taskset", "-c", str(cpu)] if _has_taskset() else []
        command += [
            str(Path(PYTHON).parent / "kapwatch"),
            "run",
            "--since",
            WEEK[0].isoformat(),
            "--until",
            WEEK[1].isoformat(),
            "--no-send",
        ]
        started = time.perf_counter()
        done = subprocess.run(
            command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=900
        )
        wall = time.perf_counter() - started
    result: dict[str, Any] = {"seconds": round(wall, 2), "exit": done.returncode}
    if done.returncode != 0:
        result["error"] = " ".join((done.stderr or done.stdout).strip().splitlines()[-3:])[:400]
    return {"client": result, "server": server_view(standin)}


def _has_taskset() -> bool:
    return any((Path(p) / "taskset").exists() for p in os.environ.get("PATH", "").split(os.pathsep))


def same_records(a: dict[str, Any], b: dict[str, Any]) -> str:
    left, right = set(a.get("pmids", [])), set(b.get("pmids", []))
    if left == right:
        return "same records"
    return f"{len(left & right):,} of {len(right):,} records"


# --- the run ---------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--only", default=",".join(SCENARIOS), help="comma-separated scenarios")
    parser.add_argument("--quick", action="store_true", help="1k/10k only, short peer budgets")
    parser.add_argument(
        "--metapub-budget",
        type=float,
        default=60.0,
        help="seconds for metapub's backfill (the rest is projected)",
    )
    parser.add_argument(
        "--sequential",
        action="store_true",
        help="run the 100k processing alone too (a few more minutes), not beside the network scenarios",
    )
    parser.add_argument("--latency", type=float, default=Limits.latency)
    parser.add_argument("--per-record", type=float, default=Limits.per_record)
    args = parser.parse_args(argv)
    loopback_only()
    only = {s.strip() for s in args.only.split(",") if s.strip()}
    unknown = only - set(SCENARIOS)
    if unknown:
        parser.error(f"unknown scenarios: {', '.join(sorted(unknown))}")
    sizes = ["proc-1k", "proc-10k"] if args.quick else ["proc-1k", "proc-10k", "proc-100k"]
    metapub_budget = 15.0 if args.quick else args.metapub_budget
    available = cpus()
    main_cpu, side_cpu = available[0], available[-1]
    parallel = len(available) >= 2
    pin(main_cpu)  # this process and the stand-in share the first CPU; children pin themselves
    RESULTS.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    report: dict[str, Any] = {
        "generated": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": machine(),
        "stand_in": {
            "latency_s": args.latency,
            "per_record_s": args.per_record,
            "rate_per_s": RATE,
            "window_s": 1.0,
        },
        "scenarios": {},
    }
    scenarios: dict[str, Any] = report["scenarios"]
    log(
        f"machine: {report['machine']['nproc']} CPUs ({report['machine']['cpu_model']}), {report['machine']['ram_gb']} GB; parallel={parallel}"
    )

    # --- phase A: data on the first CPU, the 1M store on the second --------------------------
    needs_store = "week_1m" in only
    build = None
    store_paths: tuple[Path, Path] | None = None
    if needs_store:
        db_path, watched_path = store1m.paths()
        if db_path.exists() and watched_path.exists():
            store_paths = (db_path, watched_path)
        else:
            log("building the 1M-study store (cached in bench/.cache/; 2-3 minutes, once)")
            build = subprocess.Popen(
                [PYTHON, "-m", "bench.store1m", "build", "--cpu", str(side_cpu)],
                cwd=ROOT,
                stdout=subprocess.PIPE,
                text=True,
            )
            if not parallel:
                build.wait()
    wanted = (
        ["weekly", "backfill"]
        + (sizes if "processing" in only else [])
        + (["proc-10k"] if "parsing" in only else [])
        + (sizes[-1:] if "floor" in only else [])
    )
    for name in dict.fromkeys(wanted):
        ds = generate.DATASETS[name]
        if not ds.path().exists():
            log(f"generating {name}: {ds.count:,} PubMed records")
        generate.write(ds)
    if build is not None:
        output, _ = build.communicate()
        if build.returncode != 0 or "{" not in output:
            scenarios["week_1m"] = {"error": "the 1M store could not be built"}
            only.discard("week_1m")
        else:
            built = json.loads(output[output.index("{") :])
            store_paths = (Path(built["db"]), Path(built["watched"]))
            log("1M store ready")

    # --- phase B: CPU-bound measurements, one at a time with nothing else running ------------
    processing: dict[str, Any] = {}
    long_run = None
    if "processing" in only:
        for name in sizes:
            if name == "proc-100k" and parallel and not args.sequential:
                continue  # phase C, beside the network scenarios
            log(f"processing {name}")
            processing[name] = run_json(
                ["bench.processing", str(generate.DATASETS[name].path()), "--cpu", str(main_cpu)]
            )
    if "floor" in only:
        log(f"the processing floor on {sizes[-1]}: the least work with the same records")
        scenarios["floor"] = run_json(
            ["bench.floor", str(generate.DATASETS[sizes[-1]].path()), "--cpu", str(main_cpu)]
        )
    if "parsing" in only:
        parsing = {}
        for parser_name in ("kapwatch", "entrez-read", "entrez-parse"):
            log(f"parsing 10k records with {parser_name}")
            parsing[parser_name] = run_json(
                [
                    "bench.parsers",
                    parser_name,
                    str(generate.DATASETS["proc-10k"].path()),
                    "--cpu",
                    str(main_cpu),
                ]
            )
        scenarios["parsing"] = parsing

    if "dedupe" in only:
        log("dedupe quality: SRA sets and ASySD (held out)")
        done = subprocess.run(
            [PYTHON, "-m", "bench.dedupe_sra"], cwd=ROOT, capture_output=True, text=True
        )
        dedupe_file = RESULTS / "dedupe.json"
        scenarios["dedupe"] = (
            json.loads(dedupe_file.read_text())
            if done.returncode == 0
            else {"error": done.stderr[-400:]}
        )
    # --- phase C: the rate-limited scenarios (mostly waiting) on the first CPU, and the ----
    # --- 100k processing run on the second -----------------------------------------------
    if "processing" in only and parallel and not args.sequential and "proc-100k" in sizes:
        log("processing 100k records on the second CPU (runs alongside the network scenarios)")
        long_out = RESULTS / "processing-100k.json"
        long_out.unlink(missing_ok=True)
        long_run = subprocess.Popen(
            [
                PYTHON,
                "-m",
                "bench.processing",
                str(generate.DATASETS["proc-100k"].path()),
                "--cpu",
                str(side_cpu),
                "--out",
                str(long_out),
            ],
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
    network = only & {"weekly", "backfill", "peers", "week_1m"}
    if network:
        files = [
            (generate.DATASETS["weekly"].path(), True),
            (generate.DATASETS["backfill"].path(), True),
        ]
        if "week_1m" in only and store_paths is not None:
            files.append((store_paths[1], False))
        limits = Limits(latency=args.latency, per_record=args.per_record)
        query_file = BENCH / ".cache" / "query.txt"
        query_file.write_text(_query(), encoding="utf-8")
        with LoadServer(files, limits, cpu=main_cpu) as standin:
            log(f"stand-in at {standin.url}")
            weekly = backfill = None
            if only & {"weekly", "peers"}:
                log("weekly run: kapwatch")
                weekly = fetch_kapwatch(standin, *WEEK, cpu=main_cpu)
                scenarios["weekly"] = {"kapwatch": weekly}
            if only & {"backfill", "peers"}:
                log("10-year backfill: kapwatch")
                backfill = fetch_kapwatch(standin, *BACKFILL, cpu=main_cpu)
                windows = leaf_windows(backfill["server"])
                log(f"backfill windows kapwatch fetched: {windows}; reference client")
                scenarios["backfill"] = {
                    "kapwatch": backfill,
                    "windows": windows,
                    "reference": fetch_reference(standin, windows, main_cpu),
                }
            if "peers" in only and weekly is not None and backfill is not None:
                if PEERS_PYTHON.exists():
                    week_window = [(WEEK[0].isoformat(), WEEK[1].isoformat())]
                    for tool in ("pymed", "metapub"):
                        log(f"weekly run: {tool}")
                        scenarios["weekly"][tool] = fetch_peer(
                            standin,
                            tool,
                            week_window,
                            query_file,
                            0 if tool == "pymed" else 300,
                            main_cpu,
                        )
                        log(
                            f"10-year backfill: {tool}"
                            + (
                                f" (stops after {metapub_budget:.0f} s; rest projected)"
                                if tool == "metapub"
                                else ""
                            )
                        )
                        scenarios["backfill"][tool] = fetch_peer(
                            standin,
                            tool,
                            windows,
                            query_file,
                            metapub_budget if tool == "metapub" else 0,
                            main_cpu,
                        )
                else:
                    scenarios["peers"] = {
                        "error": f"{PEERS_PYTHON} missing: run `make bench` (it creates the peers' virtualenv)"
                    }
            if "week_1m" in only and store_paths is not None:
                db_path = store_paths[0]
                log("incremental week on the 1M store: pipeline stages")
                standin.reset()
                stages = run_json(
                    [
                        "bench.store1m",
                        "week",
                        "--eutils",
                        standin.eutils_url,
                        "--cpu",
                        str(main_cpu),
                        "--db",
                        str(db_path),
                    ]
                )
                week = {"pipeline": {"client": stages, "server": server_view(standin)}}
                log("incremental week on the 1M store: `kapwatch run` (Prefect flow)")
                week["cli"] = week_cli(standin, db_path, main_cpu)
                scenarios["week_1m"] = week

    if "processing" in only:
        if long_run is not None:
            log("waiting for the 100k processing run")
            _out, err = long_run.communicate()
            long_out = RESULTS / "processing-100k.json"
            processing["proc-100k"] = (
                json.loads(long_out.read_text())
                if long_run.returncode == 0
                else {"error": err[-400:]}
            )
        elif "proc-100k" in sizes and "proc-100k" not in processing:
            processing["proc-100k"] = run_json(
                [
                    "bench.processing",
                    str(generate.DATASETS["proc-100k"].path()),
                    "--cpu",
                    str(main_cpu),
                ]
            )
        scenarios["processing"] = processing

    report["seconds"] = round(time.perf_counter() - started, 1)
    rows = build_rows(scenarios)
    report["table"] = [vars(r) for r in rows]
    for name, data in scenarios.items():
        (RESULTS / f"{name}.json").write_text(
            json.dumps(_strip(data), indent=2, default=str) + "\n", encoding="utf-8"
        )
    (RESULTS / "bench.json").write_text(
        json.dumps(_strip(report), indent=2, default=str) + "\n", encoding="utf-8"
    )
    print()
    print(table(rows))
    missed = [r for r in rows if r.met == "NO"]
    print()
    print(
        f"{len(missed)} of {sum(1 for r in rows if r.met)} targets missed"
        + (
            ": " + "; ".join(f"{r.scenario} {r.subject} ({r.target})" for r in missed)
            if missed
            else ""
        )
    )
    print(
        f"JSON in {RESULTS.relative_to(ROOT)}/ (bench.json and one file per scenario); {report['seconds']:.0f} s in all"
    )
    return 0


def _query() -> str:
    from kapwatch.seeds.articles import load_seeds

    return load_seeds(ROOT / "seeds").query()


def _strip(data: Any) -> Any:
    """Results without the PMID lists and arrival times (kept out of the JSON files)."""
    if isinstance(data, dict):
        return {k: _strip(v) for k, v in data.items() if k not in ("pmids", "arrivals")}
    if isinstance(data, list):
        return [_strip(v) for v in data]
    return data


# --- the table -------------------------------------------------------------------------------


def throughput_row(label: str, subject: str, data: dict[str, Any], notes: str) -> Row:
    """A row for a one-core run over a file: its seconds, records, records/s and peak RSS."""
    return Row(
        label,
        subject,
        wall=fmt(data["seconds"], 1),
        records=fmt(data["records"]),
        rate=fmt(data["records_per_s"]),
        peak=fmt(data["peak_rss_mb"], 0),
        notes=notes,
    )


def floor_row(floor: dict[str, Any], processing: dict[str, Any]) -> Row:
    """The least work with the same records, beside kapwatch's figure on the same file."""
    label = f"processing floor ({floor.get('file', '?').split('-')[1]})"
    if "error" in floor:
        return Row(label, "least work, 1 core", notes=floor["error"][:80])
    st = floor["stages"]
    notes = [
        "per record: " + ", ".join(f"{name} {st[name]['us_per_record']} us" for name in st),
    ]
    same = next((p for p in processing.values() if p.get("file") == floor["file"]), None)
    if same and same.get("records_per_s"):
        notes.append(f"kapwatch runs at {same['records_per_s'] / floor['records_per_s']:.0%} of it")
    above = floor["records_per_s"] < 5_000
    notes.append(f"the 5,000/s target is {'above' if above else 'below'} this floor")
    return throughput_row(label, "least work, 1 core", floor, "; ".join(notes))


def build_rows(s: dict[str, Any]) -> list[Row]:
    rows: list[Row] = []
    for key, label, size in (
        ("weekly", "weekly run", 200),
        ("backfill", "10-year backfill", 10_400),
    ):
        data = s.get(key)
        if not data:
            continue
        base = data.get("kapwatch")
        base_wall = base["client"].get("wall_s") if base else None
        base_requests = base["server"]["requests"] if base else None
        for subject in ("kapwatch", "reference", "pymed", "metapub"):
            entry = data.get(subject)
            if not entry:
                continue
            client, server = entry["client"], entry["server"]
            if "error" in client:
                rows.append(
                    Row(f"{label} ({size:,})", subject, notes=client["error"][:80], met="NO")
                )
                continue
            wall = client.get("wall_s", 0.0)
            row = Row(
                f"{label} ({size:,})",
                client.get("client", subject) if subject != "reference" else "reference client",
                requests=fmt(server["requests"]),
                refused=fmt(server["refused_429"]),
                wall=fmt(wall, 1),
                floor=fmt(server["floor_s"], 1),
                ratio=fmt(wall / server["floor_s"], 2) if server["floor_s"] else "",
                records=fmt(client.get("records")),
            )
            notes = []
            if subject == "kapwatch":
                if key == "weekly":
                    row.target, row.met = (
                        "2 requests, 0 429s",
                        yes(server["requests"] == 2 and server["refused_429"] == 0),
                    )
                else:
                    row.target = "wall <= 1.1 x floor, 0 429s"
                    row.met = yes(
                        bool(server["floor_s"])
                        and wall / server["floor_s"] <= 1.1
                        and server["refused_429"] == 0
                    )
                    notes.append(
                        f"{len(data.get('windows', []))} windows, ESearch count max {max(x['count'] for x in server['searches']):,}"
                    )
            else:
                notes.append(same_records(client, base["client"]) if base else "")
                searches = len(data.get("windows", [])) or 1
                failed = client.get("failures", 0)
                reasons = sorted(set(client.get("failure_examples", [])))
                if subject == "pymed" and failed:
                    notes.append(
                        f"stopped by {reasons[0] if reasons else 'an error'} after {server['requests']} requests"
                    )
                elif failed:
                    notes.append(f"{failed} records failed ({', '.join(reasons)})")
                projected_requests, projected_wall = server["requests"], wall
                if client.get("stopped_early") and client.get("projected_wall_s"):
                    projected_requests = client["ids_found"] + searches
                    projected_wall = client["projected_wall_s"]
                    notes.append(
                        f"stopped at {client['records']:,}: projected {projected_requests:,} requests, {projected_wall / 60:,.0f} min"
                    )
                if base_requests and base_wall and not (subject == "pymed" and failed):
                    notes.append(
                        f"x{projected_requests / base_requests:,.0f} requests, x{projected_wall / base_wall:,.1f} wall vs kapwatch"
                    )
                if subject == "metapub" and base_requests:
                    row.target = "kapwatch >= 10x fewer requests"
                    row.met = yes(projected_requests >= 10 * base_requests)
            row.notes = "; ".join(n for n in notes if n)
            rows.append(row)
    processing = s.get("processing", {})
    for name, data in processing.items():
        label = f"processing ({name.removeprefix('proc-')})"
        if "error" in data:
            rows.append(Row(label, "kapwatch", notes=data["error"][:80], met="NO"))
            continue
        st = data["stages"]
        row = throughput_row(
            label,
            "kapwatch, 1 core",
            data,
            f"parse {st['parse']['per_s']:,}/s, normalise {st['normalise']['per_s']:,}/s, "
            f"dedupe+store {st['dedupe_store']['per_s']:,}/s, classify {st['classify']['per_s']:,}/s "
            f"(assess {st.get('classify.assess', {}).get('per_s', 0):,}/s); {data['relevant']:,} relevant",
        )
        if "digest" in st:  # rendered after, not in the records/s; its peak is in peak MB
            row.notes += (
                f"; digest of the window {st['digest']['seconds']:,.1f} s, "
                f"peak {st['digest']['peak_rss_mb']:,.0f} MB"
            )
        if name == "proc-100k":
            fast, small = data["records_per_s"] >= 5_000, data["peak_rss_mb"] <= 250
            row.target = ">= 5,000 rec/s, <= 250 MB"
            row.met = yes(fast and small)
            row.notes += f"; rate target {'met' if fast else 'NOT met'}, memory {'met' if small else 'NOT met'}"
        rows.append(row)
    floor = s.get("floor")
    if floor:
        rows.append(floor_row(floor, processing))
    parsing = s.get("parsing", {})
    base_rate = parsing.get("kapwatch", {}).get("records_per_s")
    for name, data in parsing.items():
        subject = {
            "kapwatch": "kapwatch parse_pubmed",
            "entrez-read": "Biopython Entrez.read",
            "entrez-parse": "Biopython Entrez.parse",
        }[name]
        if "error" in data:
            rows.append(Row("parsing EFetch XML (10k)", subject, notes=data["error"][:90]))
            continue
        ratio = (
            f"kapwatch x{base_rate / data['records_per_s']:.1f} faster"
            if name != "kapwatch" and base_rate
            else f"{data['input_mb']} MB input"
        )
        rows.append(
            throughput_row(
                "parsing EFetch XML (10k)",
                subject,
                data,
                f"{ratio}; +{data['peak_over_baseline_mb']:,.0f} MB while parsing",
            )
        )
    week = s.get("week_1m", {})
    for key, subject in (
        ("pipeline", "kapwatch stages (no Prefect)"),
        ("cli", "kapwatch run (Prefect flow)"),
    ):
        entry = week.get(key)
        if not entry:
            continue
        client, server = entry["client"], entry["server"]
        if "error" in client:
            rows.append(
                Row("week on 1M-study store", subject, notes=client["error"][:90], met="NO")
            )
            continue
        seconds = client["seconds"]
        note = ""
        if key == "pipeline":
            slow = sorted(client["stages"].items(), key=lambda kv: -kv[1])[:3]
            note = ", ".join(f"{k} {v:.1f} s" for k, v in slow) + (
                f"; {client['watched_pmids']:,} PMIDs re-read"
                if client.get("watched_pmids") is not None
                else ""
            )
        rows.append(
            Row(
                "week on 1M-study store",
                subject,
                requests=fmt(server["requests"]),
                refused=fmt(server["refused_429"]),
                wall=fmt(seconds, 1),
                floor=fmt(server["floor_s"], 1),
                ratio=fmt(seconds / server["floor_s"], 2) if server["floor_s"] else "",
                records=fmt(client.get("records", 200)),
                peak=fmt(client.get("peak_rss_mb"), 0),
                notes=note,
                target="< 60 s",
                met=yes(seconds < 60),
            )
        )
    dedupe = s.get("dedupe", {})
    for group, label in (("sra", "dedupe quality (SRA)"), ("held_out", "dedupe (ASySD, held out)")):
        for data in dedupe.get(group, []) if isinstance(dedupe, dict) else []:
            ok = data["pair_sensitivity"] >= 0.99 and data["pair_specificity"] >= 0.999
            rows.append(
                Row(
                    label,
                    data["set"],
                    wall=fmt(data["seconds"], 2),
                    records=fmt(data["records"]),
                    rate=fmt(data["records_per_s"]),
                    notes=f"sensitivity {data['pair_sensitivity']:.3f}, specificity {data['pair_specificity']:.5f}, "
                    f"{data['false_merges']} false merges, {data['missed_pairs']} missed pairs",
                    target="sens >= 0.99 at spec >= 0.999" if group == "sra" else "",
                    met=yes(ok) if group == "sra" else "",
                )
            )
    return rows


if __name__ == "__main__":
    sys.exit(main())
