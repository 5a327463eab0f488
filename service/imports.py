"""Importing history into the store: a telemetry file's samples (all or nothing) and
labelled accidents, each in one transaction."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine

from models.rigstate import RigState, rig_states
from pipelines.formats.imports import overlap_conflicts
from pipelines.telemetry import TelemetryBatch
from service.db import repo, telemetry_store

DAY_NS = 86_400 * 1_000_000_000


class ImportConflict(Exception):
    """The well already has samples at the file's times with other values of these channels
    (samples by channel); stored values are never overwritten, so nothing was stored."""

    def __init__(self, well_id: str, conflicts: Mapping[str, int]) -> None:
        super().__init__(f"well {well_id}: conflicting values of {sorted(conflicts)}")
        self.well_id = well_id
        self.conflicts = dict(conflicts)


@dataclass(frozen=True)
class Imported:
    """Samples stored that the well did not have, and values added to samples it had."""

    new: int
    added: int


# called after each day of the file is stored: (day, days, new so far, added so far)
DayProgress = Callable[[int, int, int, int], None]


def import_telemetry(
    db: Engine, *, well_id: str, batch: TelemetryBatch, on_day: DayProgress | None = None
) -> Imported:
    """Store ``batch`` under ``well_id``, merging it into samples already stored at the same
    times; ``ImportConflict`` (and nothing stored) if it has other values of a stored
    channel. The well's newest sample and rig state move forward, never back."""
    new = added = 0
    days = max(1, int((batch.times_ns[-1] - batch.times_ns[0]) // DAY_NS) + 1)
    # One transaction, the well locked from the conflict check on: all or nothing.
    with db.connect() as conn, conn.begin():
        repo.ensure_well(conn, well_id=well_id)
        repo.lock_well(conn, well_id=well_id)
        before = telemetry_store.read_range(
            conn,
            well_id=well_id,
            start_ns=int(batch.times_ns[0]),
            end_ns=int(batch.times_ns[-1]),
            channels=list(batch.channels),
        )
        conflicts = overlap_conflicts(before, batch)
        if conflicts:
            raise ImportConflict(well_id, conflicts)  # rolls the transaction back
        for i in range(days):
            lo = batch.times_ns[0] + i * DAY_NS
            part = batch.select((batch.times_ns >= lo) & (batch.times_ns < lo + DAY_NS))
            if len(part):
                n_new, n_added = telemetry_store.merge_batch(conn, well_id=well_id, batch=part)
                new, added = new + n_new, added + n_added
            if on_day is not None:
                on_day(i + 1, days, new, added)
        # the fleet view and the well page start from the newest sample (never moved back)
        state = RigState(int(rig_states(batch.times_ns, batch.channels)[-1])).label
        repo.touch_well(conn, well_id=well_id, last_sample_at=batch.end, rig_state=state)
    return Imported(new=new, added=added)


def import_accidents(db: Engine, rows: Sequence[Mapping[str, Any]]) -> int:
    """Store labelled accidents (``repo.insert_accidents`` rows), creating their wells;
    returns how many were stored."""
    with db.begin() as conn:
        for well_id in sorted({str(r["well_id"]) for r in rows}):
            repo.ensure_well(conn, well_id=well_id)
        return repo.insert_accidents(conn, rows=rows)
