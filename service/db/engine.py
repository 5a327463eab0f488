"""Engine construction and schema migration.

Build one engine per process in the app's lifespan and migrate it before serving::

    engine = make_engine(settings.sqlalchemy_url)
    migrate(engine)
    ...
    engine.dispose()

No ``alembic.ini`` is needed: :func:`alembic_config` builds the alembic ``Config`` in code,
pointing at ``service/db/migrations``. From a shell, ``python -m service.db.engine upgrade``
migrates ``$DATABASE_URL`` (or the SQLite file under ``$DRILLWATCH_HOME``).

SQLite notes: every connection runs in WAL mode with ``synchronous=NORMAL``, enforced
foreign keys and a busy timeout; SQLAlchemy (not the ``sqlite3`` module) emits ``BEGIN`` so
that SELECTs take part in transactions and SAVEPOINTs work. ``BEGIN IMMEDIATE`` is available
per connection with ``conn.execution_options(sqlite_begin="IMMEDIATE")``.
"""

from __future__ import annotations

import hashlib
import logging
import shutil
import sys
from pathlib import Path
from typing import Any

import orjson
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from sqlalchemy import Connection, Engine, create_engine, event, make_url, text

from service.db.tables import metadata

log = logging.getLogger(__name__)

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
SQLITE_BUSY_TIMEOUT_MS = 30_000
_SQLITE_BEGIN_MODES = frozenset({"DEFERRED", "IMMEDIATE", "EXCLUSIVE"})
# pg_advisory_xact_lock key serialising concurrent migrations of one database.
_MIGRATION_LOCK_KEY = int.from_bytes(
    hashlib.blake2b(b"drillwatch.migrate", digest_size=8).digest(), "big", signed=True
)


def make_engine(url: str, **kwargs: Any) -> Engine:
    """An engine for ``url`` (SQLite or PostgreSQL), configured for this service.

    Extra keyword arguments go to :func:`sqlalchemy.create_engine` (e.g. ``poolclass``).
    """
    parsed = make_url(url)
    backend = parsed.get_backend_name()
    kwargs.setdefault("json_serializer", json_dumps)
    kwargs.setdefault("json_deserializer", orjson.loads)
    if backend == "sqlite":
        database = parsed.database or ""
        if database and database != ":memory:" and not database.startswith("file:"):
            Path(database).expanduser().parent.mkdir(parents=True, exist_ok=True)
        connect_args = dict(kwargs.pop("connect_args", {}))
        connect_args.setdefault("timeout", SQLITE_BUSY_TIMEOUT_MS / 1000)
        engine = create_engine(parsed, connect_args=connect_args, **kwargs)
        _configure_sqlite(engine)
    else:
        kwargs.setdefault("pool_pre_ping", True)
        engine = create_engine(parsed, **kwargs)
    log.info("database engine for %s", engine.url.render_as_string(hide_password=True))
    return engine


def json_dumps(value: Any) -> str:
    """JSON columns: numpy scalars/arrays allowed, NaN/inf stored as null on both backends."""
    return orjson.dumps(value, option=orjson.OPT_SERIALIZE_NUMPY | orjson.OPT_NON_STR_KEYS).decode()


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy emit BEGIN (see _on_begin): the sqlite3 module's legacy mode
        # skips BEGIN for SELECT and SAVEPOINT.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        finally:
            cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        options = conn.get_execution_options()
        if options.get("isolation_level") == "AUTOCOMMIT":
            return
        mode = str(options.get("sqlite_begin", "DEFERRED")).upper()
        if mode not in _SQLITE_BEGIN_MODES:
            raise ValueError(
                f"sqlite_begin={mode!r}: expected one of {sorted(_SQLITE_BEGIN_MODES)}"
            )
        conn.exec_driver_sql(f"BEGIN {mode}")


def alembic_config(engine_or_url: Engine | str) -> Config:
    """The alembic ``Config`` for this package's migrations, built without an ini file."""
    if isinstance(engine_or_url, Engine):
        url = engine_or_url.url.render_as_string(hide_password=False)
    else:
        url = engine_or_url
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    # ConfigParser interpolation: a literal % must be doubled (e.g. in passwords).
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def migrate(engine: Engine, revision: str = "head") -> None:
    """Upgrade the database to ``revision`` (default: the newest). Idempotent.

    Concurrent callers (several processes starting at once) are serialised: an advisory
    lock on PostgreSQL, ``BEGIN IMMEDIATE`` on SQLite.
    """
    config = alembic_config(engine)
    with engine.connect() as conn:
        dialect = conn.dialect.name
        if dialect == "sqlite":
            conn.execution_options(sqlite_begin="IMMEDIATE")
        with conn.begin():
            if dialect == "postgresql":
                conn.execute(
                    text("SELECT pg_advisory_xact_lock(:key)"), {"key": _MIGRATION_LOCK_KEY}
                )
            before = _revision(conn)
            config.attributes["connection"] = conn
            command.upgrade(config, revision)
            after = _revision(conn)
    if before != after:
        log.info("database migrated from %s to %s", before or "empty", after)
    else:
        log.debug("database schema already at %s", after)


def current_revision(engine: Engine) -> str | None:
    """The alembic revision the database is at, or None for an empty database."""
    with engine.connect() as conn:
        return _revision(conn)


def _revision(conn: Connection) -> str | None:
    return MigrationContext.configure(conn).get_current_revision()


def schema_diff(conn: Connection) -> list[Any]:
    """Differences between the database schema and :data:`tables.metadata` (empty = equal)."""
    context = MigrationContext.configure(conn, opts={"compare_type": True})
    return list(compare_metadata(context, metadata))


def _next_revision_id() -> str:
    """Revisions are numbered 0001, 0002, ... in file and id."""
    numbers = [
        int(p.name[:4]) for p in (MIGRATIONS_DIR / "versions").glob("[0-9][0-9][0-9][0-9]_*.py")
    ]
    return f"{max(numbers, default=0) + 1:04d}"


def _add_ruff_hooks(config: Config) -> None:
    """Lint-fix and format autogenerated revisions with ruff, when it is installed."""
    ruff = shutil.which("ruff", path=str(Path(sys.executable).parent)) or shutil.which("ruff")
    if ruff is None:
        return
    section = "post_write_hooks"
    config.set_section_option(section, "hooks", "ruff_fix, ruff_format")
    for name, options in (("ruff_fix", "check --fix"), ("ruff_format", "format")):
        config.set_section_option(section, f"{name}.type", "exec")
        config.set_section_option(section, f"{name}.executable", ruff)
        config.set_section_option(section, f"{name}.options", f"{options} REVISION_SCRIPT_FILENAME")


def main(argv: list[str] | None = None) -> int:
    """``python -m service.db.engine [upgrade|current|check|revision MESSAGE]``.

    Works on the configured database (``DATABASE_URL`` or SQLite under
    ``DRILLWATCH_HOME``). ``revision`` autogenerates a new migration from the difference
    between that (migrated) database and ``tables.metadata``; review it before committing.
    """
    from service.settings import get_settings

    args = sys.argv[1:] if argv is None else argv
    action = args[0] if args else "upgrade"
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    engine = make_engine(get_settings().sqlalchemy_url)
    try:
        if action == "upgrade":
            migrate(engine)
        elif action == "current":
            log.info("revision: %s", current_revision(engine))
        elif action == "revision":
            if len(args) < 2:
                log.error("revision needs a message, e.g. revision 'add wells.operator'")
                return 2
            migrate(engine)
            config = alembic_config(engine)
            _add_ruff_hooks(config)
            with engine.begin() as conn:
                config.attributes["connection"] = conn
                command.revision(
                    config, message=args[1], autogenerate=True, rev_id=_next_revision_id()
                )
        elif action == "check":
            with engine.connect() as conn:
                diff = schema_diff(conn)
            for item in diff:
                log.warning("schema differs: %s", item)
            return 1 if diff else 0
        else:
            log.error("unknown action %r: expected upgrade, current, check or revision", action)
            return 2
    finally:
        engine.dispose()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
