"""Wells: the fleet list with each well's live status."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter

from pipelines.batch import validate_well_id
from service.db import repo
from service.deps import DbDep, SettingsDep

router = APIRouter(prefix="/api/v1/wells", tags=["wells"])


def _with_status(well: dict[str, Any], open_by_type: dict[str, int], stale_after: float) -> dict:
    last = well.get("last_sample_at")
    age = (datetime.now(UTC) - last).total_seconds() if last else None
    return {
        **well,
        "last_sample_age_s": age,
        "data_gap": age is None or age > stale_after,
        "open_alerts": open_by_type,
    }


@router.get("", summary="List wells with rig state, last sample age and open alerts")
def list_wells(db: DbDep, settings: SettingsDep) -> list[dict[str, Any]]:
    with db.connect() as conn:
        wells = repo.list_wells(conn)
        open_alerts = repo.list_alerts(conn, status="open", limit=10_000)
    counts: dict[str, dict[str, int]] = {}
    for alert in open_alerts:
        per = counts.setdefault(alert["well_id"], {})
        per[alert["type"]] = per.get(alert["type"], 0) + 1
    return [_with_status(w, counts.get(w["id"], {}), settings.stale_after_seconds) for w in wells]


@router.get("/{well_id}", summary="One well with its status")
def get_well(well_id: str, db: DbDep, settings: SettingsDep) -> dict[str, Any]:
    validate_well_id(well_id)
    with db.connect() as conn:
        well = repo.get_well(conn, well_id=well_id)
        open_alerts = repo.list_alerts(conn, well_id=well_id, status="open", limit=10_000)
    counts: dict[str, int] = {}
    for alert in open_alerts:
        counts[alert["type"]] = counts.get(alert["type"], 0) + 1
    return _with_status(well, counts, settings.stale_after_seconds)
