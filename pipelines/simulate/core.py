"""Units of time, the rig activity codes and the simulator's result types."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import IntEnum

import pandas as pd

from pipelines.simulate.profiles import WellProfile
from pipelines.telemetry import TelemetryBatch

MIN = 60
HOUR = 3600


class Activity(IntEnum):
    """Rig activity codes written to ``ACTC``.

    They describe the operation, as a rig-state engine or mud logger would log it, and
    never the accident: working stuck pipe is logged as circulating or static, a shut-in
    as static, a kill as circulating.
    """

    ROTARY_DRILLING = 1
    SLIDE_DRILLING = 2
    CONNECTION = 3
    REAMING = 4
    BACK_REAMING = 5
    CIRCULATING = 6
    TRIP_OUT = 7
    TRIP_IN = 8
    STATIC = 9
    FLOW_CHECK = 10


@dataclass(frozen=True)
class SimAccident:
    well_id: str
    type: str  # one of models.channels.ACCIDENT_TYPES
    start: datetime  # onset (what a driller would log), tz-aware UTC
    end: datetime  # end of the event (clipped to the last sample), tz-aware UTC
    precursor_start: datetime  # when the precursor signature begins (== start: none)
    depth_m: float  # bit depth at the onset
    severity: float = 1.0  # 0.25 (subtle) .. 1.0 (obvious)
    operation: str = ""  # operation at the onset: drill, circulate, back_ream, trip_out
    # when the simulated crew starts reacting (kick, lost circulation, twist-off: picks up off
    # bottom, flow-checks); None where the simulator has no such moment or it is past the end
    noticed: datetime | None = None


@dataclass
class SimWell:
    profile: WellProfile
    frame: pd.DataFrame  # 1 s, tz-aware UTC index "time", all CANONICAL columns, float64
    accidents: list[SimAccident]

    @property
    def well_id(self) -> str:
        return self.profile.well_id

    def to_batch(self) -> TelemetryBatch:
        """The frame as a ``TelemetryBatch`` (what ingest and the streamer work with)."""
        return TelemetryBatch.from_frame(self.frame)
