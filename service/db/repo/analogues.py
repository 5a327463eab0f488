"""Analogue cases: the feature windows a verdict on an alert adds to the analogue search."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, select

from service.db.repo._common import Row, equal_to, is_sha256, require_aware, require_text
from service.db.tables import CASE_SOURCES, analogue_cases, utcnow

log = logging.getLogger(__name__)

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
    if not is_sha256(sha):
        raise ValueError(f"{where}.feature_sha256: {sha!r} is not 64 lowercase hex digits")
    if not isinstance(case.get("features"), bytes):
        raise ValueError(f"{where}.features: expected float32 bytes")
    return {
        "alert_id": alert_id,
        "accident_id": case.get("accident_id"),
        "well_id": require_text(case.get("well_id"), f"{where}.well_id"),
        "time": require_aware(case.get("time"), f"{where}.time"),
        "type": require_text(case.get("type"), f"{where}.type"),
        "source": case["source"],
        "model_version": require_text(case.get("model_version"), f"{where}.model_version"),
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
    if time is not None:
        require_aware(time, "analogue case time")
    stmt = (
        select(analogue_cases)
        .where(
            *equal_to(
                (analogue_cases.c.feature_sha256, feature_sha256),
                (analogue_cases.c.alert_id, alert_id),
                (analogue_cases.c.well_id, well_id),
                (analogue_cases.c.time, time),
            )
        )
        .order_by(analogue_cases.c.id)
    )
    return [dict(r) for r in conn.execute(stmt).mappings()]
