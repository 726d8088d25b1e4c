"""`kapwatch init DIR`: a folder of one's own, with editable seeds and a settings file."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from kapwatch.cli.common import console, fail
from kapwatch.home import SETTINGS_FILE, InitError, init_home


def init(
    folder: Annotated[Path, typer.Argument(help="The folder to set up (created if missing).")],
) -> None:
    """Write FOLDER/seeds (the shipped seed articles, lexicon, claims and feeds, to edit) and
    FOLDER/kapwatch.env (every setting, commented); nothing that exists is overwritten."""
    try:
        init_home(folder)
    except (InitError, OSError) as exc:
        fail(str(exc))
    console.print(f"Seeds to edit: {folder / 'seeds'}")
    console.print(
        f"Settings: {folder / SETTINGS_FILE} (load with: set -a; . {folder / SETTINGS_FILE}; set +a)"
    )
