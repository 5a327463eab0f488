"""Alerts: list and filter, read one, review (acknowledge, confirm, dismiss, comment) and
compare with its analogues. Status changes are published as ``alert_status`` events.

Verdicts grow the analogue database (``service.verdicts``): a confirm stores the
accident's windows, a dismiss the alert's normal windows, in the same transaction as the
status change, and the running model's analogue search finds them at once."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated, Any, Literal

import anyio
import numpy as np
from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict, Field, StringConstraints
from sqlalchemy import Connection, Engine

from models.artifact import ModelArtifact
from pipelines.formats.files import TYPE_RE
from pipelines.telemetry import BatchError, datetime_to_ns, ns_to_datetime, parse_time
from service import verdicts
from service.api.accidents import IsoDatetime
from service.db import repo, telemetry_store
from service.deps import INT64_MAX, BroadcasterDep, DbDep, NoNul, RowId, StreamDep, TimeText
from service.errors import ApiError

router = APIRouter(prefix="/api/v1/alerts", tags=["alerts"])

Status = Literal["open", "acknowledged", "confirmed", "dismissed"]
Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200), NoNul]
LongText = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=4000), NoNul
]

WINDOW_BEFORE = timedelta(minutes=30)
WINDOW_AFTER = timedelta(minutes=10)
WINDOW_MAX_POINTS = 300

ALERT_EXAMPLE: dict[str, Any] = {
    "id": 42,
    "well_id": "B-2",
    "time": "2026-11-24T10:14:30Z",
    "type": "stuck_pipe",
    "probability": 0.91,
    "probabilities": {"normal": 0.04, "stuck_pipe": 0.91, "pack_off": 0.05},
    "status": "confirmed",
    "rig_state": "tripping_out",
    "model_version": "2026-11-20-a",
    "analogues": [
        {
            "well_id": "SIM-3",
            "time": "2026-10-02T04:10:00Z",
            "type": "stuck_pipe",
            "similarity": 0.87,
        }
    ],
    "contributions": [{"feature": "HKLA__slope", "value": 1.8}],
    "evidence": ["pit +1.8 m³ in 10 min, steadily", "gas ×3.2 its quiet level"],
    "audit": [
        {"at": "2026-11-24T10:15:02Z", "who": "driller", "action": "acknowledged", "comment": None},
        {"at": "2026-11-24T10:21:40Z", "who": "dsv", "action": "confirmed", "comment": "jarred"},
    ],
    "created_at": "2026-11-24T10:14:31Z",
    "updated_at": "2026-11-24T10:21:40Z",
}


class AuditEntry(BaseModel):
    model_config = ConfigDict(extra="allow")

    at: datetime | None = None
    who: str | None = None
    action: str = Field(description="acknowledged, confirmed, dismissed or comment")
    comment: str | None = None


class AlertOut(BaseModel):
    model_config = ConfigDict(extra="allow", json_schema_extra={"examples": [ALERT_EXAMPLE]})

    id: int
    well_id: str
    time: datetime = Field(description="data time of the decision")
    type: str
    probability: float
    probabilities: dict[str, float]
    status: Status
    rig_state: str | None
    model_version: str | None
    analogues: list[Any]
    contributions: list[Any]
    evidence: list[str] = Field(
        default_factory=list, description="the physical signs present, in words"
    )
    audit: list[AuditEntry] = Field(description="who did what and when, oldest first")
    created_at: datetime
    updated_at: datetime


class ReviewedAlert(AlertOut):
    model_config = ConfigDict(
        extra="allow", json_schema_extra={"examples": [{**ALERT_EXAMPLE, "accident_id": 7}]}
    )

    accident_id: int | None = Field(
        default=None, description="the accident created by a confirm (else null)"
    )


class AcknowledgeBody(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"who": "driller", "comment": "checking"}]},
    )

    who: Text
    comment: Annotated[str | None, NoNul] = None


class ConfirmBody(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "who": "dsv",
                    "comment": "jarred free after 40 min",
                    "start": "2026-11-24T10:12:00Z",
                    "end": "2026-11-24T10:52:00Z",
                    "type": "stuck_pipe",
                }
            ]
        },
    )

    who: Text
    comment: Annotated[str | None, NoNul] = None
    start: IsoDatetime | None = Field(
        default=None, description="accident start; default alert time"
    )
    end: IsoDatetime | None = Field(default=None, description="accident end; >= start")
    type: str | None = Field(
        default=None, pattern=TYPE_RE.pattern, description="accident type; default alert type"
    )
    depth_m: float | None = Field(default=None, allow_inf_nan=False)


class DismissBody(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"who": "dsv", "reason": "sensor spike on SPPA"}]},
    )

    who: Text
    reason: LongText = Field(description="required; kept in the audit trail")


class CommentBody(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"who": "dsv", "comment": "watch torque"}]},
    )

    who: Text
    comment: LongText


class Window(BaseModel):
    offsets_s: list[float] = Field(description="seconds relative to the event time")
    channels: dict[str, list[float | None]]


class AnalogueOut(BaseModel):
    model_config = ConfigDict(extra="allow")

    well_id: Any = None
    time: Any = None
    type: Any = None
    similarity: Any = None
    time_to_start_s: Any = Field(None, description="seconds before its accident's start")
    rig_state: Any = None
    depth_m: Any = Field(None, description="hole depth at the window's end, if known")
    context: Any = Field(None, description="the well's static context (field, rig, mud, BHA)")
    window: Window | None = Field(
        description=(
            "null if the analogue's time is unreadable; the stored telemetry if this database "
            "has it, else the channel snippet shipped with the model or stored with the verdict"
        )
    )


class AlertWindow(BaseModel):
    id: int
    well_id: str
    time: datetime
    type: str
    window: Window


class AnaloguesOut(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "alert": {
                        "id": 42,
                        "well_id": "B-2",
                        "time": "2026-11-24T10:14:30Z",
                        "type": "stuck_pipe",
                        "window": {
                            "offsets_s": [-1800.0, -1794.0, 600.0],
                            "channels": {"HKLA": [1210.5, 1211.0, None]},
                        },
                    },
                    "analogues": [
                        {
                            "well_id": "SIM-3",
                            "time": "2026-10-02T04:10:00Z",
                            "type": "stuck_pipe",
                            "similarity": 0.87,
                            "window": {
                                "offsets_s": [-1800.0, 600.0],
                                "channels": {"HKLA": [1190.0, 1250.2]},
                            },
                        }
                    ],
                }
            ]
        }
    )

    alert: AlertWindow
    analogues: list[AnalogueOut]


@router.get("", summary="List alerts, newest first", response_model=list[AlertOut])
def list_alerts(
    db: DbDep,
    well_id: Annotated[str | None, NoNul] = None,
    type: Annotated[str | None, NoNul] = None,
    status: Annotated[
        Status | None, Query(description="`dismissed` lists the normal examples for retraining")
    ] = None,
    start: Annotated[datetime | None, TimeText, Query(description="ISO-8601 with offset")] = None,
    end: Annotated[datetime | None, TimeText, Query(description="ISO-8601 with offset")] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Annotated[int, Query(ge=0, le=INT64_MAX)] = 0,
) -> list[dict[str, Any]]:
    for name, value in (("start", start), ("end", end)):
        if value is not None and value.tzinfo is None:
            raise ApiError(422, name, f"{value.isoformat()} has no UTC offset")
    with db.connect() as conn:
        return repo.list_alerts(
            conn,
            well_id=well_id,
            type=type,
            status=status,
            start=start,
            end=end,
            limit=limit,
            offset=offset,
        )


@router.get(
    "/{alert_id}",
    summary="One alert with probabilities, evidence and audit trail",
    description="`accident_id` is the accident its confirm created (null if none).",
    response_model=ReviewedAlert,
)
def get_alert(alert_id: RowId, db: DbDep) -> dict[str, Any]:
    with db.connect() as conn:
        alert = repo.get_alert(conn, alert_id=alert_id)
        linked = repo.list_accidents(conn, alert_id=alert_id)
    return {**alert, "accident_id": linked[0]["id"] if linked else None}


# -- review -------------------------------------------------------------------------------


def _status_event(alert: dict[str, Any], accident_id: int | None) -> dict[str, Any]:
    last = alert["audit"][-1] if alert["audit"] else {}
    return {
        "id": alert["id"],
        "well_id": alert["well_id"],
        "type": alert["type"],
        "status": alert["status"],
        "who": last.get("who"),
        "comment": last.get("comment"),
        "at": last.get("at"),
        "accident_id": accident_id,
    }


def _set_status(
    db: Engine,
    alert_id: int,
    status: str,
    who: str,
    comment: str | None,
    model: ModelArtifact | None = None,
) -> dict:
    cases: list[dict[str, Any]] = []
    with db.begin() as conn:
        alert = repo.set_alert_status(
            conn, alert_id=alert_id, status=status, who=who, comment=comment
        )
        if status == "dismissed":
            # a dismissed alert is a normal example: its windows replace a confirm's, and
            # the accident its confirm created goes
            if model is not None:
                cases = verdicts.dismissed_cases(conn, model, alert=alert)
            repo.replace_analogue_cases(conn, alert_id=alert_id, cases=cases)
            repo.delete_alert_accidents(conn, alert_id=alert_id)
    if status == "dismissed" and model is not None:
        verdicts.apply_cases(model, alert_id, cases)
    return alert


def _confirm(
    db: Engine, alert_id: int, body: ConfirmBody, model: ModelArtifact
) -> tuple[dict[str, Any], int]:
    with db.begin() as conn:
        alert = repo.set_alert_status(
            conn, alert_id=alert_id, status="confirmed", who=body.who, comment=body.comment
        )
        start = body.start or alert["time"]
        if body.end is not None and body.end < start:
            raise ApiError(
                422, "end", f"{body.end.isoformat()} is before start {start.isoformat()}"
            )
        accident = repo.insert_accident(
            conn,
            well_id=alert["well_id"],
            type=body.type or alert["type"],
            start=start,
            end=body.end,
            depth_m=body.depth_m,
            notes=body.comment or "",
            source="alert",
            alert_id=alert_id,
        )
        cases = verdicts.confirmed_cases(conn, model, alert=alert, accident=accident)
        repo.replace_analogue_cases(conn, alert_id=alert_id, cases=cases)
    verdicts.apply_cases(model, alert_id, cases)
    return alert, int(accident["id"])


@router.post(
    "/{alert_id}/acknowledge",
    summary="Acknowledge an open alert",
    description="409 unless the alert is open.",
    response_model=ReviewedAlert,
)
async def acknowledge_alert(
    alert_id: RowId, body: AcknowledgeBody, db: DbDep, broadcaster: BroadcasterDep
) -> dict[str, Any]:
    alert = await anyio.to_thread.run_sync(
        _set_status, db, alert_id, "acknowledged", body.who, body.comment
    )
    broadcaster.publish("alert_status", _status_event(alert, None))
    return alert


@router.post(
    "/{alert_id}/confirm",
    summary="Confirm an alert: it becomes a labelled accident",
    description=(
        "Creates an accident (source `alert`, `alert_id` set) in the same transaction; its "
        "start, end and type default to the alert's time, none and type. Allowed from open, "
        "acknowledged or dismissed; 409 otherwise. The response carries `accident_id`. "
        "The accident's windows (every 120 s from start - 2 h to its end, or to the alert "
        "time + 10 min) join the analogue database (`GET /api/v1/analogues`), replacing "
        "those of an earlier dismiss."
    ),
    response_model=ReviewedAlert,
)
async def confirm_alert(
    alert_id: RowId, body: ConfirmBody, db: DbDep, broadcaster: BroadcasterDep, stream: StreamDep
) -> dict[str, Any]:
    alert, accident_id = await anyio.to_thread.run_sync(_confirm, db, alert_id, body, stream.model)
    broadcaster.publish("alert_status", _status_event(alert, accident_id))
    return {**alert, "accident_id": accident_id}


@router.post(
    "/{alert_id}/dismiss",
    summary="Dismiss an alert as a false alarm (reason required)",
    description=(
        "The reason is kept in the audit trail. Dismissed alerts are the normal examples for "
        "retraining (`GET /api/v1/alerts?status=dismissed`) and their windows (at the alert "
        "time and ±5 min) join the analogue database as `normal`. Dismissing a confirmed "
        "alert deletes the accident its confirm created and replaces its analogue windows. "
        "409 if already dismissed."
    ),
    response_model=ReviewedAlert,
)
async def dismiss_alert(
    alert_id: RowId, body: DismissBody, db: DbDep, broadcaster: BroadcasterDep, stream: StreamDep
) -> dict[str, Any]:
    alert = await anyio.to_thread.run_sync(
        _set_status, db, alert_id, "dismissed", body.who, body.reason, stream.model
    )
    broadcaster.publish("alert_status", _status_event(alert, None))
    return alert


def _comment(db: Engine, alert_id: int, who: str, comment: str) -> dict[str, Any]:
    with db.begin() as conn:
        return repo.add_alert_comment(conn, alert_id=alert_id, who=who, comment=comment)


@router.post(
    "/{alert_id}/comments",
    summary="Add a comment to an alert's audit trail",
    status_code=201,
    response_model=AlertOut,
)
def comment_alert(alert_id: RowId, body: CommentBody, db: DbDep) -> dict[str, Any]:
    return _comment(db, alert_id, body.who, body.comment)


# -- analogues ----------------------------------------------------------------------------


def _window(conn: Connection, well_id: str, at: datetime) -> dict[str, Any]:
    """The well's telemetry in [at - 30 min, at + 10 min], downsampled, relative to ``at``."""
    t_ns = datetime_to_ns(at)
    batch = telemetry_store.read_range(
        conn,
        well_id=well_id,
        start_ns=datetime_to_ns(at - WINDOW_BEFORE),
        end_ns=datetime_to_ns(at + WINDOW_AFTER),
    )
    batch = batch.thinned(WINDOW_MAX_POINTS)
    offsets = ((batch.times_ns - t_ns) / 1e9).round(3)
    return {
        "offsets_s": offsets.tolist(),
        "channels": {
            name: [None if np.isnan(v) else float(v) for v in values.tolist()]
            for name, values in batch.channels.items()
        },
    }


def _analogue_window(
    conn: Connection, model: ModelArtifact, well_id: str, at: datetime
) -> dict[str, Any]:
    """Stored telemetry if there is any, else the verdict's or the model's snippet."""
    window = _window(conn, well_id, at)
    if window["offsets_s"]:
        return window
    snippet = verdicts.case_snippet(conn, well_id, at)
    if snippet is None and model.analogues is not None:
        snippet = model.analogues.snippet(well_id, datetime_to_ns(at))
    return snippet or window


def _analogue_time(value: object) -> datetime | None:
    if isinstance(value, datetime):
        return value if value.tzinfo is not None else None
    try:
        return ns_to_datetime(parse_time(value, "time"))
    except BatchError:
        return None


def _similarity(analogue: dict[str, Any]) -> float:
    value = analogue.get("similarity")
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else 0.0


@router.get(
    "/{alert_id}/analogues",
    summary="The alert's most similar past events with aligned channel snippets",
    description=(
        "For the alert and each stored analogue (most similar first, at most `k`): the "
        "telemetry from 30 min before to 10 min after its time, as offsets in seconds from "
        "that time and channel columns (≤ 300 points each, null = missing). An analogue "
        "whose well's telemetry is not stored here (e.g. a training well of the model) gets "
        "its channel snippet instead (every 30 s), when the model or the verdict has one. "
        "An alert without stored analogues gives an empty `analogues` list."
    ),
    response_model=AnaloguesOut,
)
def get_analogues(
    alert_id: RowId, db: DbDep, stream: StreamDep, k: Annotated[int, Query(ge=1, le=50)] = 5
) -> dict[str, Any]:
    model = stream.model
    with db.connect() as conn:
        alert = repo.get_alert(conn, alert_id=alert_id)
        stored = [a for a in alert["analogues"] if isinstance(a, dict)]
        stored.sort(key=_similarity, reverse=True)
        analogues = []
        for analogue in stored[:k]:
            at = _analogue_time(analogue.get("time"))
            well_id = analogue.get("well_id")
            window = (
                _analogue_window(conn, model, well_id, at)
                if at and isinstance(well_id, str)
                else None
            )
            analogues.append({**analogue, "window": window})
        own = _window(conn, alert["well_id"], alert["time"])
    return {
        "alert": {
            "id": alert["id"],
            "well_id": alert["well_id"],
            "time": alert["time"],
            "type": alert["type"],
            "window": own,
        },
        "analogues": analogues,
    }
