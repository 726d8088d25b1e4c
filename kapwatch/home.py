"""`kapwatch init`: a folder a user owns, with editable seeds and a commented settings file."""

from __future__ import annotations

import shutil
from dataclasses import fields
from pathlib import Path

from kapwatch.resources import BUNDLED_SEEDS
from kapwatch.settings import Settings, env_names

SETTINGS_FILE = "kapwatch.env"


class InitError(ValueError):
    """The folder cannot be set up; the message names what is in the way."""


def init_home(folder: Path) -> list[Path]:
    """Write `folder/seeds` (a copy of the seeds kapwatch ships) and `folder/kapwatch.env`.
    Nothing that exists is overwritten. Returns what was written."""
    seeds, env = folder / "seeds", folder / SETTINGS_FILE
    for path in (seeds, env):
        if path.exists():
            raise InitError(f"{path}: already exists; kapwatch init never overwrites a file")
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copytree(
        BUNDLED_SEEDS, seeds, ignore=shutil.ignore_patterns("__pycache__", "__init__.py")
    )
    env.write_text(settings_file(folder.resolve()), encoding="utf-8")
    return [seeds, env]


def settings_file(folder: Path) -> str:
    """Every KAPWATCH_* variable with its default, the two this folder needs set, the rest
    commented out. The README's Configuration table says what each means."""
    defaults = Settings()
    values = {
        f"KAPWATCH_{'HOME' if f.name == 'home' else f.name.upper()}": getattr(defaults, f.name)
        for f in fields(Settings)
    }
    set_here = {"KAPWATCH_HOME": folder / "var", "KAPWATCH_SEEDS_DIR": folder / "seeds"}
    lines = [
        "# kapwatch settings. Load them with:  set -a; . ./kapwatch.env; set +a",
        "# Each variable is explained in the README's Configuration table; secrets",
        "# (KAPWATCH_SMTP_PASSWORD, KAPWATCH_NCBI_API_KEY) are best kept out of files.",
        "",
    ]
    for name in env_names():
        if name in set_here:
            lines.append(f"{name}={set_here[name]}")
            continue
        value = values.get(name)
        shown = "" if value in (None, "", 0, ()) else str(value)
        lines.append(f"# {name}={shown}")
    return "\n".join(lines) + "\n"
