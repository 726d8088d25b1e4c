"""Small helpers the benchmark scripts share: CPU pinning, memory high-water marks, the machine."""

from __future__ import annotations

import contextlib
import os
import platform
import resource
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
RESULTS = BENCH / "results"


def pin(cpu: int | None) -> None:
    """Run this process on one CPU (the processing figures are per core). A child inherits its
    parent's affinity, so this sets it outright rather than choosing among the inherited CPUs."""
    if cpu is None or not hasattr(os, "sched_setaffinity"):
        return
    with contextlib.suppress(OSError):  # no such CPU here: run wherever the OS puts us
        os.sched_setaffinity(0, {cpu})


def cpus() -> list[int]:
    return sorted(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else [0]


def _status(field: str) -> int | None:
    """A /proc/self/status field in kB (VmRSS, VmHWM), or None off Linux."""
    try:
        with open("/proc/self/status", encoding="ascii") as handle:
            for line in handle:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except OSError:
        return None
    return None


def rss_mb() -> float:
    kb = _status("VmRSS")
    return round(kb / 1024, 1) if kb is not None else 0.0


def peak_mb() -> float:
    """Peak RSS since the last reset_peak() (VmHWM), or since start."""
    kb = _status("VmHWM")
    if kb is None:
        kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return round(kb / 1024, 1)


def reset_peak() -> bool:
    """Reset VmHWM to the current RSS (Linux: write 5 to clear_refs); False if not possible."""
    try:
        with open("/proc/self/clear_refs", "w", encoding="ascii") as handle:
            handle.write("5")
        return True
    except OSError:
        return False


def machine() -> dict[str, Any]:
    """nproc, CPU model and RAM as /proc tells them."""
    model = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as handle:
            for line in handle:
                if line.startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    ram_gb = None
    try:
        with open("/proc/meminfo", encoding="ascii") as handle:
            for line in handle:
                if line.startswith("MemTotal:"):
                    ram_gb = round(int(line.split()[1]) / 1024 / 1024, 1)
                    break
    except OSError:
        pass
    return {
        "nproc": os.cpu_count(),
        "cpus_usable": len(cpus()),
        "cpu_model": model,
        "ram_gb": ram_gb,
        "python": sys.version.split()[0],
        "platform": platform.platform(),
    }


_LOOPBACK = ("127.", "::1", "localhost")


def _allowed(host: object) -> bool:
    if isinstance(host, bytes):
        host = host.decode("ascii", "replace")
    return host is None or (isinstance(host, str) and (host == "" or host.startswith(_LOOPBACK)))


def loopback_only() -> None:
    """Refuse, in this process, any connection or name lookup beyond the loopback interface.

    The peers have hard-coded NCBI URLs besides the base URL we override (metapub's error
    diagnosis probes eutils.ncbi.nlm.nih.gov itself); a benchmark must never reach out.
    """
    import socket

    if getattr(socket, "_bench_guarded", False):
        return
    real_getaddrinfo = socket.getaddrinfo
    real_connect = socket.socket.connect
    real_connect_ex = socket.socket.connect_ex

    def getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
        if not _allowed(host):
            raise OSError(f"bench: network access to {host!r} refused (loopback only)")
        return real_getaddrinfo(host, *args, **kwargs)

    def check(sock: socket.socket, address: Any) -> None:
        if sock.family in (socket.AF_INET, socket.AF_INET6) and not _allowed(address[0]):
            raise OSError(f"bench: connection to {address[0]!r} refused (loopback only)")

    def connect(self: socket.socket, address: Any) -> None:
        check(self, address)
        real_connect(self, address)

    def connect_ex(self: socket.socket, address: Any) -> int:
        check(self, address)
        return real_connect_ex(self, address)

    socket.getaddrinfo = getaddrinfo
    socket.socket.connect = connect  # type: ignore[method-assign, assignment]
    socket.socket.connect_ex = connect_ex  # type: ignore[method-assign, assignment]
    socket._bench_guarded = True  # type: ignore[attr-defined]


def emit(result: dict[str, Any], out: Path | None) -> None:
    """A child process's result as one JSON line: to `out` when given, else to stdout."""
    import json

    output = json.dumps(result)
    if out is not None:
        out.write_text(output + "\n", encoding="utf-8")
    else:
        print(output)
