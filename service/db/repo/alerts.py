"""Alerts: store, read and list, move through their statuses with an audit trail."""

from __future__ import annotations

import logging
import math
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, RowMapping, select, update

from service.db.repo._common import (
    Conflict,
    Row,
    equal_to,
    fetch_row,
    lock_row,
    require_aware,
    require_text,
    require_well,
)
from service.db.tables import ALERT_STATUSES, alerts, utcnow

log = logging.getLogger(__name__)

# Allowed alert status changes. A verdict (confirmed / dismissed) may be corrected, but an
# alert never goes back to open or acknowledged.
ALERT_TRANSITIONS: dict[str, frozenset[str]] = {
    "open": frozenset({"acknowledged", "confirmed", "dismissed"}),
    "acknowledged": frozenset({"confirmed", "dismissed"}),
    "confirmed": frozenset({"dismissed"}),
    "dismissed": frozenset({"confirmed"}),
}


def _alert_row(mapping: Row | RowMapping) -> Row:
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
    evidence: Sequence[str] = (),
) -> Row:
    """Store a new ``open`` alert raised at data time ``time``; returns it with its id.

    ``analogues`` and ``contributions`` are stored as JSON lists of whatever they hold
    (dicts, pairs, numpy numbers; NaN becomes null).
    """
    where = f"alert for well {well_id!r}"
    require_aware(time, f"{where}: time")
    require_text(type, f"{where}: type")
    p = _check_probability(probability, f"{where}: probability")
    probs = {
        str(k): _check_probability(v, f"{where}: probabilities[{k!r}]")
        for k, v in probabilities.items()
    }
    require_well(conn, well_id)
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
            evidence=[str(e) for e in evidence],
            audit=[],
            created_at=now,
            updated_at=now,
        )
    )
    alert_id = int(result.inserted_primary_key[0])  # type: ignore[index]
    return get_alert(conn, alert_id=alert_id)


def get_alert(conn: Connection, *, alert_id: int) -> Row:
    return _alert_row(fetch_row(conn, alerts, "alert", alert_id))


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
    stmt = select(alerts).where(
        *equal_to((alerts.c.well_id, well_id), (alerts.c.type, type), (alerts.c.status, status))
    )
    if start is not None:
        stmt = stmt.where(alerts.c.time >= require_aware(start, "start"))
    if end is not None:
        stmt = stmt.where(alerts.c.time < require_aware(end, "end"))
    stmt = stmt.order_by(alerts.c.time.desc(), alerts.c.id.desc()).limit(limit).offset(offset)
    return [_alert_row(r) for r in conn.execute(stmt).mappings()]


def dismissed_alert_times(
    conn: Connection, *, well_ids: Iterable[str] | None = None
) -> list[tuple[str, datetime]]:
    """(well id, time) of every dismissed alert, oldest first: normal examples for training."""
    stmt = select(alerts.c.well_id, alerts.c.time).where(alerts.c.status == "dismissed")
    if well_ids is not None:
        stmt = stmt.where(alerts.c.well_id.in_(list(well_ids)))
    rows = conn.execute(stmt.order_by(alerts.c.time, alerts.c.id))
    return [(str(w), t) for w, t in rows]


def _append_audit(
    conn: Connection, *, alert_id: int, at: datetime, who: str, action: str, comment: str | None
) -> tuple[str, list[dict[str, Any]]]:
    """Lock the alert and return (status, audit list with the new entry appended)."""
    lock_row(conn, alerts, alert_id, kind="alert", touch="status")
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
    require_text(who, f"alert {alert_id}: who")
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
    require_text(who, f"alert {alert_id}: who")
    require_text(comment, f"alert {alert_id}: comment")
    now = utcnow()
    _, audit = _append_audit(
        conn, alert_id=alert_id, at=now, who=who, action="comment", comment=comment
    )
    conn.execute(update(alerts).where(alerts.c.id == alert_id).values(audit=audit, updated_at=now))
    return get_alert(conn, alert_id=alert_id)
