"""Fixtures of the command-line tests: a DRILLWATCH_HOME of their own (SQLite inside)."""

from collections.abc import Iterator
from pathlib import Path

import pytest
from factories import volve_file

from pipelines.simulate import simulate_fleet, write_fleet


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    from service.settings import get_settings

    monkeypatch.setenv("DRILLWATCH_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("DATABASE_URL", raising=False)
    get_settings.cache_clear()
    yield tmp_path / "home"
    get_settings.cache_clear()


@pytest.fixture(scope="module")
def sim_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("sim")
    write_fleet(simulate_fleet(2, hours=6, seed=55), out)
    return out


@pytest.fixture
def volve_gwd() -> Path:
    return volve_file("F-9_GwdTime.xml")
