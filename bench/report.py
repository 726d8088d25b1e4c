"""The table `make bench` prints: one row per scenario and subject, with its target."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


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


def same_records(a: dict[str, Any], b: dict[str, Any]) -> str:
    left, right = set(a.get("pmids", [])), set(b.get("pmids", []))
    if left == right:
        return "same records"
    return f"{len(left & right):,} of {len(right):,} records"


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


def fetch_rows(s: dict[str, Any]) -> list[Row]:
    """The weekly run and the backfill: kapwatch, the reference client, the peers."""
    rows: list[Row] = []
    for key, label, size in (
        ("weekly", "weekly run", 200),
        ("backfill", "10-year backfill", 10_400),
    ):
        data = s.get(key)
        if not data:
            continue
        for subject in ("kapwatch", "reference", "pymed", "metapub"):
            entry = data.get(subject)
            if not entry:
                continue
            if "error" in entry["client"]:
                error = entry["client"]["error"][:80]
                rows.append(Row(f"{label} ({size:,})", subject, notes=error, met="NO"))
                continue
            rows.append(_fetch_row(f"{label} ({size:,})", key, subject, entry, data))
    return rows


def _fetch_row(
    label: str, key: str, subject: str, entry: dict[str, Any], data: dict[str, Any]
) -> Row:
    client, server = entry["client"], entry["server"]
    wall = client.get("wall_s", 0.0)
    row = Row(
        label,
        client.get("client", subject) if subject != "reference" else "reference client",
        requests=fmt(server["requests"]),
        refused=fmt(server["refused_429"]),
        wall=fmt(wall, 1),
        floor=fmt(server["floor_s"], 1),
        ratio=fmt(wall / server["floor_s"], 2) if server["floor_s"] else "",
        records=fmt(client.get("records")),
    )
    if subject == "kapwatch":
        notes = _kapwatch_target(row, key, wall, server, data)
    else:
        notes = _peer_notes(row, subject, wall, client, server, data)
    row.notes = "; ".join(n for n in notes if n)
    return row


def _kapwatch_target(
    row: Row, key: str, wall: float, server: dict[str, Any], data: dict[str, Any]
) -> list[str]:
    notes: list[str] = []
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
    return notes


def _peer_notes(
    row: Row,
    subject: str,
    wall: float,
    client: dict[str, Any],
    server: dict[str, Any],
    data: dict[str, Any],
) -> list[str]:
    """Same records as kapwatch?, how it failed, and requests and wall time against kapwatch's
    (projected to the whole backfill when a budget stopped it)."""
    base = data.get("kapwatch")
    base_wall = base["client"].get("wall_s") if base else None
    base_requests = base["server"]["requests"] if base else None
    notes: list[str] = []
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
    return notes


def processing_rows(s: dict[str, Any]) -> list[Row]:
    """Parse + dedupe + store + classify, one core, per size; then the floor beside it."""
    rows: list[Row] = []
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
    return rows


def parsing_rows(s: dict[str, Any]) -> list[Row]:
    """kapwatch's parser against Biopython's on the 10k file."""
    rows: list[Row] = []
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
    return rows


def week_rows(s: dict[str, Any]) -> list[Row]:
    """The incremental week on the 1M-study store: the stages, then `kapwatch run`."""
    rows: list[Row] = []
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
            note = ", ".join(f"{k} {v:.1f} s" for k, v in slow)
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
    return rows


def dedupe_rows(s: dict[str, Any]) -> list[Row]:
    """Dedupe quality: the SRA sets (the target) and ASySD (held out)."""
    rows: list[Row] = []
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


def build_rows(s: dict[str, Any]) -> list[Row]:
    return fetch_rows(s) + processing_rows(s) + parsing_rows(s) + week_rows(s) + dedupe_rows(s)
