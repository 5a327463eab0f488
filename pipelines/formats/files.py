"""Telemetry and accident files: CSV / Parquet with a ``time`` column and one column per channel.

Readers validate the whole file before anything is used, and name the line and the reason
when they refuse it, so an import is all or nothing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from models.channels import ACCIDENT_TYPES
from pipelines.telemetry import Accident, BatchError, TelemetryBatch, parse_time

TYPE_RE = re.compile(r"^[a-z][a-z0-9_]{1,47}$")


class FileFormatError(ValueError):
    def __init__(self, path: Path, where: str, reason: str) -> None:
        super().__init__(f"{path}: {where}: {reason}")
        self.path, self.where, self.reason = path, where, reason


def _read_table(path: Path) -> pd.DataFrame:
    suffix = path.suffix.lower()
    try:
        if suffix == ".parquet":
            return pd.read_parquet(path)
        if suffix in (".csv", ".gz"):
            return pd.read_csv(path, dtype={"time": str}, keep_default_na=True)
    except FileNotFoundError:
        raise FileFormatError(path, "file", "does not exist") from None
    except (ValueError, OSError, pd.errors.ParserError) as exc:
        raise FileFormatError(path, "file", f"cannot be read ({exc})") from None
    raise FileFormatError(path, "file", f"unsupported extension {suffix!r} (csv or parquet)")


def read_telemetry_file(path: Path) -> TelemetryBatch:
    """Read a telemetry file into one batch sorted by time; refuses bad lines by number."""
    frame = _read_table(path)
    if "time" not in frame.columns:
        raise FileFormatError(path, "header", "no 'time' column")
    line_offset = 2  # header is line 1 in CSV
    raw_times = frame["time"]
    if isinstance(raw_times.dtype, pd.DatetimeTZDtype):
        times = raw_times.dt.tz_convert("UTC").astype("datetime64[ns, UTC]")
        times_ns = times.array.asi8.astype(np.int64)
    else:
        values = np.empty(len(raw_times), dtype=np.int64)
        for i, value in enumerate(raw_times.tolist()):
            try:
                values[i] = parse_time(value, "time")
            except BatchError as exc:
                raise FileFormatError(path, f"line {i + line_offset}", exc.reason) from None
        times_ns = values
    channels: dict[str, np.ndarray] = {}
    for name in frame.columns:
        if name == "time":
            continue
        column = pd.to_numeric(frame[name], errors="coerce")
        bad = column.isna() & frame[name].notna()
        if bad.any():
            i = int(np.flatnonzero(bad.to_numpy())[0])
            raise FileFormatError(
                path,
                f"line {i + line_offset}",
                f"column {name}: {frame[name].iloc[i]!r} is not a number",
            )
        arr = column.to_numpy(dtype=np.float64, na_value=np.nan)
        if np.isinf(arr).any():
            i = int(np.flatnonzero(np.isinf(arr))[0])
            raise FileFormatError(path, f"line {i + line_offset}", f"column {name}: not finite")
        channels[str(name)] = arr
    order = np.argsort(times_ns, kind="stable")
    times_sorted = times_ns[order]
    dup = np.flatnonzero(np.diff(times_sorted) == 0)
    if dup.size:
        i = int(order[dup[0] + 1])
        raise FileFormatError(path, f"line {i + line_offset}", "duplicated time stamp")
    return TelemetryBatch(times_sorted, {k: v[order] for k, v in channels.items()})


@dataclass(frozen=True)
class AccidentRow:
    accident: Accident
    depth_m: float | None
    notes: str | None


def read_accidents_file(path: Path) -> list[AccidentRow]:
    """CSV: well,type,start,end[,depth,notes]. Types must be known accident types."""
    frame = _read_table(path)
    missing = {"well", "type", "start"} - set(frame.columns)
    if missing:
        raise FileFormatError(path, "header", f"missing columns {sorted(missing)}")
    rows: list[AccidentRow] = []
    for i, rec in enumerate(frame.to_dict("records")):
        where = f"line {i + 2}"
        kind = str(rec["type"])
        if not TYPE_RE.match(kind):
            raise FileFormatError(
                path,
                where,
                f"accident type {kind!r} is not a snake_case name (built-in types: "
                f"{', '.join(ACCIDENT_TYPES)}; others are allowed)",
            )
        try:
            start = pd.Timestamp(parse_time(rec["start"], "start"), tz="UTC").to_pydatetime()
            end_raw = rec.get("end")
            end = (
                None
                if end_raw is None or (isinstance(end_raw, float) and np.isnan(end_raw))
                else pd.Timestamp(parse_time(end_raw, "end"), tz="UTC").to_pydatetime()
            )
        except BatchError as exc:
            raise FileFormatError(path, where, f"{exc.field}: {exc.reason}") from None
        if end is not None and end < start:
            raise FileFormatError(path, where, "end is before start")
        depth = rec.get("depth")
        notes = rec.get("notes")
        rows.append(
            AccidentRow(
                Accident(str(rec["well"]), kind, start, end),
                None if depth is None or pd.isna(depth) else float(depth),
                None if notes is None or pd.isna(notes) else str(notes),
            )
        )
    return rows


def read_dataset(directory: Path) -> tuple[dict[str, TelemetryBatch], list[Accident]]:
    """A directory of ``<well>.csv|.parquet`` files plus ``accidents.csv`` (simulator output)."""
    wells: dict[str, TelemetryBatch] = {}
    for path in sorted(directory.iterdir()):
        if path.name == "accidents.csv" or path.suffix.lower() not in (".csv", ".parquet"):
            continue
        wells[path.stem] = read_telemetry_file(path)
    accidents_path = directory / "accidents.csv"
    accidents = (
        [row.accident for row in read_accidents_file(accidents_path)]
        if accidents_path.exists()
        else []
    )
    return wells, accidents
