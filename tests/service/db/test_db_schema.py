"""The migrations build exactly the declared schema; time stamps are instants in UTC."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import Engine, insert, inspect, select, text
from sqlalchemy.exc import StatementError

from service.db.engine import (
    alembic_config,
    current_revision,
    make_engine,
    migrate,
    schema_diff,
)
from service.db.tables import metadata, wells


def test_migrated_schema_matches_the_table_metadata(db_engine: Engine) -> None:
    with db_engine.connect() as conn:
        assert schema_diff(conn) == []
    assert current_revision(db_engine) == "0003"
    assert set(inspect(db_engine).get_table_names()) == {*metadata.tables, "alembic_version"}


def test_schema_comparison_notices_a_missing_index(db_engine: Engine) -> None:
    with db_engine.connect() as conn, conn.begin() as transaction:
        conn.execute(text("DROP INDEX ix_alerts_status"))
        diff = schema_diff(conn)
        transaction.rollback()
    assert any(item[0] == "add_index" and item[1].name == "ix_alerts_status" for item in diff)


def test_migrating_again_changes_nothing(db_engine: Engine) -> None:
    migrate(db_engine)
    migrate(db_engine)
    assert current_revision(db_engine) == "0003"


def test_migrations_run_from_a_url_and_downgrade_cleanly(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    config = alembic_config(url)
    command.upgrade(config, "head")
    engine = make_engine(url)
    try:
        assert current_revision(engine) == "0003"
        command.downgrade(config, "base")
        assert inspect(engine).get_table_names() == ["alembic_version"]
        command.upgrade(config, "head")
        with engine.connect() as conn:
            assert schema_diff(conn) == []
    finally:
        engine.dispose()


def test_sqlite_engines_use_wal_foreign_keys_and_create_their_directory(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'nested' / 'dir' / 'dw.db'}")
    try:
        with engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
            assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() >= 1000
    finally:
        engine.dispose()
    assert (tmp_path / "nested" / "dir" / "dw.db").exists()


def test_sqlite_transactions_cover_reads_and_roll_back_savepoints(engine: Engine) -> None:
    now = datetime.now(UTC)
    with engine.connect() as conn, conn.begin():
        conn.execute(insert(wells).values(id="kept", created_at=now, extra={}))
        savepoint = conn.begin_nested()
        conn.execute(insert(wells).values(id="undone", created_at=now, extra={}))
        savepoint.rollback()
        assert conn.exec_driver_sql("SELECT count(*) FROM wells").scalar() == 1
    with engine.connect() as conn:
        assert conn.scalars(select(wells.c.id)).all() == ["kept"]


def test_utc_datetime_refuses_naive_datetimes_naming_the_value(db_engine: Engine) -> None:
    naive = datetime(2024, 3, 1, 6, 0)  # noqa: DTZ001
    with db_engine.connect() as conn, pytest.raises(StatementError) as info:
        conn.execute(insert(wells).values(id="W", created_at=naive, extra={}))
    assert isinstance(info.value.orig, ValueError)
    assert "2024-03-01T06:00:00" in str(info.value.orig)


def test_utc_datetime_returns_aware_utc_on_every_backend(db_engine: Engine) -> None:
    local = datetime(2024, 3, 1, 9, 30, 0, 250000, tzinfo=timezone(timedelta(hours=3)))
    with db_engine.begin() as conn:
        conn.execute(insert(wells).values(id="W", created_at=local, last_sample_at=local, extra={}))
        later = local + timedelta(microseconds=1)
        moved = conn.execute(
            wells.update().where(wells.c.last_sample_at < later).values(last_rig_state="x")
        ).rowcount
    with db_engine.connect() as conn:
        created, last = conn.execute(select(wells.c.created_at, wells.c.last_sample_at)).one()
    for value in (created, last):
        assert value == local
        assert value.tzinfo is not None and value.utcoffset() == timedelta(0)
        assert value == datetime(2024, 3, 1, 6, 30, 0, 250000, tzinfo=UTC)
    assert moved == 1  # comparisons in SQL compare instants too
