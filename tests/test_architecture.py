"""ARCHITECTURE.md stays a true map: every file and folder it names exists, and every library
module is on it."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MAP = (ROOT / "ARCHITECTURE.md").read_text(encoding="utf-8")
NAMED = set(re.findall(r"`((?:kapwatch|tests|templates|seeds|flows)/[\w./-]*)`", MAP))


def test_every_path_the_map_names_exists() -> None:
    assert NAMED, "the map names no paths"
    missing = sorted(p for p in NAMED if not (ROOT / p).exists())
    assert missing == [], f"ARCHITECTURE.md names paths that do not exist: {missing}"


def test_every_library_module_is_on_the_map() -> None:
    modules = {
        str(p.relative_to(ROOT))
        for p in (ROOT / "kapwatch").rglob("*.py")
        if p.name != "__init__.py" and "migrations" not in p.parts
    }
    unmapped = sorted(m for m in modules if m not in NAMED and not _under_named_folder(m))
    assert unmapped == [], f"modules missing from ARCHITECTURE.md: {unmapped}"


def test_the_map_is_one_page() -> None:
    assert len(MAP.splitlines()) <= 110


def _under_named_folder(module: str) -> bool:
    return any(n.endswith("/") and n != "kapwatch/" and module.startswith(n) for n in NAMED)
