"""Reading the user's TOML files (manifest, lexicon, feeds) with one clear line on any problem."""

from __future__ import annotations

import difflib
import tomllib
from pathlib import Path
from typing import Any


def read_toml(path: Path, error: type[Exception], hint: str = "") -> dict[str, Any]:
    """The file's tables; a missing, unreadable or malformed file raises `error` naming it."""
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise error(f"{path}: file not found" + (f" ({hint})" if hint else "")) from None
    except UnicodeDecodeError as exc:
        raise error(f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    except OSError as exc:
        raise error(f"{path}: cannot be read ({exc.strerror})") from None
    except tomllib.TOMLDecodeError as exc:
        raise error(f"{path}: invalid TOML: {exc}") from None


def tables(
    data: dict[str, Any],
    name: str,
    path: Path,
    error: type[Exception],
    required: tuple[str, ...],
    allow_empty: bool = True,
) -> list[tuple[str, dict[str, Any]]]:
    """(where, table) for each [[name]] table, each holding the required non-empty strings.

    `where` ("seeds/feeds.toml: feeds[2]") starts every message about that table.
    """
    entries = data.get(name, [])
    if not isinstance(entries, list):
        raise error(f"{path}: '{name}' must be an array of [[{name}]] tables")
    if not entries and not allow_empty:
        raise error(f"{path}: no [[{name}]] entries")
    found = []
    for index, entry in enumerate(entries):
        where = f"{path}: {name}[{index}]"
        if not isinstance(entry, dict):
            raise error(f"{where}: expected a table")
        for key in required:
            if not isinstance(entry.get(key), str) or not entry[key].strip():
                raise error(f"{where}: missing '{key}'")
        found.append((where, entry))
    return found


def unknown_keys(
    table: dict[str, Any], known: tuple[str, ...], path: Path, where: str, error: type[Exception]
) -> None:
    """A misspelled key stops with one line naming the file, the table, the key and the nearest
    known one, instead of being ignored."""
    for key in table:
        if key not in known:
            near = difflib.get_close_matches(key, known, n=1)
            hint = f" (did you mean '{near[0]}'?)" if near else f" (known: {', '.join(known)})"
            raise error(f"{path}: {where}: unknown key '{key}'{hint}")
