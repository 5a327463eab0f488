"""Data access for wells, alerts, accidents, analogue cases and model versions.

Keyword-only functions on a SQLAlchemy ``Connection``; the caller owns the transaction
(``with engine.begin() as conn: ...``). Rows come back as plain dicts whose datetimes are
timezone-aware UTC. A missing row raises :class:`NotFound`, a refused state change
:class:`Conflict`, a malformed argument ``ValueError``; every message names the id and the
value.

Read-modify-write functions lock the row they change first (``SELECT ... FOR UPDATE`` on
PostgreSQL, an early no-op write on SQLite, which takes SQLite's single write lock), so
concurrent callers serialise instead of losing updates.
"""

from __future__ import annotations

import hashlib
import logging
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import Column, Connection, Executable, RowMapping, Table, select, text, update
from sqlalchemy.dialects import postgresql, sqlite

from service.db.tables import (
    ACCIDENT_SOURCES,
    ALERT_STATUSES,
    CASE_SOURCES,
    accidents,
    alerts,
    analogue_cases,
    model_versions,
    utcnow,
    wells,
)

log = logging.getLogger(__name__)

Row = dict[str, Any]

WELL_FIELDS = frozenset({"name", "field", "rig", "timezone", "mud_type", "bha", "extra"})
ACCIDENT_FIELDS = frozenset(
    {"well_id", "type", "start", "end", "depth_m", "notes", "source", "alert_id"}
)
# Allowed alert status changes. A verdict (confirmed / dismissed) may be corrected, but an
# alert never goes back to open or acknowledged.
ALERT_TRANSITIONS: dict[str, frozenset[str]] = {
    "open": frozenset({"acknowledged", "confirmed", "dismissed"}),
    "acknowledged": frozenset({"confirmed", "dismissed"}),
    "confirmed": frozenset({"dismissed"}),
    "dismissed": frozenset({"confirmed"}),
}
_SHA256_RE = re.compile(r"^[0-9a-f]{64}$")
_ACTIVATE_LOCK_KEY = int.from_bytes(
    hashlib.blake2b(b"drillwatch.model_versions.activate", digest_size=8).digest(),
    "big",
    signed=True,
)


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


# -- helpers ------------------------------------------------------------------------------


def _insert(conn: Connection, table: Table) -> postgresql.Insert | sqlite.Insert:
    """A dialect INSERT that supports ``on_conflict_do_nothing`` (SQLite and PostgreSQL)."""
    name = conn.dialect.name
    if name == "postgresql":
        return postgresql.insert(table)
    if name == "sqlite":
        return sqlite.insert(table)
    raise RuntimeError(f"database dialect {name!r} is not supported (SQLite or PostgreSQL)")


def _inserted(conn: Connection, stmt: Executable) -> bool:
    """Run an INSERT ... ON CONFLICT DO NOTHING; True if it inserted a row."""
    # rowcount of an INSERT is only kept with preserve_rowcount.
    return conn.execute(stmt, execution_options={"preserve_rowcount": True}).rowcount > 0


def _lock_row(conn: Connection, table: Table, key: Column[Any], value: object, touch: str) -> bool:
    """Lock one row for the rest of the transaction; False if it does not exist."""
    if conn.dialect.name == "sqlite":
        # SQLite has one database-wide write lock: a no-op UPDATE takes it now, so reads
        # that follow in this transaction see the latest data and no writer can interleave.
        column = table.c[touch]
        result = conn.execute(update(table).where(key == value).values({column: column}))
        return result.rowcount > 0
    return conn.execute(select(key).where(key == value).with_for_update()).first() is not None


def _require_aware(value: object, where: str) -> datetime:
    if not isinstance(value, datetime):
        raise ValueError(f"{where}: expected a timezone-aware datetime, got {value!r}")
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{where}: {value.isoformat()} has no UTC offset")
    return value


def _require_text(value: object, where: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"{where}: expected a non-empty string, got {value!r}")
    return value


def _row(mapping: RowMapping) -> Row:
    return dict(mapping)


# -- wells --------------------------------------------------------------------------------


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


def ensure_well(conn: Connection, *, well_id: str) -> bool:
    """Create the well with defaults if it does not exist; True if it was created.

    Race-safe: ``INSERT ... ON CONFLICT DO NOTHING``, so two requests for a new well at
    once create it exactly once.
    """
    stmt = (
        _insert(conn, wells)
        .values(id=well_id, timezone="UTC", extra={}, created_at=utcnow())
        .on_conflict_do_nothing(index_elements=[wells.c.id])
    )
    created = _inserted(conn, stmt)
    if created:
        log.info("well %s created", well_id)
    return created


def create_well(conn: Connection, *, well_id: str, **fields: Any) -> Row:
    """Create a well with ``fields`` (name, field, rig, timezone, mud_type, bha, extra).

    Raises ``Conflict`` if it exists already.
    """
    values = _check_well_fields(well_id, fields)
    values.setdefault("timezone", "UTC")
    values.setdefault("extra", {})
    stmt = (
        _insert(conn, wells)
        .values(id=well_id, created_at=utcnow(), **values)
        .on_conflict_do_nothing(index_elements=[wells.c.id])
    )
    if not _inserted(conn, stmt):
        raise Conflict("well", well_id, "already exists")
    log.info("well %s created", well_id)
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
    row = conn.execute(select(wells).where(wells.c.id == well_id)).mappings().first()
    if row is None:
        raise NotFound("well", well_id)
    return _row(row)


def list_wells(conn: Connection) -> list[Row]:
    return [_row(r) for r in conn.execute(select(wells).order_by(wells.c.id)).mappings()]


def touch_well(
    conn: Connection, *, well_id: str, last_sample_at: datetime, rig_state: str | None
) -> bool:
    """Record the newest sample time and its rig state; never moves time backwards.

    True if the well was updated, False if it already had a sample at or after
    ``last_sample_at`` (late data). Raises ``NotFound`` for an unknown well.
    """
    _require_aware(last_sample_at, f"well {well_id!r}: last_sample_at")
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
    if conn.execute(select(wells.c.id).where(wells.c.id == well_id)).first() is None:
        raise NotFound("well", well_id)
    return False


def lock_well(conn: Connection, *, well_id: str) -> None:
    """Serialise writers of one well until the transaction ends; ``NotFound`` if unknown."""
    if not _lock_row(conn, wells, wells.c.id, well_id, "timezone"):
        raise NotFound("well", well_id)


# -- alerts -------------------------------------------------------------------------------


def _alert_row(mapping: RowMapping) -> Row:
    row = dict(mapping)
    row["audit"] = [
        {**entry, "at": datetime.fromisoformat(entry["at"])} if "at" in entry else dict(entry)
        for entry in row.get("audit") or []
    ]
    return row


def _check_probability(value: object, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"{where}: expected a number, got {value!r}")
    p = float(value)
    if not (math.isfinite(p) and 0.0 <= p <= 1.0):
        raise ValueError(f"{where}: {value!r} is not a probability in [0, 1]")
    return p


def insert_alert(
    conn: Connection,
    *,
    well_id: str,
    time: datetime,
    type: str,
    probability: float,
    probabilities: Mapping[str, float],
    rig_state: str | None,
    model_version: str | None,
    analogues: Sequence[Any] = (),
    contributions: Sequence[Any] = (),
) -> Row:
    """Store a new ``open`` alert raised at data time ``time``; returns it with its id.

    ``analogues`` and ``contributions`` are stored as JSON lists of whatever they hold
    (dicts, pairs, numpy numbers; NaN becomes null).
    """
    where = f"alert for well {well_id!r}"
    _require_aware(time, f"{where}: time")
    _require_text(type, f"{where}: type")
    p = _check_probability(probability, f"{where}: probability")
    probs = {
        str(k): _check_probability(v, f"{where}: probabilities[{k!r}]")
        for k, v in probabilities.items()
    }
    if conn.execute(select(wells.c.id).where(wells.c.id == well_id)).first() is None:
        raise NotFound("well", well_id)
    now = utcnow()
    result = conn.execute(
        alerts.insert().values(
            well_id=well_id,
            time=time,
            type=type,
            probability=p,
            probabilities=probs,
            status="open",
            rig_state=rig_state,
            model_version=model_version,
            analogues=list(analogues),
            contributions=list(contributions),
            audit=[],
            created_at=now,
            updated_at=now,
        )
    )
    alert_id = int(result.inserted_primary_key[0])  # type: ignore[index]
    return get_alert(conn, alert_id=alert_id)


def get_alert(conn: Connection, *, alert_id: int) -> Row:
    row = conn.execute(select(alerts).where(alerts.c.id == alert_id)).mappings().first()
    if row is None:
        raise NotFound("alert", alert_id)
    return _alert_row(row)


def list_alerts(
    conn: Connection,
    *,
    well_id: str | None = None,
    type: str | None = None,
    status: str | None = None,
    start: datetime | None = None,
    end: datetime | None = None,
    limit: int = 100,
    offset: int = 0,
) -> list[Row]:
    """Alerts newest first (by data time); ``start`` inclusive, ``end`` exclusive."""
    if limit < 0 or offset < 0:
        raise ValueError(f"limit={limit}, offset={offset}: must not be negative")
    if status is not None and status not in ALERT_STATUSES:
        raise ValueError(f"status {status!r}: expected one of {', '.join(ALERT_STATUSES)}")
    stmt = select(alerts)
    if well_id is not None:
        stmt = stmt.where(alerts.c.well_id == well_id)
    if type is not None:
        stmt = stmt.where(alerts.c.type == type)
    if status is not None:
        stmt = stmt.where(alerts.c.status == status)
    if start is not None:
        stmt = stmt.where(alerts.c.time >= _require_aware(start, "start"))
    if end is not None:
        stmt = stmt.where(alerts.c.time < _require_aware(end, "end"))
    stmt = stmt.order_by(alerts.c.time.desc(), alerts.c.id.desc()).limit(limit).offset(offset)
    return [_alert_row(r) for r in conn.execute(stmt).mappings()]


def _append_audit(
    conn: Connection, *, alert_id: int, at: datetime, who: str, action: str, comment: str | None
) -> tuple[str, list[dict[str, Any]]]:
    """Lock the alert and return (status, audit list with the new entry appended)."""
    if not _lock_row(conn, alerts, alerts.c.id, alert_id, "status"):
        raise NotFound("alert", alert_id)
    current = conn.execute(select(alerts.c.status, alerts.c.audit).where(alerts.c.id == alert_id))
    status, audit = current.one()
    entry = {"at": at.isoformat(), "who": who, "action": action, "comment": comment}
    return status, [*(audit or []), entry]


def set_alert_status(
    conn: Connection, *, alert_id: int, status: str, who: str, comment: str | None = None
) -> Row:
    """Move an alert to ``status`` (see ``ALERT_TRANSITIONS``), recording who and why."""
    if status not in ALERT_STATUSES:
        raise ValueError(
            f"alert {alert_id}: status {status!r} is not one of {', '.join(ALERT_STATUSES)}"
        )
    _require_text(who, f"alert {alert_id}: who")
    now = utcnow()
    current, audit = _append_audit(
        conn, alert_id=alert_id, at=now, who=who, action=status, comment=comment
    )
    allowed = ALERT_TRANSITIONS[current]
    if status not in allowed:
        raise Conflict(
            "alert",
            alert_id,
            f"cannot change status from {current!r} to {status!r}"
            + (f" (allowed: {', '.join(sorted(allowed))})" if allowed else ""),
        )
    result = conn.execute(
        update(alerts)
        .where(alerts.c.id == alert_id, alerts.c.status == current)
        .values(status=status, audit=audit, updated_at=now)
    )
    if result.rowcount == 0:  # changed under us despite the lock: refuse, never overwrite
        raise Conflict("alert", alert_id, f"status changed concurrently from {current!r}")
    log.info("alert %s: %s -> %s by %s", alert_id, current, status, who)
    return get_alert(conn, alert_id=alert_id)


def add_alert_comment(conn: Connection, *, alert_id: int, who: str, comment: str) -> Row:
    """Append a comment to the alert's audit trail; the status is unchanged."""
    _require_text(who, f"alert {alert_id}: who")
    _require_text(comment, f"alert {alert_id}: comment")
    now = utcnow()
    _, audit = _append_audit(
        conn, alert_id=alert_id, at=now, who=who, action="comment", comment=comment
    )
    conn.execute(update(alerts).where(alerts.c.id == alert_id).values(audit=audit, updated_at=now))
    return get_alert(conn, alert_id=alert_id)


# -- accidents ----------------------------------------------------------------------------


def _accident_values(index: int, row: Mapping[str, Any]) -> dict[str, Any]:
    unknown = sorted(set(row) - ACCIDENT_FIELDS)
    if unknown:
        raise ValueError(f"rows[{index}]: unknown field {unknown[0]!r}")
    for name in ("well_id", "type", "start"):
        if row.get(name) is None:
            raise ValueError(f"rows[{index}]: {name} is required")
    well_id = _require_text(row["well_id"], f"rows[{index}].well_id")

    def where(name: str) -> str:
        return f"rows[{index}].{name} (well {well_id!r})"

    start = _require_aware(row["start"], where("start"))
    end = row.get("end")
    if end is not None and _require_aware(end, where("end")) < start:
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
        "type": _require_text(row["type"], where("type")),
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
    stmt = select(accidents)
    if well_id is not None:
        stmt = stmt.where(accidents.c.well_id == well_id)
    if type is not None:
        stmt = stmt.where(accidents.c.type == type)
    if alert_id is not None:
        stmt = stmt.where(accidents.c.alert_id == alert_id)
    stmt = stmt.order_by(accidents.c.well_id, accidents.c.start, accidents.c.id)
    return [_row(r) for r in conn.execute(stmt).mappings()]


def insert_accident(conn: Connection, **fields: Any) -> Row:
    """Insert one accident (fields as for :func:`insert_accidents`); returns it with its id."""
    values = _accident_values(0, fields)
    well_id = values["well_id"]
    if conn.execute(select(wells.c.id).where(wells.c.id == well_id)).first() is None:
        raise NotFound("well", well_id)
    if values["alert_id"] is not None:
        get_alert(conn, alert_id=values["alert_id"])
    result = conn.execute(accidents.insert().values(**values, created_at=utcnow()))
    accident_id = int(result.inserted_primary_key[0])  # type: ignore[index]
    log.info("accident %s stored for well %s (%s)", accident_id, well_id, values["source"])
    return get_accident(conn, accident_id=accident_id)


def get_accident(conn: Connection, *, accident_id: int) -> Row:
    row = conn.execute(select(accidents).where(accidents.c.id == accident_id)).mappings().first()
    if row is None:
        raise NotFound("accident", accident_id)
    return _row(row)


ACCIDENT_UPDATABLE = frozenset({"type", "start", "end", "depth_m", "notes"})


def update_accident(conn: Connection, *, accident_id: int, **fields: Any) -> Row:
    """Change some of type, start, end, depth_m, notes; the result is validated whole."""
    unknown = sorted(set(fields) - ACCIDENT_UPDATABLE)
    if unknown:
        raise ValueError(f"accident {accident_id}: field {unknown[0]!r} cannot be changed")
    if not _lock_row(conn, accidents, accidents.c.id, accident_id, "notes"):
        raise NotFound("accident", accident_id)
    current = get_accident(conn, accident_id=accident_id)
    merged = {k: current[k] for k in ACCIDENT_FIELDS}
    merged.update(fields)
    values = _accident_values(0, merged)
    changed = {k: values[k] for k in fields}
    if changed:
        conn.execute(update(accidents).where(accidents.c.id == accident_id).values(**changed))
    return get_accident(conn, accident_id=accident_id)


def delete_accident(conn: Connection, *, accident_id: int) -> None:
    # analogue windows of a confirmed alert outlive the accident record they came from
    conn.execute(
        update(analogue_cases)
        .where(analogue_cases.c.accident_id == accident_id)
        .values(accident_id=None)
    )
    result = conn.execute(accidents.delete().where(accidents.c.id == accident_id))
    if result.rowcount == 0:
        raise NotFound("accident", accident_id)
    log.info("accident %s deleted", accident_id)


def delete_alert_accidents(conn: Connection, *, alert_id: int) -> int:
    """Delete the accidents created by confirming the alert (source "alert"); how many."""
    conn.execute(
        update(analogue_cases)
        .where(
            analogue_cases.c.accident_id.in_(
                select(accidents.c.id).where(
                    accidents.c.alert_id == alert_id, accidents.c.source == "alert"
                )
            )
        )
        .values(accident_id=None)
    )
    result = conn.execute(
        accidents.delete().where(accidents.c.alert_id == alert_id, accidents.c.source == "alert")
    )
    return int(result.rowcount)


# -- analogue cases -----------------------------------------------------------------------

CASE_FIELDS = frozenset(
    {
        "accident_id",
        "well_id",
        "time",
        "type",
        "source",
        "model_version",
        "feature_sha256",
        "features",
        "rig_state",
        "time_to_start_s",
        "depth_m",
        "context",
        "snippet_channels",
        "snippet",
    }
)


def _case_values(alert_id: int, index: int, case: Mapping[str, Any]) -> dict[str, Any]:
    unknown = sorted(set(case) - CASE_FIELDS)
    if unknown:
        raise ValueError(f"alert {alert_id} cases[{index}]: unknown field {unknown[0]!r}")
    where = f"alert {alert_id} cases[{index}]"
    if case.get("source") not in CASE_SOURCES:
        raise ValueError(f"{where}.source: {case.get('source')!r} is not one of {CASE_SOURCES}")
    sha = case.get("feature_sha256")
    if not isinstance(sha, str) or not _SHA256_RE.match(sha):
        raise ValueError(f"{where}.feature_sha256: {sha!r} is not 64 lowercase hex digits")
    if not isinstance(case.get("features"), bytes):
        raise ValueError(f"{where}.features: expected float32 bytes")
    return {
        "alert_id": alert_id,
        "accident_id": case.get("accident_id"),
        "well_id": _require_text(case.get("well_id"), f"{where}.well_id"),
        "time": _require_aware(case.get("time"), f"{where}.time"),
        "type": _require_text(case.get("type"), f"{where}.type"),
        "source": case["source"],
        "model_version": _require_text(case.get("model_version"), f"{where}.model_version"),
        "feature_sha256": sha,
        "features": case["features"],
        "rig_state": case.get("rig_state"),
        "time_to_start_s": case.get("time_to_start_s"),
        "depth_m": case.get("depth_m"),
        "context": dict(case.get("context") or {}),
        "snippet_channels": list(case.get("snippet_channels") or []),
        "snippet": case.get("snippet"),
    }


def replace_analogue_cases(
    conn: Connection, *, alert_id: int, cases: Sequence[Mapping[str, Any]]
) -> int:
    """Make ``cases`` the alert's analogue windows (a new verdict replaces the old one's);
    returns how many were stored."""
    values = [_case_values(alert_id, i, c) for i, c in enumerate(cases)]
    conn.execute(analogue_cases.delete().where(analogue_cases.c.alert_id == alert_id))
    if values:
        now = utcnow()
        conn.execute(analogue_cases.insert(), [{**v, "created_at": now} for v in values])
    log.info("alert %s: %d analogue cases stored", alert_id, len(values))
    return len(values)


def list_analogue_cases(
    conn: Connection,
    *,
    feature_sha256: str | None = None,
    alert_id: int | None = None,
    well_id: str | None = None,
    time: datetime | None = None,
) -> list[Row]:
    """Analogue cases in insertion order, optionally for one feature spec, alert or window."""
    stmt = select(analogue_cases)
    if feature_sha256 is not None:
        stmt = stmt.where(analogue_cases.c.feature_sha256 == feature_sha256)
    if alert_id is not None:
        stmt = stmt.where(analogue_cases.c.alert_id == alert_id)
    if well_id is not None:
        stmt = stmt.where(analogue_cases.c.well_id == well_id)
    if time is not None:
        stmt = stmt.where(analogue_cases.c.time == _require_aware(time, "analogue case time"))
    return [_row(r) for r in conn.execute(stmt.order_by(analogue_cases.c.id)).mappings()]


def dismissed_alert_times(
    conn: Connection, *, well_ids: Iterable[str] | None = None
) -> list[tuple[str, datetime]]:
    """(well id, time) of every dismissed alert, oldest first: normal examples for training."""
    stmt = select(alerts.c.well_id, alerts.c.time).where(alerts.c.status == "dismissed")
    if well_ids is not None:
        stmt = stmt.where(alerts.c.well_id.in_(list(well_ids)))
    rows = conn.execute(stmt.order_by(alerts.c.time, alerts.c.id))
    return [(str(w), t) for w, t in rows]


# -- model versions -----------------------------------------------------------------------


def register_model_version(
    conn: Connection,
    *,
    id: str,
    detector: str,
    path: str,
    sha256: str,
    metrics: Mapping[str, Any],
    meta: Mapping[str, Any],
    activate: bool = False,
) -> Row:
    """Record a trained model artifact; optionally make it the active version.

    Registering the same id with the same sha256 again is a no-op (returns the stored
    version); with a different sha256 it raises ``Conflict``.
    """
    _require_text(id, "model version id")
    if not isinstance(sha256, str) or not _SHA256_RE.match(sha256):
        raise ValueError(f"model version {id!r}: sha256 {sha256!r} is not 64 lowercase hex digits")
    stmt = (
        _insert(conn, model_versions)
        .values(
            id=id,
            created_at=utcnow(),
            detector=_require_text(detector, f"model version {id!r}: detector"),
            path=str(path),
            sha256=sha256,
            metrics=dict(metrics),
            meta=dict(meta),
            active=False,
        )
        .on_conflict_do_nothing(index_elements=[model_versions.c.id])
    )
    if not _inserted(conn, stmt):
        existing = get_model_version(conn, id=id)
        if existing["sha256"] != sha256:
            raise Conflict(
                "model version",
                id,
                f"already registered with sha256 {existing['sha256']}, not {sha256}",
            )
    else:
        log.info("model version %s registered (%s, %s)", id, detector, path)
    if activate:
        return activate_model_version(conn, id=id)
    return get_model_version(conn, id=id)


def get_model_version(conn: Connection, *, id: str) -> Row:
    stmt = select(model_versions).where(model_versions.c.id == id)
    row = conn.execute(stmt).mappings().first()
    if row is None:
        raise NotFound("model version", id)
    return _row(row)


def list_model_versions(conn: Connection) -> list[Row]:
    """All versions, newest first."""
    stmt = select(model_versions).order_by(
        model_versions.c.created_at.desc(), model_versions.c.id.desc()
    )
    return [_row(r) for r in conn.execute(stmt).mappings()]


def get_active_model_version(conn: Connection) -> Row | None:
    row = conn.execute(select(model_versions).where(model_versions.c.active)).mappings().first()
    return None if row is None else _row(row)


def activate_model_version(conn: Connection, *, id: str) -> Row:
    """Make ``id`` the one active version (the database allows at most one)."""
    if conn.dialect.name == "postgresql":
        conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _ACTIVATE_LOCK_KEY})
    if not _lock_row(conn, model_versions, model_versions.c.id, id, "active"):
        raise NotFound("model version", id)
    conn.execute(
        update(model_versions)
        .where(model_versions.c.active, model_versions.c.id != id)
        .values(active=False)
    )
    conn.execute(update(model_versions).where(model_versions.c.id == id).values(active=True))
    log.info("model version %s activated", id)
    return get_model_version(conn, id=id)
