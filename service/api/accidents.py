"""Accidents: labelled events (from imports, users and confirmed alerts) for training."""

from __future__ import annotations

import tempfile
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any

import anyio
from fastapi import APIRouter, Query, Request, Response
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from models.channels import ACCIDENT_TYPES
from pipelines.formats.files import TYPE_RE, FileFormatError, read_accidents_file
from pipelines.telemetry import BatchError
from service.api.telemetry import read_limited
from service.db import repo
from service.deps import DbDep, NoNul, RowId, SettingsDep, TimeText
from service.errors import ApiError

router = APIRouter(prefix="/api/v1/accidents", tags=["accidents"])

TYPE_FIELD = Field(
    pattern=TYPE_RE.pattern,
    description=(
        f"snake_case accident type; built-in: {', '.join(ACCIDENT_TYPES)} (others are allowed)"
    ),
)
ACCIDENT_EXAMPLE: dict[str, Any] = {
    "well_id": "B-2",
    "type": "stuck_pipe",
    "start": "2026-11-24T10:15:00Z",
    "end": "2026-11-24T11:40:00+01:00",
    "depth_m": 2450.5,
    "notes": "differential sticking after connection",
}


IsoDatetime = Annotated[AwareDatetime, TimeText]
CSV_EXAMPLE = (
    "well,type,start,end,depth,notes\n"
    "B-2,stuck_pipe,2026-11-24T10:15:00Z,2026-11-24T10:40:00Z,2450.5,after connection\n"
    "B-2,kick,2026-11-24T14:00:00Z,,,\n"
)


class AccidentCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [ACCIDENT_EXAMPLE]})

    well_id: Annotated[str, NoNul]
    type: Annotated[str, TYPE_FIELD]
    start: IsoDatetime = Field(description="ISO-8601 with offset")
    end: IsoDatetime | None = Field(default=None, description="ISO-8601 with offset; >= start")
    depth_m: float | None = Field(default=None, allow_inf_nan=False)
    notes: Annotated[str, NoNul] = ""


class AccidentUpdate(BaseModel):
    """Fields to change; the others are kept."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"end": "2026-11-24T10:55:00Z", "notes": "freed"}]},
    )

    type: Annotated[str | None, TYPE_FIELD] = None
    start: IsoDatetime | None = None
    end: IsoDatetime | None = None
    depth_m: float | None = Field(default=None, allow_inf_nan=False)
    notes: Annotated[str | None, NoNul] = None


class AccidentOut(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "id": 7,
                    **ACCIDENT_EXAMPLE,
                    "end": "2026-11-24T10:40:00Z",
                    "source": "user",
                    "alert_id": None,
                    "created_at": "2026-11-24T12:00:00Z",
                }
            ]
        }
    )

    id: int
    well_id: str
    type: str
    start: datetime
    end: datetime | None
    depth_m: float | None
    notes: str
    source: str = Field(description="import, user, alert or simulator")
    alert_id: int | None = Field(description="the confirmed alert it came from, if any")
    created_at: datetime


class ImportResult(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"imported": 2, "ids": [8, 9]}]})

    imported: int
    ids: list[int]


def _check_order(start: datetime | None, end: datetime | None) -> None:
    if start is not None and end is not None and end < start:
        raise ApiError(422, "end", f"{end.isoformat()} is before start {start.isoformat()}")


@router.post("", summary="Record an accident", status_code=201, response_model=AccidentOut)
def create_accident(body: AccidentCreate, db: DbDep) -> dict[str, Any]:
    _check_order(body.start, body.end)
    with db.begin() as conn:
        try:
            return repo.insert_accident(conn, **body.model_dump(), source="user")
        except repo.NotFound as exc:
            raise ApiError(422, "well_id", str(exc)) from None


@router.get("", summary="List accidents by well and start time", response_model=list[AccidentOut])
def list_accidents(
    db: DbDep,
    well_id: Annotated[str | None, NoNul] = None,
    type: Annotated[str | None, Query(description="accident type"), NoNul] = None,
) -> list[dict[str, Any]]:
    with db.connect() as conn:
        return repo.list_accidents(conn, well_id=well_id, type=type)


@router.post(
    "/import",
    summary="Import accidents from CSV (all or nothing)",
    description=(
        "Body `text/csv` with header `well,type,start,end[,depth,notes]`; times ISO-8601 with "
        "offsets, `end` may be empty. Every line is validated and every well must exist "
        "before anything is stored; a refusal is 422 naming the line."
    ),
    status_code=201,
    response_model=ImportResult,
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"text/csv": {"schema": {"type": "string"}, "example": CSV_EXAMPLE}},
        }
    },
)
async def import_accidents(request: Request, db: DbDep, settings: SettingsDep) -> dict[str, Any]:
    content_type = request.headers.get("content-type", "text/csv")
    if "csv" not in content_type and not content_type.startswith("text/plain"):
        raise BatchError("content-type", f"{content_type!r} is not text/csv", status=415)
    body = await read_limited(request, settings.max_body_bytes)
    return await anyio.to_thread.run_sync(_import_csv, db, body)


def _import_csv(db: DbDep, body: bytes) -> dict[str, Any]:
    if not body.strip():
        raise ApiError(422, "body", "is empty (expected a CSV header and lines)")
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "accidents.csv"
        path.write_bytes(body)
        try:
            rows = read_accidents_file(path)
        except FileFormatError as exc:
            raise ApiError(422, exc.where, exc.reason) from None
    with db.begin() as conn:
        known = {w["id"] for w in repo.list_wells(conn)}
        for i, row in enumerate(rows):
            if row.accident.well_id not in known:
                raise ApiError(422, f"line {i + 2}", f"well {row.accident.well_id!r} not found")
        ids = [
            repo.insert_accident(
                conn,
                well_id=row.accident.well_id,
                type=row.accident.type,
                start=row.accident.start,
                end=row.accident.end,
                depth_m=row.depth_m,
                notes=row.notes or "",
                source="import",
            )["id"]
            for row in rows
        ]
    return {"imported": len(ids), "ids": ids}


@router.get("/{accident_id}", summary="One accident", response_model=AccidentOut)
def get_accident(accident_id: RowId, db: DbDep) -> dict[str, Any]:
    with db.connect() as conn:
        return repo.get_accident(conn, accident_id=accident_id)


@router.patch(
    "/{accident_id}",
    summary="Correct an accident (type, times, depth, notes)",
    response_model=AccidentOut,
)
def update_accident(accident_id: RowId, body: AccidentUpdate, db: DbDep) -> dict[str, Any]:
    fields = body.model_dump(exclude_unset=True)
    for name in ("type", "start", "notes"):
        if name in fields and fields[name] is None:
            raise ApiError(422, name, "cannot be null")
    with db.begin() as conn:
        current = repo.get_accident(conn, accident_id=accident_id)
        _check_order(fields.get("start", current["start"]), fields.get("end", current["end"]))
        return repo.update_accident(conn, accident_id=accident_id, **fields)


@router.delete("/{accident_id}", summary="Delete an accident", status_code=204)
def delete_accident(accident_id: RowId, db: DbDep) -> Response:
    with db.begin() as conn:
        repo.delete_accident(conn, accident_id=accident_id)
    return Response(status_code=204)
