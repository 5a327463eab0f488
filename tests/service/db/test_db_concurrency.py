"""Two writers racing on one well: the database serialises them and nothing is doubled."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from factories import make_batch
from sqlalchemy import Connection, Engine

from service.db import repo
from service.db.telemetry_store import count_samples, store_batch


def _race(engine: Engine, work: Callable[[Connection], Any]) -> tuple[Any, Any]:
    """Run ``work`` in an open transaction, then again in a second thread that must wait
    for the first to commit; returns both results."""
    second: list[Any] = []
    errors: list[BaseException] = []

    def run_second() -> None:
        try:
            with engine.begin() as conn:
                second.append(work(conn))
        except BaseException as exc:  # surfaced in the main thread
            errors.append(exc)

    with engine.begin() as conn:
        first = work(conn)
        thread = threading.Thread(target=run_second)
        thread.start()
        thread.join(timeout=0.3)
        assert thread.is_alive(), "the second writer should wait for the first to commit"
    thread.join(timeout=30)
    assert not errors, errors
    return first, second[0]


def test_two_requests_creating_the_same_well_create_it_once(db_engine: Engine) -> None:
    results = _race(db_engine, lambda conn: repo.ensure_well(conn, well_id="W-1"))
    assert results == (True, False)
    with db_engine.connect() as conn:
        assert [w["id"] for w in repo.list_wells(conn)] == ["W-1"]


def test_two_requests_storing_the_same_batch_store_it_once(db_engine: Engine) -> None:
    with db_engine.begin() as conn:
        repo.ensure_well(conn, well_id="W-1")
    batch = make_batch(n=100)
    results = _race(db_engine, lambda conn: store_batch(conn, well_id="W-1", batch=batch))
    assert results == (100, 0)
    with db_engine.connect() as conn:
        assert count_samples(conn, well_id="W-1") == 100
