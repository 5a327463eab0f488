"""Wells: create, update, read, record the newest sample, lock for writers."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import Connection, select, update

from service.db.repo._common import (
    Conflict,
    NotFound,
    Row,
    fetch_row,
    insert_if_absent,
    lock_row,
    require_aware,
    require_well,
)
from service.db.tables import utcnow, wells

log = logging.getLogger(__name__)

WELL_FIELDS = frozenset({"name", "field", "rig", "timezone", "mud_type", "bha", "extra"})


def _check_well_fields(well_id: str, fields: Mapping[str, Any]) -> dict[str, Any]:
    unknown = sorted(set(fields) - WELL_FIELDS)
    if unknown:
        raise ValueError(
            f"well {well_id!r}: unknown field {unknown[0]!r}; expected some of "
            f"{', '.join(sorted(WELL_FIELDS))}"
        )
    values = dict(fields)
    if "timezone" in values:
        tz = values["timezone"]
        try:
            ZoneInfo(tz)
        except (ZoneInfoNotFoundError, ValueError, TypeError):
            raise ValueError(f"well {well_id!r}: timezone {tz!r} is not an IANA zone") from None
    if "extra" in values:
        if values["extra"] is None:
            values["extra"] = {}
        elif not isinstance(values["extra"], Mapping):
            raise ValueError(f"well {well_id!r}: extra must be an object, got {values['extra']!r}")
        else:
            values["extra"] = dict(values["extra"])
    return values


def _insert_well(conn: Connection, well_id: str, values: Mapping[str, Any]) -> bool:
    """Insert the well unless it exists (timezone UTC and no extra unless given)."""
    created = insert_if_absent(
        conn,
        wells,
        {"id": well_id, "timezone": "UTC", "extra": {}, **values, "created_at": utcnow()},
    )
    if created:
        log.info("well %s created", well_id)
    return created


def ensure_well(conn: Connection, *, well_id: str) -> bool:
    """Create the well with defaults if it does not exist; True if it was created.

    Race-safe: ``INSERT ... ON CONFLICT DO NOTHING``, so two requests for a new well at
    once create it exactly once.
    """
    return _insert_well(conn, well_id, {})


def create_well(conn: Connection, *, well_id: str, **fields: Any) -> Row:
    """Create a well with ``fields`` (name, field, rig, timezone, mud_type, bha, extra).

    Raises ``Conflict`` if it exists already.
    """
    if not _insert_well(conn, well_id, _check_well_fields(well_id, fields)):
        raise Conflict("well", well_id, "already exists")
    return get_well(conn, well_id=well_id)


def update_well(conn: Connection, *, well_id: str, **fields: Any) -> Row:
    """Set the given fields (``extra`` is replaced as a whole); returns the updated well."""
    values = _check_well_fields(well_id, fields)
    if "timezone" in values and values["timezone"] is None:
        raise ValueError(f"well {well_id!r}: timezone cannot be null")
    if values:
        result = conn.execute(update(wells).where(wells.c.id == well_id).values(**values))
        if result.rowcount == 0:
            raise NotFound("well", well_id)
    return get_well(conn, well_id=well_id)


def get_well(conn: Connection, *, well_id: str) -> Row:
    return fetch_row(conn, wells, "well", well_id)


def list_wells(conn: Connection) -> list[Row]:
    return [dict(r) for r in conn.execute(select(wells).order_by(wells.c.id)).mappings()]


def touch_well(
    conn: Connection, *, well_id: str, last_sample_at: datetime, rig_state: str | None
) -> bool:
    """Record the newest sample time and its rig state; never moves time backwards.

    True if the well was updated, False if it already had a sample at or after
    ``last_sample_at`` (late data). Raises ``NotFound`` for an unknown well.
    """
    require_aware(last_sample_at, f"well {well_id!r}: last_sample_at")
    stmt = (
        update(wells)
        .where(
            wells.c.id == well_id,
            (wells.c.last_sample_at.is_(None)) | (wells.c.last_sample_at < last_sample_at),
        )
        .values(last_sample_at=last_sample_at, last_rig_state=rig_state)
    )
    if conn.execute(stmt).rowcount > 0:
        return True
    require_well(conn, well_id)
    return False


def lock_well(conn: Connection, *, well_id: str) -> None:
    """Serialise writers of one well until the transaction ends; ``NotFound`` if unknown."""
    lock_row(conn, wells, well_id, kind="well", touch="timezone")
