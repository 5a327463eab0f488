"""Accidents: labelled incidents imported, entered by users or created by confirmed alerts."""

from __future__ import annotations

import logging
import math
from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy import ColumnElement, Connection, select, update

from service.db.repo._common import (
    NotFound,
    Row,
    equal_to,
    fetch_row,
    lock_row,
    require_aware,
    require_text,
    require_well,
)
from service.db.repo.alerts import get_alert
from service.db.tables import ACCIDENT_SOURCES, accidents, analogue_cases, utcnow, wells

log = logging.getLogger(__name__)

ACCIDENT_FIELDS = frozenset(
    {"well_id", "type", "start", "end", "depth_m", "notes", "source", "alert_id"}
)
ACCIDENT_UPDATABLE = frozenset({"type", "start", "end", "depth_m", "notes"})


def _accident_values(index: int, row: Mapping[str, Any]) -> dict[str, Any]:
    unknown = sorted(set(row) - ACCIDENT_FIELDS)
    if unknown:
        raise ValueError(f"rows[{index}]: unknown field {unknown[0]!r}")
    for name in ("well_id", "type", "start"):
        if row.get(name) is None:
            raise ValueError(f"rows[{index}]: {name} is required")
    well_id = require_text(row["well_id"], f"rows[{index}].well_id")

    def where(name: str) -> str:
        return f"rows[{index}].{name} (well {well_id!r})"

    start = require_aware(row["start"], where("start"))
    end = row.get("end")
    if end is not None and require_aware(end, where("end")) < start:
        raise ValueError(f"{where('end')}: {end.isoformat()} is before start {start.isoformat()}")
    source = row.get("source") or "import"
    if source not in ACCIDENT_SOURCES:
        raise ValueError(
            f"{where('source')}: {source!r} is not one of {', '.join(ACCIDENT_SOURCES)}"
        )
    depth = row.get("depth_m")
    if depth is not None and not math.isfinite(float(depth)):
        raise ValueError(f"{where('depth_m')}: {depth!r} is not a finite number")
    return {
        "well_id": well_id,
        "type": require_text(row["type"], where("type")),
        "start": start,
        "end": end,
        "depth_m": None if depth is None else float(depth),
        "notes": row.get("notes") or "",
        "source": source,
        "alert_id": row.get("alert_id"),
    }


def insert_accidents(conn: Connection, *, rows: Iterable[Mapping[str, Any]]) -> int:
    """Insert labelled accidents (``source`` defaults to "import"); returns how many.

    Every well must exist (``NotFound`` names the first missing one).
    """
    values = [_accident_values(i, row) for i, row in enumerate(rows)]
    if not values:
        return 0
    well_ids = sorted({v["well_id"] for v in values})
    known = set(conn.scalars(select(wells.c.id).where(wells.c.id.in_(well_ids))))
    missing = [w for w in well_ids if w not in known]
    if missing:
        raise NotFound("well", missing[0])
    now = utcnow()
    conn.execute(accidents.insert(), [{**v, "created_at": now} for v in values])
    log.info("%d accidents stored for %d wells", len(values), len(well_ids))
    return len(values)


def list_accidents(
    conn: Connection,
    *,
    well_id: str | None = None,
    type: str | None = None,
    alert_id: int | None = None,
) -> list[Row]:
    """Accidents ordered by well and start time, optionally of one well, type or alert."""
    stmt = (
        select(accidents)
        .where(
            *equal_to(
                (accidents.c.well_id, well_id),
                (accidents.c.type, type),
                (accidents.c.alert_id, alert_id),
            )
        )
        .order_by(accidents.c.well_id, accidents.c.start, accidents.c.id)
    )
    return [dict(r) for r in conn.execute(stmt).mappings()]


def insert_accident(conn: Connection, **fields: Any) -> Row:
    """Insert one accident (fields as for :func:`insert_accidents`); returns it with its id."""
    values = _accident_values(0, fields)
    well_id = values["well_id"]
    require_well(conn, well_id)
    if values["alert_id"] is not None:
        get_alert(conn, alert_id=values["alert_id"])
    result = conn.execute(accidents.insert().values(**values, created_at=utcnow()))
    accident_id = int(result.inserted_primary_key[0])  # type: ignore[index]
    log.info("accident %s stored for well %s (%s)", accident_id, well_id, values["source"])
    return get_accident(conn, accident_id=accident_id)


def get_accident(conn: Connection, *, accident_id: int) -> Row:
    return fetch_row(conn, accidents, "accident", accident_id)


def update_accident(conn: Connection, *, accident_id: int, **fields: Any) -> Row:
    """Change some of type, start, end, depth_m, notes; the result is validated whole."""
    unknown = sorted(set(fields) - ACCIDENT_UPDATABLE)
    if unknown:
        raise ValueError(f"accident {accident_id}: field {unknown[0]!r} cannot be changed")
    lock_row(conn, accidents, accident_id, kind="accident", touch="notes")
    current = get_accident(conn, accident_id=accident_id)
    merged = {k: current[k] for k in ACCIDENT_FIELDS}
    merged.update(fields)
    values = _accident_values(0, merged)
    changed = {k: values[k] for k in fields}
    if changed:
        conn.execute(update(accidents).where(accidents.c.id == accident_id).values(**changed))
    return get_accident(conn, accident_id=accident_id)


def _delete_accidents(conn: Connection, *where: ColumnElement[bool]) -> int:
    """Delete the accidents matching ``where``; returns how many."""
    # analogue windows of a confirmed alert outlive the accident record they came from
    conn.execute(
        update(analogue_cases)
        .where(analogue_cases.c.accident_id.in_(select(accidents.c.id).where(*where)))
        .values(accident_id=None)
    )
    return int(conn.execute(accidents.delete().where(*where)).rowcount)


def delete_accident(conn: Connection, *, accident_id: int) -> None:
    if _delete_accidents(conn, accidents.c.id == accident_id) == 0:
        raise NotFound("accident", accident_id)
    log.info("accident %s deleted", accident_id)


def delete_alert_accidents(conn: Connection, *, alert_id: int) -> int:
    """Delete the accidents created by confirming the alert (source "alert"); how many."""
    return _delete_accidents(conn, accidents.c.alert_id == alert_id, accidents.c.source == "alert")
