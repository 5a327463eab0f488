"""Wells: create and update static context; the fleet list with each well's live status."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field, field_validator

from pipelines.telemetry import BatchError, validate_well_id
from service.db import repo
from service.deps import DbDep, SettingsDep, reject_nul

router = APIRouter(prefix="/api/v1/wells", tags=["wells"])

WELL_EXAMPLE: dict[str, Any] = {
    "name": "Bravo 2",
    "field": "Volve",
    "rig": "Maersk Integrator",
    "mud_type": "OBM",
    "bha": "8.5in PDC, RSS, MWD",
    "timezone": "Europe/Oslo",
    "extra": {"operator": "Equinor", "spud_date": "2026-10-02"},
}


def _check_timezone(value: str | None) -> str | None:
    if value is None:
        return None
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"{value!r} is not an IANA time zone (e.g. 'Europe/Oslo')") from None
    return value


class WellUpdate(BaseModel):
    """Static context of a well; every field is optional (``extra`` is replaced whole)."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [WELL_EXAMPLE]})

    name: str | None = Field(default=None, max_length=200)
    field: str | None = Field(default=None, max_length=200)
    rig: str | None = Field(default=None, max_length=200)
    mud_type: str | None = Field(default=None, max_length=100)
    bha: str | None = None
    timezone: str | None = Field(default=None, description="IANA zone, e.g. Europe/Oslo")
    extra: dict[str, Any] | None = Field(default=None, description="Free-form metadata")

    @field_validator("timezone")
    @classmethod
    def _timezone(cls, value: str | None) -> str | None:
        return _check_timezone(value)

    @field_validator("name", "field", "rig", "mud_type", "bha", "extra")
    @classmethod
    def _no_nul(cls, value: Any) -> Any:
        return reject_nul(value)


class WellCreate(WellUpdate):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"id": "B-2", **WELL_EXAMPLE}]}
    )

    id: str = Field(description="1-64 of letters, digits, '.', '_', '-'")

    @field_validator("id")
    @classmethod
    def _id(cls, value: str) -> str:
        try:
            return validate_well_id(value)
        except BatchError as exc:
            raise ValueError(exc.reason) from None


class WellOut(BaseModel):
    model_config = ConfigDict(
        extra="allow",
        json_schema_extra={
            "examples": [
                {
                    "id": "B-2",
                    **WELL_EXAMPLE,
                    "created_at": "2026-11-24T09:00:00Z",
                    "last_sample_at": "2026-11-24T10:00:02Z",
                    "last_rig_state": "rotary_drilling",
                    "last_sample_age_s": 1.4,
                    "data_gap": False,
                    "open_alerts": {"kick": 1},
                }
            ]
        },
    )

    id: str
    name: str | None = None
    field: str | None = None
    rig: str | None = None
    mud_type: str | None = None
    bha: str | None = None
    timezone: str
    extra: dict[str, Any]
    created_at: datetime
    last_sample_at: datetime | None = None
    last_rig_state: str | None = None
    last_sample_age_s: float | None = Field(default=None, description="now - last sample time")
    data_gap: bool = Field(default=True, description="no sample for stale_after_seconds")
    open_alerts: dict[str, int] = Field(default_factory=dict, description="open alerts by type")


def _with_status(well: dict[str, Any], open_by_type: dict[str, int], stale_after: float) -> dict:
    last = well.get("last_sample_at")
    age = (datetime.now(UTC) - last).total_seconds() if last else None
    return {
        **well,
        "last_sample_age_s": age,
        "data_gap": age is None or age > stale_after,
        "open_alerts": open_by_type,
    }


@router.get(
    "",
    summary="List wells with rig state, last sample age and open alerts",
    response_model=list[WellOut],
)
def list_wells(db: DbDep, settings: SettingsDep) -> list[dict[str, Any]]:
    with db.connect() as conn:
        wells = repo.list_wells(conn)
        open_alerts = repo.list_alerts(conn, status="open", limit=10_000)
    counts: dict[str, dict[str, int]] = {}
    for alert in open_alerts:
        per = counts.setdefault(alert["well_id"], {})
        per[alert["type"]] = per.get(alert["type"], 0) + 1
    return [_with_status(w, counts.get(w["id"], {}), settings.stale_after_seconds) for w in wells]


@router.post(
    "",
    summary="Create a well with its static context",
    description="409 if the id exists already (wells are also created by their first ingest).",
    status_code=201,
    response_model=WellOut,
)
def create_well(body: WellCreate, db: DbDep, settings: SettingsDep) -> dict[str, Any]:
    fields = body.model_dump(exclude={"id"}, exclude_none=True)
    with db.begin() as conn:
        well = repo.create_well(conn, well_id=body.id, **fields)
    return _with_status(well, {}, settings.stale_after_seconds)


def _well_status(db: DbDep, well_id: str, stale_after: float) -> dict[str, Any]:
    with db.connect() as conn:
        well = repo.get_well(conn, well_id=well_id)
        open_alerts = repo.list_alerts(conn, well_id=well_id, status="open", limit=10_000)
    counts: dict[str, int] = {}
    for alert in open_alerts:
        counts[alert["type"]] = counts.get(alert["type"], 0) + 1
    return _with_status(well, counts, stale_after)


@router.get("/{well_id}", summary="One well with its status", response_model=WellOut)
def get_well(well_id: str, db: DbDep, settings: SettingsDep) -> dict[str, Any]:
    validate_well_id(well_id)
    return _well_status(db, well_id, settings.stale_after_seconds)


@router.patch(
    "/{well_id}",
    summary="Update a well's static context",
    description="Only the fields given change; `extra` is replaced as a whole. "
    "`timezone` cannot be null.",
    response_model=WellOut,
)
def update_well(well_id: str, body: WellUpdate, db: DbDep, settings: SettingsDep) -> dict[str, Any]:
    validate_well_id(well_id)
    fields = body.model_dump(exclude_unset=True)
    if "timezone" in fields and fields["timezone"] is None:
        raise BatchError("timezone", "cannot be null")
    with db.begin() as conn:
        repo.update_well(conn, well_id=well_id, **fields)
    return _well_status(db, well_id, settings.stale_after_seconds)
