"""Errors and helpers shared by the repository modules of :mod:`service.db.repo`."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any, TypeGuard

from sqlalchemy import Column, ColumnElement, Connection, Table, select, update
from sqlalchemy.dialects import postgresql, sqlite

from service.db.tables import wells

Row = dict[str, Any]

_SHA256_RE = re.compile(r"^[0-9a-f]{64}$")


class NotFound(LookupError):
    """No row of ``kind`` (e.g. "well", "alert") with ``id``."""

    def __init__(self, kind: str, id: object) -> None:
        super().__init__(f"{kind} {id!r} not found")
        self.kind = kind
        self.id = id


class Conflict(Exception):
    """The change is refused in the row's current state (duplicate id, bad transition)."""

    def __init__(self, kind: str, id: object, reason: str) -> None:
        super().__init__(f"{kind} {id!r}: {reason}")
        self.kind = kind
        self.id = id
        self.reason = reason


# -- statements ---------------------------------------------------------------------------


def insert_if_absent(conn: Connection, table: Table, values: dict[str, Any]) -> bool:
    """INSERT ... ON CONFLICT (id) DO NOTHING; True if it inserted the row.

    Race-safe: two transactions inserting the same id at once create it exactly once.
    """
    name = conn.dialect.name
    insert: postgresql.Insert | sqlite.Insert
    if name == "postgresql":
        insert = postgresql.insert(table)
    elif name == "sqlite":
        insert = sqlite.insert(table)
    else:
        raise RuntimeError(f"database dialect {name!r} is not supported (SQLite or PostgreSQL)")
    stmt = insert.values(values).on_conflict_do_nothing(index_elements=[table.c.id])
    # rowcount of an INSERT is only kept with preserve_rowcount.
    result = conn.execute(stmt, execution_options={"preserve_rowcount": True})
    return result.rowcount > 0


def fetch_row(conn: Connection, table: Table, kind: str, id: object) -> Row:
    """The row of ``table`` with ``id``; ``NotFound(kind, id)`` if there is none."""
    row = conn.execute(select(table).where(table.c.id == id)).mappings().first()
    if row is None:
        raise NotFound(kind, id)
    return dict(row)


def lock_row(conn: Connection, table: Table, id: object, *, kind: str, touch: str) -> None:
    """Lock one row for the rest of the transaction; ``NotFound(kind, id)`` if it is missing.

    ``touch`` names a column the SQLite path rewrites with its own value.
    """
    key = table.c.id
    if conn.dialect.name == "sqlite":
        # SQLite has one database-wide write lock: a no-op UPDATE takes it now, so reads
        # that follow in this transaction see the latest data and no writer can interleave.
        column = table.c[touch]
        found = conn.execute(update(table).where(key == id).values({column: column})).rowcount > 0
    else:
        found = conn.execute(select(key).where(key == id).with_for_update()).first() is not None
    if not found:
        raise NotFound(kind, id)


def require_well(conn: Connection, well_id: str) -> None:
    """``NotFound`` unless the well exists."""
    if conn.execute(select(wells.c.id).where(wells.c.id == well_id)).first() is None:
        raise NotFound("well", well_id)


def equal_to(*filters: tuple[Column[Any], object]) -> list[ColumnElement[bool]]:
    """``column == value`` for every (column, value) whose value is given (not None)."""
    return [column == value for column, value in filters if value is not None]


# -- argument checks ----------------------------------------------------------------------


def require_aware(value: object, where: str) -> datetime:
    if not isinstance(value, datetime):
        raise ValueError(f"{where}: expected a timezone-aware datetime, got {value!r}")
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{where}: {value.isoformat()} has no UTC offset")
    return value


def require_text(value: object, where: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"{where}: expected a non-empty string, got {value!r}")
    return value


def is_sha256(value: object) -> TypeGuard[str]:
    """True for a SHA-256 digest as stored: 64 lowercase hex digits."""
    return isinstance(value, str) and _SHA256_RE.match(value) is not None
