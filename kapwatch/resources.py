"""Folders that ship with kapwatch: the digest's templates and the default seeds.

In a wheel they are package data (pyproject maps templates/ and seeds/ into the package); in a
checkout or an editable install they are the top-level folders a user edits.
"""

from __future__ import annotations

from pathlib import Path

PACKAGE = Path(__file__).resolve().parent


def shipped(inside: str, checkout: str) -> Path:
    """`kapwatch/<inside>` in an installed wheel, else `<checkout>` beside the package."""
    installed = PACKAGE / inside
    return installed if installed.is_dir() else PACKAGE.parent / checkout


TEMPLATES = shipped("templates", "templates")
BUNDLED_SEEDS = shipped("default_seeds", "seeds")
