"""Reading the stored history back: wells' telemetry and their recorded accidents, as the
offline tools (backtests, exports) take them."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from sqlalchemy import Engine

from pipelines.telemetry import Accident, TelemetryBatch
from service.db import repo, telemetry_store


def unknown_wells(db: Engine, well_ids: Sequence[str]) -> list[str]:
    """The ids in ``well_ids`` that name no stored well, in their order."""
    with db.connect() as conn:
        known = {w["id"] for w in repo.list_wells(conn)}
    return [w for w in well_ids if w not in known]


def read_wells(
    db: Engine,
    well_ids: Sequence[str],
    *,
    on_read: Callable[[str, int, TelemetryBatch], None] | None = None,
) -> tuple[dict[str, TelemetryBatch], list[Accident]]:
    """All stored telemetry of the wells (``on_read(well, n, batch)`` after each) and the
    accidents recorded on them."""
    wells: dict[str, TelemetryBatch] = {}
    with db.connect() as conn:
        for i, well_id in enumerate(well_ids, start=1):
            wells[well_id] = telemetry_store.read_range(conn, well_id=well_id)
            if on_read is not None:
                on_read(well_id, i, wells[well_id])
        accidents = [
            Accident(a["well_id"], a["type"], a["start"], a["end"])
            for a in repo.list_accidents(conn)
            if a["well_id"] in wells
        ]
    return wells, accidents


def read_well(
    db: Engine, well_id: str, *, start_ns: int | None = None, end_ns: int | None = None
) -> TelemetryBatch:
    """A stored well's telemetry in [start_ns, end_ns]; ``repo.NotFound`` if no such well."""
    with db.connect() as conn:
        repo.get_well(conn, well_id=well_id)
        return telemetry_store.read_range(conn, well_id=well_id, start_ns=start_ns, end_ns=end_ns)
