"""`kapwatch init`: editable seeds and a commented settings file, never overwriting."""

from __future__ import annotations

from pathlib import Path

import pytest

from kapwatch.home import InitError, init_home
from kapwatch.seeds.articles import load_seeds
from kapwatch.settings import Settings, env_names

from .conftest import SEEDS_DIR


def test_init_writes_seeds_that_load_and_settings_that_point_at_them(tmp_path: Path) -> None:
    folder = tmp_path / "clinic"
    init_home(folder)
    assert (folder / "seeds" / "manifest.toml").read_bytes() == (
        SEEDS_DIR / "manifest.toml"
    ).read_bytes()
    assert len(load_seeds(folder / "seeds").claims) == 28
    env = (folder / "kapwatch.env").read_text()
    settings = dict(
        line.split("=", 1) for line in env.splitlines() if line and not line.startswith("#")
    )
    assert Settings.from_env(settings).seeds_dir == (folder / "seeds").resolve()
    for name in env_names():  # every variable is there, set or commented
        assert name in env


def test_init_never_overwrites(tmp_path: Path) -> None:
    init_home(tmp_path)
    (tmp_path / "seeds" / "manifest.toml").write_text("# mine\n")
    with pytest.raises(InitError, match="seeds: already exists"):
        init_home(tmp_path)
    assert (tmp_path / "seeds" / "manifest.toml").read_text() == "# mine\n"
