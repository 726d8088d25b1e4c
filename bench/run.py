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
from bench.report import build_rows, table
from bench.server import LoadServer
from kapwatch.demo.standin import Limits

NETWORK = {"weekly", "backfill", "peers", "week_1m"}
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


# --- scenarios -------------------------------------------------------------------------------


def fetch_kapwatch(standin: LoadServer, since: date, until: date, cpu: int) -> dict[str, Any]:
    standin.reset()
    dates = ["--since", since.isoformat(), "--until", until.isoformat()]
    command = ["bench.fetch", "kapwatch", "--eutils", standin.eutils_url, *dates]
    client = run_json([*command, "--cpu", str(cpu)])
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
    command = ["bench.fetch", "reference", "--eutils", standin.eutils_url]
    client = run_json([*command, "--windows", json.dumps(windows), "--cpu", str(cpu)])
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
    command = ["bench.peers", tool, "--eutils", standin.eutils_url, "--cpu", str(cpu)]
    command += ["--query-file", str(query_file), "--windows", json.dumps(slashed)]
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
        command += [str(Path(PYTHON).parent / "kapwatch"), "run", "--no-send"]
        command += ["--since", WEEK[0].isoformat(), "--until", WEEK[1].isoformat()]
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


# --- the run ---------------------------------------------------------------------------------


@dataclass
class Plan:
    """What to run, and where: the rate-limited scenarios and the stand-in on the first CPU,
    the long processing run on the second when there are two."""

    only: set[str]
    sizes: list[str]
    metapub_budget: float
    main_cpu: int
    side_cpu: int
    parallel: bool
    sequential: bool
    limits: Limits

    @property
    def long_aside(self) -> bool:
        """The 100k processing run goes beside the network scenarios (phase C)."""
        return (
            "processing" in self.only
            and self.parallel
            and not self.sequential
            and "proc-100k" in self.sizes
        )


def plan(argv: list[str] | None) -> Plan:
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
    only = {s.strip() for s in args.only.split(",") if s.strip()}
    unknown = only - set(SCENARIOS)
    if unknown:
        parser.error(f"unknown scenarios: {', '.join(sorted(unknown))}")
    available = cpus()
    return Plan(
        only=only,
        sizes=["proc-1k", "proc-10k"] if args.quick else ["proc-1k", "proc-10k", "proc-100k"],
        metapub_budget=15.0 if args.quick else args.metapub_budget,
        main_cpu=available[0],
        side_cpu=available[-1],
        parallel=len(available) >= 2,
        sequential=args.sequential,
        limits=Limits(latency=args.latency, per_record=args.per_record),
    )


def main(argv: list[str] | None = None) -> int:
    p = plan(argv)
    loopback_only()
    pin(p.main_cpu)  # this process and the stand-in share the first CPU; children pin themselves
    RESULTS.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    report: dict[str, Any] = {
        "generated": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": machine(),
        "stand_in": {
            "latency_s": p.limits.latency,
            "per_record_s": p.limits.per_record,
            "rate_per_s": RATE,
            "window_s": p.limits.window,
        },
        "scenarios": {},
    }
    scenarios: dict[str, Any] = report["scenarios"]
    box = report["machine"]
    log(
        f"machine: {box['nproc']} CPUs ({box['cpu_model']}), {box['ram_gb']} GB; parallel={p.parallel}"
    )
    store_paths = prepare(p, scenarios)
    processing = cpu_bound(p, scenarios)
    long_run = start_100k(p) if p.long_aside else None
    if p.only & NETWORK:
        network(p, scenarios, store_paths)
    if "processing" in p.only:
        scenarios["processing"] = finish_processing(p, processing, long_run)
    report["seconds"] = round(time.perf_counter() - started, 1)
    write_results(report, scenarios)
    return 0


def prepare(p: Plan, scenarios: dict[str, Any]) -> tuple[Path, Path] | None:
    """Phase A: the data sets on the first CPU, the 1M store (when not cached) on the second."""
    build = None
    store_paths: tuple[Path, Path] | None = None
    if "week_1m" in p.only:
        db_path, watched_path = store1m.paths()
        if db_path.exists() and watched_path.exists():
            store_paths = (db_path, watched_path)
        else:
            log("building the 1M-study store (cached in bench/.cache/; 2-3 minutes, once)")
            command = [PYTHON, "-m", "bench.store1m", "build", "--cpu", str(p.side_cpu)]
            build = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, text=True)
            if not p.parallel:
                build.wait()
    wanted = (
        ["weekly", "backfill"]
        + (p.sizes if "processing" in p.only else [])
        + (["proc-10k"] if "parsing" in p.only else [])
        + (p.sizes[-1:] if "floor" in p.only else [])
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
            p.only.discard("week_1m")
        else:
            built = json.loads(output[output.index("{") :])
            store_paths = (Path(built["db"]), Path(built["watched"]))
            log("1M store ready")
    return store_paths


def cpu_bound(p: Plan, scenarios: dict[str, Any]) -> dict[str, Any]:
    """Phase B: the CPU-bound measurements, one at a time with nothing else running."""
    processing: dict[str, Any] = {}
    cpu = ["--cpu", str(p.main_cpu)]
    for name in p.sizes if "processing" in p.only else []:
        if name == "proc-100k" and p.long_aside:
            continue  # phase C, beside the network scenarios
        log(f"processing {name}")
        processing[name] = run_json(["bench.processing", str(generate.DATASETS[name].path()), *cpu])
    if "floor" in p.only:
        log(f"the processing floor on {p.sizes[-1]}: the least work with the same records")
        path = str(generate.DATASETS[p.sizes[-1]].path())
        scenarios["floor"] = run_json(["bench.floor", path, *cpu])
    if "parsing" in p.only:
        parsing = {}
        for parser_name in ("kapwatch", "entrez-read", "entrez-parse"):
            log(f"parsing 10k records with {parser_name}")
            path = str(generate.DATASETS["proc-10k"].path())
            parsing[parser_name] = run_json(["bench.parsers", parser_name, path, *cpu])
        scenarios["parsing"] = parsing
    if "dedupe" in p.only:
        log("dedupe quality: SRA sets and ASySD (held out)")
        command = [PYTHON, "-m", "bench.dedupe_sra"]
        done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True)
        dedupe_file = RESULTS / "dedupe.json"
        scenarios["dedupe"] = (
            json.loads(dedupe_file.read_text())
            if done.returncode == 0
            else {"error": done.stderr[-400:]}
        )
    return processing


def start_100k(p: Plan) -> subprocess.Popen[str]:
    """Phase C, second CPU: the 100k processing run, beside the network scenarios."""
    log("processing 100k records on the second CPU (runs alongside the network scenarios)")
    long_out = RESULTS / "processing-100k.json"
    long_out.unlink(missing_ok=True)
    path = str(generate.DATASETS["proc-100k"].path())
    return subprocess.Popen(
        [PYTHON, "-m", "bench.processing", path, "--cpu", str(p.side_cpu), "--out", str(long_out)],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )


def network(p: Plan, scenarios: dict[str, Any], store_paths: tuple[Path, Path] | None) -> None:
    """Phase C, first CPU: the rate-limited scenarios against the stand-in (mostly waiting)."""
    files = [
        (generate.DATASETS["weekly"].path(), True),
        (generate.DATASETS["backfill"].path(), True),
    ]
    if "week_1m" in p.only and store_paths is not None:
        files.append((store_paths[1], False))
    with LoadServer(files, p.limits, cpu=p.main_cpu) as standin:
        log(f"stand-in at {standin.url}")
        weekly = backfill = None
        if p.only & {"weekly", "peers"}:
            log("weekly run: kapwatch")
            weekly = fetch_kapwatch(standin, *WEEK, cpu=p.main_cpu)
            scenarios["weekly"] = {"kapwatch": weekly}
        if p.only & {"backfill", "peers"}:
            log("10-year backfill: kapwatch")
            backfill = fetch_kapwatch(standin, *BACKFILL, cpu=p.main_cpu)
            windows = leaf_windows(backfill["server"])
            log(f"backfill windows kapwatch fetched: {windows}; reference client")
            scenarios["backfill"] = {
                "kapwatch": backfill,
                "windows": windows,
                "reference": fetch_reference(standin, windows, p.main_cpu),
            }
        if "peers" in p.only and weekly is not None and backfill is not None:
            peers(p, standin, scenarios)
        if "week_1m" in p.only and store_paths is not None:
            scenarios["week_1m"] = week_1m(p, standin, store_paths[0])


def peers(p: Plan, standin: LoadServer, scenarios: dict[str, Any]) -> None:
    """pymed and metapub, the week and the windows kapwatch's backfill ended with."""
    if not PEERS_PYTHON.exists():
        missing = f"{PEERS_PYTHON} missing: run `make bench` (it creates the peers' virtualenv)"
        scenarios["peers"] = {"error": missing}
        return
    query_file = BENCH / ".cache" / "query.txt"
    query_file.write_text(_query(), encoding="utf-8")
    week_window = [(WEEK[0].isoformat(), WEEK[1].isoformat())]
    windows = scenarios["backfill"]["windows"]
    for tool in ("pymed", "metapub"):
        log(f"weekly run: {tool}")
        budget: float = 0 if tool == "pymed" else 300
        scenarios["weekly"][tool] = fetch_peer(
            standin, tool, week_window, query_file, budget, p.main_cpu
        )
        stops = f" (stops after {p.metapub_budget:.0f} s; rest projected)"
        log(f"10-year backfill: {tool}" + (stops if tool == "metapub" else ""))
        budget = p.metapub_budget if tool == "metapub" else 0
        scenarios["backfill"][tool] = fetch_peer(
            standin, tool, windows, query_file, budget, p.main_cpu
        )


def week_1m(p: Plan, standin: LoadServer, db_path: Path) -> dict[str, Any]:
    """The incremental week on the 1M store: the pipeline's stages, then `kapwatch run`."""
    log("incremental week on the 1M store: pipeline stages")
    standin.reset()
    command = ["bench.store1m", "week", "--eutils", standin.eutils_url, "--db", str(db_path)]
    stages = run_json([*command, "--cpu", str(p.main_cpu)])
    week = {"pipeline": {"client": stages, "server": server_view(standin)}}
    log("incremental week on the 1M store: `kapwatch run` (Prefect flow)")
    week["cli"] = week_cli(standin, db_path, p.main_cpu)
    return week


def finish_processing(
    p: Plan, processing: dict[str, Any], long_run: subprocess.Popen[str] | None
) -> dict[str, Any]:
    if long_run is not None:
        log("waiting for the 100k processing run")
        _out, err = long_run.communicate()
        long_out = RESULTS / "processing-100k.json"
        processing["proc-100k"] = (
            json.loads(long_out.read_text()) if long_run.returncode == 0 else {"error": err[-400:]}
        )
    elif "proc-100k" in p.sizes and "proc-100k" not in processing:
        path = str(generate.DATASETS["proc-100k"].path())
        processing["proc-100k"] = run_json(["bench.processing", path, "--cpu", str(p.main_cpu)])
    return processing


def write_results(report: dict[str, Any], scenarios: dict[str, Any]) -> None:
    """The JSON files, then the table and the targets missed on stdout."""
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
    which = ": " + "; ".join(f"{r.scenario} {r.subject} ({r.target})" for r in missed)
    print(
        f"{len(missed)} of {sum(1 for r in rows if r.met)} targets missed"
        + (which if missed else "")
    )
    print(
        f"JSON in {RESULTS.relative_to(ROOT)}/ (bench.json and one file per scenario); "
        f"{report['seconds']:.0f} s in all"
    )


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


if __name__ == "__main__":
    sys.exit(main())
