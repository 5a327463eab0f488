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


def _train_on_fleet(sim_wells: list[Any], out: Path, version: str, **kwargs: Any) -> Any:
    """A real model trained on the small simulated fleet (``kwargs`` go to ``train_model``)."""
    from pipelines.telemetry import Accident, TelemetryBatch
    from pipelines.training.train import train_model

    wells = {w.profile.well_id: TelemetryBatch.from_frame(w.frame) for w in sim_wells}
    accidents = [
        Accident(a.well_id, a.type, a.start, a.end) for w in sim_wells for a in w.accidents
    ]
    return train_model(wells, accidents, out, version=version, **kwargs)


@pytest.fixture(scope="session")
def small_model(sim_wells: list[Any], tmp_path_factory: pytest.TempPathFactory) -> Any:
    """A real XGBoost model trained on the small fleet (few trees, for speed)."""
    from pipelines.training.train import TrainConfig

    return _train_on_fleet(
        sim_wells,
        tmp_path_factory.mktemp("model"),
        "test-small",
        cfg=TrainConfig(n_estimators=20, pair_estimators=20, validation_fraction=0.25),
    )


@pytest.fixture(scope="session")
def other_spec_model(sim_wells: list[Any], tmp_path_factory: pytest.TempPathFactory) -> Any:
    """A tiny real model with other features than the bundled one (5-min windows only)."""
    from models.features import FeatureSpec
    from pipelines.training.train import TrainConfig

    return _train_on_fleet(
        sim_wells,
        tmp_path_factory.mktemp("other-model"),
        "test-other-spec",
        cfg=TrainConfig(n_estimators=5, pair_estimators=5, folds=2, dropout_copies=0),
        spec=FeatureSpec(windows=(300,)),
    )


@pytest.fixture(scope="session")
def seed_ensemble_model(sim_wells: list[Any], tmp_path_factory: pytest.TempPathFactory) -> Any:
    """A tiny real model whose classifier averages two boosters (seeds 0 and 1)."""
    from models.features import FeatureSpec
    from pipelines.training.train import TrainConfig

    return _train_on_fleet(
        sim_wells,
        tmp_path_factory.mktemp("ensemble-model"),
        "test-seed-ensemble",
        cfg=TrainConfig(n_estimators=5, pair_estimators=5, folds=2, dropout_copies=0, members=2),
        spec=FeatureSpec(windows=(300,)),
    )


# --------------------------------------------------------------------------- live server, browser

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
READY_TIMEOUT_S = 120.0


def _free_port() -> int:
    import socket

    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _print_uncaptured(request: pytest.FixtureRequest, text: str) -> None:
    """Print past pytest's output capture (a session fixture's teardown output is hidden)."""
    capture = request.config.pluginmanager.getplugin("capturemanager")
    if capture is None:
        print(text)
        return
    with capture.global_and_fixture_disabled():
        print(text)


@pytest.fixture(scope="session")
def live_server(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Any:
    """The real app served by uvicorn in a subprocess (``drillwatch serve``): its base URL.

    State (SQLite, model registry) in a temporary ``DRILLWATCH_HOME``, on a free port, with
    ``DATABASE_URL`` removed from the environment. Waits for ``GET /ready`` == 200 (up to
    120 s). The server log is printed when the server fails to start, exits early or any
    test of the session failed.
    """
    import subprocess
    import sys

    import httpx
    from factories import wait_until

    home = tmp_path_factory.mktemp("live_server")
    port = _free_port()
    base_url = f"http://127.0.0.1:{port}"
    env = dict(os.environ)
    env.pop("DATABASE_URL", None)
    env.pop("DRILLWATCH_DATABASE_URL", None)
    env.update(
        DRILLWATCH_HOME=str(home / "home"),
        DRILLWATCH_HOST="127.0.0.1",
        DRILLWATCH_PORT=str(port),
        DRILLWATCH_DEMO_WELLS="0",
        PYTHONUNBUFFERED="1",
    )
    log_path = home / "server.log"
    failed_before = request.session.testsfailed
    with log_path.open("wb") as log_file:
        proc = subprocess.Popen(
            [sys.executable, "-m", "service.cli", "serve", "--port", str(port)],
            cwd=Path(__file__).resolve().parent.parent,
            env=env,
            stdout=log_file,
            stderr=subprocess.STDOUT,
        )

    def log_text() -> str:
        return f"--- live server log ({log_path}) ---\n{log_path.read_text(errors='replace')}"

    def stop() -> None:
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=5)

    last: list[object] = ["no answer"]

    def ready() -> bool:
        if proc.poll() is not None:
            pytest.fail(f"live server exited with {proc.returncode} before ready\n{log_text()}")
        try:
            last[0] = httpx.get(f"{base_url}/ready", timeout=2.0).status_code
        except httpx.HTTPError as exc:
            last[0] = repr(exc)
        return last[0] == 200

    try:
        wait_until(
            ready,
            timeout_s=READY_TIMEOUT_S,
            what=lambda: f"live server not ready (last answer: {last[0]})\n{log_text()}",
        )
    except BaseException:  # pytest.fail, or an interrupt: no server left behind
        stop()
        raise
    try:
        yield base_url
    finally:
        exited_early = proc.poll() is not None
        stop()
        if exited_early or request.session.testsfailed > failed_before:
            _print_uncaptured(request, log_text())


@pytest.fixture
def browser_page() -> Iterator[Any]:
    """A page in Debian's headless Chromium (Playwright sync API; no browser is downloaded)."""
    if not CHROMIUM.exists():
        reason = f"{CHROMIUM} is missing: run `make browser` (apt-installs chromium)"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(reason)
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        context = browser.new_context(viewport={"width": 1440, "height": 900})
        page = context.new_page()
        try:
            yield page
        finally:
            page.close()
            context.close()
            browser.close()
