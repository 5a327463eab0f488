"""The in-memory telemetry batch shared by ingest, storage, simulation and features.

A batch is columnar: strictly increasing UTC instants as int64 nanoseconds since the epoch,
and one float64 array per channel (NaN = missing). ``parse_batch`` turns the JSON body of
``POST /api/v1/wells/{well_id}/telemetry`` into a batch or raises ``BatchError`` naming the
field and the reason.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
import orjson
import pandas as pd

WELL_ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
CHANNEL_RE = re.compile(r"^[A-Za-z][A-Za-z0-9_.-]{0,31}$")
NS_PER_S = 1_000_000_000


class BatchError(ValueError):
    """A batch was refused: ``field`` says where, ``reason`` says why."""

    def __init__(self, field: str, reason: str, *, status: int = 422) -> None:
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason
        self.status = status


@dataclass
class TelemetryBatch:
    times_ns: np.ndarray  # int64, strictly increasing, UTC ns since epoch
    channels: dict[str, np.ndarray] = field(default_factory=dict)  # float64, NaN = missing

    def __len__(self) -> int:
        return int(self.times_ns.shape[0])

    @property
    def start(self) -> datetime:
        return ns_to_datetime(int(self.times_ns[0]))

    @property
    def end(self) -> datetime:
        return ns_to_datetime(int(self.times_ns[-1]))

    def select(self, mask: np.ndarray | slice) -> TelemetryBatch:
        return TelemetryBatch(
            self.times_ns[mask], {name: values[mask] for name, values in self.channels.items()}
        )

    def thin_index(self, max_points: int) -> np.ndarray:
        """At most max_points evenly spaced sample indices, first and last included."""
        n = len(self)
        if n <= max_points:
            return np.arange(n)
        return np.unique(np.linspace(0, n - 1, max_points).round().astype(np.int64))

    def thinned(self, max_points: int) -> TelemetryBatch:
        """At most max_points evenly spaced samples (for charts)."""
        return self if len(self) <= max_points else self.select(self.thin_index(max_points))

    def to_frame(self) -> pd.DataFrame:
        index = pd.DatetimeIndex(pd.to_datetime(self.times_ns, unit="ns", utc=True), name="time")
        return pd.DataFrame(self.channels, index=index)

    @classmethod
    def from_frame(cls, frame: pd.DataFrame) -> TelemetryBatch:
        """From a frame indexed by tz-aware time; the index must be strictly increasing."""
        index = frame.index
        if not isinstance(index, pd.DatetimeIndex) or index.tz is None:
            raise BatchError("time", "index must be timezone-aware time stamps")
        times = index.tz_convert("UTC").as_unit("ns").asi8.astype(np.int64)
        channels = {
            str(col): frame[col].to_numpy(dtype=np.float64, na_value=np.nan)
            for col in frame.columns
        }
        return cls(times, channels)

    def to_json_dict(self) -> dict[str, Any]:
        return {
            "time": [ns_to_iso(int(t)) for t in self.times_ns],
            "channels": {
                name: [None if math.isnan(v) else float(v) for v in values.tolist()]
                for name, values in self.channels.items()
            },
        }


def chunks(batch: TelemetryBatch, seconds: float) -> Iterator[TelemetryBatch]:
    """Split a batch into consecutive batches of less than ``seconds`` of data each (as a rig
    sends them; also how the live path bounds what it feeds at once)."""
    if len(batch) == 0:
        return
    bucket = (batch.times_ns - batch.times_ns[0]) // int(seconds * NS_PER_S)
    edges = np.flatnonzero(np.diff(bucket)) + 1
    for lo, hi in zip(np.r_[0, edges], np.r_[edges, len(batch)], strict=True):
        yield batch.select(slice(int(lo), int(hi)))


def ns_to_datetime(ns: int) -> datetime:
    return datetime.fromtimestamp(ns / NS_PER_S, tz=UTC)


def datetime_to_ns(value: datetime) -> int:
    if value.tzinfo is None:
        raise BatchError("time", f"{value.isoformat()} has no UTC offset")
    return int(pd.Timestamp(value).as_unit("ns").value)


def ns_to_iso(ns: int) -> str:
    return pd.Timestamp(ns, unit="ns", tz="UTC").isoformat().replace("+00:00", "Z")


def parse_time(value: Any, field_name: str) -> int:
    """ISO-8601 with an offset → UTC ns. Naive times are refused: they are ambiguous."""
    if not isinstance(value, str):
        raise BatchError(field_name, f"expected an ISO-8601 string, got {value!r}")
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise BatchError(field_name, f"{value!r} is not an ISO-8601 time stamp") from None
    if parsed.tzinfo is None:
        raise BatchError(field_name, f"{value!r} has no UTC offset (add Z or +hh:mm)")
    return datetime_to_ns(parsed)


class _NonFinite(float):
    """Marks NaN/Infinity literals in the JSON so validation can name where they were."""


def _parse_constant(token: str) -> _NonFinite:
    return _NonFinite(float(token))


def decode_json(body: bytes) -> Any:
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        # orjson refuses NaN/Infinity; the standard parser tells where they are.
        try:
            return json.loads(body, parse_constant=_parse_constant)
        except (ValueError, UnicodeDecodeError):
            raise BatchError("body", f"malformed JSON: {exc}", status=400) from None


def validate_well_id(well_id: str) -> str:
    if not WELL_ID_RE.match(well_id):
        raise BatchError(
            "well_id",
            f"{well_id!r} is not a valid well id (1-64 of letters, digits, '.', '_', '-', "
            "starting with a letter or digit)",
        )
    return well_id


def parse_batch(payload: Any, *, max_samples: int) -> TelemetryBatch:
    """Validate a decoded JSON batch ``{"time": [...], "channels": {name: [...]}}``."""
    if not isinstance(payload, dict):
        raise BatchError("body", "expected a JSON object with 'time' and 'channels'")
    unknown = set(payload) - {"time", "channels", "units"}
    if unknown:
        raise BatchError(sorted(unknown)[0], "unknown field")
    times = payload.get("time")
    if not isinstance(times, list):
        raise BatchError("time", "required: a list of ISO-8601 time stamps with offsets")
    if not times:
        raise BatchError("time", "empty: a batch needs at least one sample")
    if len(times) > max_samples:
        raise BatchError("time", f"{len(times)} samples is over the limit of {max_samples}")
    channels = payload.get("channels")
    if not isinstance(channels, dict):
        raise BatchError("channels", "required: an object of channel name -> list of values")
    if not channels:
        raise BatchError("channels", "empty: a batch needs at least one channel")

    times_ns = np.fromiter(
        (parse_time(t, f"time[{i}]") for i, t in enumerate(times)), dtype=np.int64, count=len(times)
    )
    steps = np.diff(times_ns)
    if steps.size and (steps <= 0).any():
        i = int(np.argmax(steps <= 0)) + 1
        what = "duplicated" if steps[i - 1] == 0 else "out of order"
        raise BatchError(
            f"time[{i}]",
            f"{times[i]} is {what} (previous {times[i - 1]}); times must strictly increase",
        )

    arrays: dict[str, np.ndarray] = {}
    for name, values in channels.items():
        where = f"channels.{name}"
        if not CHANNEL_RE.match(name):
            raise BatchError(where, "channel names are 1-32 letters, digits, '_', '.', '-'")
        if not isinstance(values, list):
            raise BatchError(where, "expected a list of numbers or nulls")
        if len(values) != len(times):
            raise BatchError(where, f"has {len(values)} values but time has {len(times)}")
        for i, v in enumerate(values):
            kind = type(v)
            if kind is float:
                if not math.isfinite(v):
                    raise BatchError(f"{where}[{i}]", f"{v} is not finite; send null if missing")
            elif v is not None and kind is not int:
                if isinstance(v, _NonFinite):
                    raise BatchError(f"{where}[{i}]", f"{v} is not finite; send null if missing")
                raise BatchError(f"{where}[{i}]", f"expected a number or null, got {v!r}")
        arrays[name] = np.array(values, dtype=np.float64)  # None -> NaN
    units = payload.get("units") or {}
    if not isinstance(units, dict) or not all(isinstance(u, str) for u in units.values()):
        raise BatchError(
            "units", 'expected an object of channel name -> unit, e.g. {"HKLA": "klbf"}'
        )
    return apply_units(TelemetryBatch(times_ns, arrays), units)


def apply_units(batch: TelemetryBatch, units: Mapping[str, str]) -> TelemetryBatch:
    """Convert the named channels from their declared units to the internal units."""
    if not units:
        return batch
    from pipelines.formats.units import UnitError, convert

    channels = dict(batch.channels)
    for name, unit in units.items():
        if name not in channels:
            raise BatchError(f"units.{name}", "no such channel in the batch")
        try:
            channels[name] = convert(channels[name], unit, name)
        except UnitError as exc:
            raise BatchError(f"units.{name}", exc.reason) from None
    return TelemetryBatch(batch.times_ns, channels)


# Accidents and alerts as every part scores them (docs/domain.md, "How detection is scored"):
# detected by an alert in [start - LOOKBACK, end]; end = start + DEFAULT_DURATION if unknown.
LOOKBACK = timedelta(hours=2)
DEFAULT_DURATION = timedelta(minutes=30)


@dataclass(frozen=True)
class Accident:
    well_id: str
    type: str
    start: datetime
    end: datetime | None = None
    # when its first signs began, if the record says so (the simulator's manifest does)
    precursor_start: datetime | None = None
    # when the crew began to react (picked up off bottom, flow-checked), if the record says so
    noticed: datetime | None = None

    @property
    def window(self) -> tuple[datetime, datetime]:
        return self.start - LOOKBACK, self.end or (self.start + DEFAULT_DURATION)

    def developing(self, time: datetime) -> bool:
        """Whether its recorded precursor is under way at ``time`` (before the start)."""
        return self.precursor_start is not None and self.precursor_start <= time < self.start


@dataclass(frozen=True)
class Alert:
    well_id: str
    time: datetime
    type: str
    probability: float = 1.0
