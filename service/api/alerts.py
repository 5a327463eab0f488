"""Alerts: list and filter, read one."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query

from service.db import repo
from service.deps import DbDep
from service.errors import ApiError

router = APIRouter(prefix="/api/v1/alerts", tags=["alerts"])

Status = Literal["open", "acknowledged", "confirmed", "dismissed"]


@router.get("", summary="List alerts, newest first")
def list_alerts(
    db: DbDep,
    well_id: str | None = None,
    type: str | None = None,
    status: Status | None = None,
    start: Annotated[datetime | None, Query(description="ISO-8601 with offset")] = None,
    end: Annotated[datetime | None, Query(description="ISO-8601 with offset")] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Annotated[int, Query(ge=0)] = 0,
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


@router.get("/{alert_id}", summary="One alert with probabilities, evidence and audit trail")
def get_alert(alert_id: int, db: DbDep) -> dict[str, Any]:
    with db.connect() as conn:
        return repo.get_alert(conn, alert_id=alert_id)
