"""Shared fixtures. Data factories live in ``tests/factories.py``.

Database fixtures:

* ``engine``: a migrated SQLite database in ``tmp_path`` (fast; for tests of code that
  only needs *a* database).
* ``db_engine``: the same tests on both backends, parametrized ``sqlite`` and
  ``postgresql``. PostgreSQL gets one fresh database per test session
  (``drillwatch_test_<random>``, dropped at the end), migrated once and emptied before every
  test. Server: ``$DRILLWATCH_TEST_PG_URL`` (default
  ``postgresql+psycopg://postgres@127.0.0.1:5432/test``); if it is unreachable the
  postgresql cases are skipped, or fail when ``CI=true``.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, create_engine, make_url, text
from sqlalchemy.exc import OperationalError
from sqlalchemy.pool import NullPool

from service.db.engine import make_engine, migrate
from service.db.tables import metadata

PG_ADMIN_URL = os.environ.get(
    "DRILLWATCH_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)


def _sqlite_engine(path: Path) -> Engine:
    engine = make_engine(f"sqlite:///{path}")
    migrate(engine)
    return engine


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[Engine]:
    """A migrated SQLite database of its own."""
    engine = _sqlite_engine(tmp_path / "drillwatch.db")
    yield engine
    engine.dispose()


@pytest.fixture(scope="session")
def pg_engine() -> Iterator[Engine]:
    """A migrated PostgreSQL database for this test session (dropped afterwards)."""
    admin = create_engine(
        PG_ADMIN_URL,
        poolclass=NullPool,
        isolation_level="AUTOCOMMIT",
        connect_args={"connect_timeout": 5},
    )
    name = f"drillwatch_test_{secrets.token_hex(6)}"
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except OperationalError as exc:
        admin.dispose()
        reason = f"PostgreSQL unreachable at {PG_ADMIN_URL}: {exc.orig}"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(reason)
        pytest.skip(reason)
    url = make_url(PG_ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    engine = make_engine(url)
    try:
        migrate(engine)
        yield engine
    finally:
        engine.dispose()
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _truncate_all(engine: Engine) -> None:
    names = ", ".join(f'"{t.name}"' for t in metadata.sorted_tables)
    with engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))


@pytest.fixture(params=["sqlite", "postgresql"])
def db_engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """A migrated, empty database on each backend."""
    if request.param == "sqlite":
        engine = _sqlite_engine(tmp_path / "drillwatch.db")
        yield engine
        engine.dispose()
    else:
        engine = request.getfixturevalue("pg_engine")
        _truncate_all(engine)
        yield engine


@pytest.fixture(params=["sqlite", "postgresql"])
def client(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Any]:
    """A ``TestClient`` of the whole app (lifespan run) on each backend; state in tmp_path."""
    from fastapi.testclient import TestClient

    from service.app import create_app
    from service.settings import Settings

    database_url = None  # SQLite under home; also overrides a DATABASE_URL in the env
    if request.param == "postgresql":
        pg = request.getfixturevalue("pg_engine")
        _truncate_all(pg)
        database_url = pg.url.render_as_string(hide_password=False)
    settings = Settings(home=tmp_path / "home", DATABASE_URL=database_url)  # type: ignore[call-arg]
    with TestClient(create_app(settings)) as test_client:
        yield test_client


@pytest.fixture(scope="session")
def sim_wells() -> list[Any]:
    """A small simulated fleet with accidents (deterministic)."""
    from pipelines.simulate import simulate_fleet

    return simulate_fleet(4, hours=12, seed=101)


@pytest.fixture(scope="session")
def small_model(sim_wells: list[Any], tmp_path_factory: pytest.TempPathFactory) -> Any:
    """A real XGBoost model trained on the small fleet (few trees, for speed)."""
    from pipelines.batch import TelemetryBatch
    from pipelines.evaluate import Accident
    from pipelines.train import TrainConfig, train_model

    wells = {w.profile.well_id: TelemetryBatch.from_frame(w.frame) for w in sim_wells}
    accidents = [
        Accident(a.well_id, a.type, a.start, a.end) for w in sim_wells for a in w.accidents
    ]
    return train_model(
        wells,
        accidents,
        tmp_path_factory.mktemp("model"),
        cfg=TrainConfig(n_estimators=20, validation_fraction=0.25),
        version="test-small",
    )
