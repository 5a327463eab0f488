"""Telemetry: columnar batch ingest and range reads."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

import anyio
from fastapi import APIRouter, Query, Request

from models.rigstate import RigState, rig_states
from pipelines.live.quality import check as check_quality
from pipelines.telemetry import (
    BatchError,
    TelemetryBatch,
    datetime_to_ns,
    decode_json,
    ns_to_datetime,
    parse_batch,
    validate_well_id,
)
from service.db import repo, telemetry_store
from service.deps import BroadcasterDep, DbDep, IngestorDep, MetricsDep, SettingsDep, TimeText
from service.errors import ApiError

router = APIRouter(prefix="/api/v1/wells", tags=["telemetry"])

BATCH_EXAMPLE = {
    "time": ["2026-11-24T10:00:00Z", "2026-11-24T10:00:01Z", "2026-11-24T11:00:02+01:00"],
    "channels": {
        "HKLA": [1210.5, 1211.0, None],
        "SPPA": [18250.0, 18240.0, 18262.5],
        "MFIA": [3200.0, 3200.0, 3190.0],
    },
}


async def read_limited(request: Request, limit: int) -> bytes:
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise BatchError("body", f"{declared} bytes is over the limit of {limit}", status=413)
    body = bytearray()
    async for chunk in request.stream():
        body.extend(chunk)
        if len(body) > limit:
            raise BatchError("body", f"more than the limit of {limit} bytes", status=413)
    return bytes(body)


@router.post(
    "/{well_id}/telemetry",
    summary="Ingest a columnar batch of telemetry",
    description=(
        "Times are ISO-8601 with an offset and must strictly increase; each channel is a list "
        "of numbers or null (missing), as long as `time`. Stored durably before the response; "
        "samples already stored for the well are ignored (idempotent). Unknown wells are "
        "created. Errors: 400 malformed JSON, 413 body too large, 422 invalid content."
    ),
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {
                    "schema": {
                        "type": "object",
                        "required": ["time", "channels"],
                        "properties": {
                            "time": {"type": "array", "items": {"type": "string"}},
                            "channels": {
                                "type": "object",
                                "additionalProperties": {
                                    "type": "array",
                                    "items": {"type": ["number", "null"]},
                                },
                            },
                        },
                    },
                    "example": BATCH_EXAMPLE,
                }
            },
        }
    },
)
async def ingest_telemetry(
    well_id: str,
    request: Request,
    settings: SettingsDep,
    ingestor: IngestorDep,
    broadcaster: BroadcasterDep,
    metrics: MetricsDep,
) -> dict[str, Any]:
    validate_well_id(well_id)
    content_type = request.headers.get("content-type", "application/json")
    if "json" not in content_type:
        raise BatchError("content-type", f"{content_type!r} is not application/json", status=415)
    body = await read_limited(request, settings.max_body_bytes)
    batch = parse_batch(decode_json(body), max_samples=settings.max_batch_samples)
    result = await anyio.to_thread.run_sync(ingestor.ingest, well_id, batch)
    metrics.count_ingest(
        received=result.received,
        stored=result.stored,
        alert_types=[str(a["type"]) for a in result.alerts],
    )
    for alert in result.alerts:
        broadcaster.publish("alert", alert)
    for notice in result.notices:
        broadcaster.publish("quality", notice.as_dict())
    broadcaster.publish(
        "well",
        {
            "id": well_id,
            "last_sample_at": result.last_sample_at,
            "rig_state": result.rig_state,
            "created": result.well_created,
        },
    )
    return result.as_dict()


Start = Annotated[datetime | None, TimeText, Query(description="ISO-8601 with offset")]
End = Annotated[datetime | None, TimeText, Query(description="ISO-8601 with offset")]


def _stored(
    db: DbDep, well_id: str, start: datetime | None, end: datetime | None
) -> TelemetryBatch:
    """A well's stored telemetry in [start, end], after checking the well and the range."""
    validate_well_id(well_id)
    for name, value in (("start", start), ("end", end)):
        if value is not None and value.tzinfo is None:
            raise ApiError(422, name, f"{value.isoformat()} has no UTC offset")
    if start and end and end < start:
        raise ApiError(422, "end", "is before start")
    with db.connect() as conn:
        repo.get_well(conn, well_id=well_id)
        return telemetry_store.read_range(
            conn,
            well_id=well_id,
            start_ns=datetime_to_ns(start) if start else None,
            end_ns=datetime_to_ns(end) if end else None,
        )


@router.get("/{well_id}/telemetry", summary="Read stored telemetry in the ingest's shape")
def read_telemetry(
    well_id: str,
    db: DbDep,
    start: Start = None,
    end: End = None,
    max_points: Annotated[int, Query(ge=2, le=100_000)] = 5000,
    rig_state: Annotated[
        bool, Query(description="also return the rig state of every sample returned")
    ] = False,
) -> dict[str, Any]:
    batch = _stored(db, well_id, start, end)
    keep = batch.thin_index(max_points)
    body = batch.select(keep).to_json_dict()
    if rig_state:
        # States come from the full-resolution samples (block motion needs neighbours).
        states = rig_states(batch.times_ns, batch.channels)[keep]
        body["rig_state"] = [RigState(int(s)).label for s in states]
    return body


@router.get(
    "/{well_id}/quality",
    summary="Data-quality notices over stored telemetry (gaps, flat lines, ranges, units)",
    description=(
        "Computed from the stored samples in [start, end] (default: the well's last 2 hours "
        "of data). Kept apart from accident alerts. Each notice: well_id, channel ('*' for "
        "gaps), kind (gap, flatline, out_of_range, unit_suspect), start, end, detail."
    ),
)
def read_quality(
    well_id: str, db: DbDep, start: Start = None, end: End = None
) -> list[dict[str, Any]]:
    validate_well_id(well_id)
    if start is None and end is None:
        with db.connect() as conn:
            span = telemetry_store.time_range(conn, well_id=well_id)
        if span is not None:
            start = ns_to_datetime(span[1] - DEFAULT_QUALITY_SPAN_NS)
    batch = _stored(db, well_id, start, end)
    return [n.as_dict() for n in check_quality(well_id, batch.times_ns, batch.channels)]


DEFAULT_QUALITY_SPAN_NS = 2 * 3600 * 1_000_000_000
