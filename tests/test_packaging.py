"""The wheel ships every package of the library and the files it reads at run time."""

from __future__ import annotations

import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SETUPTOOLS = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]


def test_every_library_package_is_in_the_wheel() -> None:
    packages = {
        ".".join(p.parent.relative_to(ROOT).parts) for p in (ROOT / "kapwatch").rglob("__init__.py")
    }
    assert packages <= set(SETUPTOOLS["packages"]), packages - set(SETUPTOOLS["packages"])


def test_templates_and_default_seeds_are_mapped_from_the_folders_a_user_edits() -> None:
    assert SETUPTOOLS["package-dir"] == {
        "kapwatch.templates": "templates",
        "kapwatch.default_seeds": "seeds",
    }
    assert list((ROOT / "templates").glob("*.j2")) and list((ROOT / "seeds").glob("*.toml"))
