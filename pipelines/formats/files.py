"""Telemetry and accident files: CSV / Parquet with a time column and one column per channel.

Readers validate the whole file before anything is used, and name the line and the reason
when they refuse it, so an import is all or nothing.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import tzinfo
from pathlib import Path

import numpy as np
import pandas as pd

from models.channels import ACCIDENT_TYPES
from pipelines.formats.times import (
    TimeColumn,
    TimeValueError,
    find_time_column,
    is_time_stamp,
    localize,
    parse_times,
    parse_timezone,
    zone_name,
)
from pipelines.telemetry import Accident, BatchError, TelemetryBatch, ns_to_iso, parse_time

TYPE_RE = re.compile(r"^[a-z][a-z0-9_]{1,47}$")


class FileFormatError(ValueError):
    def __init__(self, path: Path, where: str, reason: str) -> None:
        super().__init__(f"{path}: {where}: {reason}")
        self.path, self.where, self.reason = path, where, reason


def _read_table(path: Path, *, text_columns: Sequence[str] = ("time",)) -> pd.DataFrame:
    suffix = path.suffix.lower()
    try:
        if suffix == ".parquet":
            return pd.read_parquet(path)
        if suffix in (".csv", ".gz"):
            dtype = dict.fromkeys(text_columns, str)
            return pd.read_csv(path, dtype=dtype, keep_default_na=True)
    except FileNotFoundError:
        raise FileFormatError(path, "file", "does not exist") from None
    except (ValueError, OSError, pd.errors.ParserError) as exc:
        raise FileFormatError(path, "file", f"cannot be read ({exc})") from None
    raise FileFormatError(path, "file", f"unsupported extension {suffix!r} (csv or parquet)")


def _csv_header(path: Path) -> list[str]:
    """The column names as the file writes them (pandas renames a repeated name ``A.1``)."""
    try:
        first = pd.read_csv(path, header=None, nrows=1, dtype=str, keep_default_na=False)
    except FileNotFoundError:
        raise FileFormatError(path, "file", "does not exist") from None
    except (ValueError, OSError, pd.errors.ParserError) as exc:
        raise FileFormatError(path, "file", f"cannot be read ({exc})") from None
    return [str(name) for name in first.iloc[0].tolist()]


@dataclass(frozen=True)
class Table:
    """A telemetry table as the file names its columns, sorted by time.

    ``channels`` holds the data columns in file order, under their headers as written.
    """

    batch: TelemetryBatch
    time_column: str  # the header(s) of the time stamps ("date + time" when joined)
    timezone: str | None  # the zone given to times written without one (None: none had to)
    naive_times: int  # how many time stamps had no zone
    rows: int


def _where(path: Path, i: int) -> str:
    # CSV: the header is line 1; Parquet has rows, not lines.
    return f"row {i + 1}" if path.suffix.lower() == ".parquet" else f"line {i + 2}"


def _zone(path: Path, column: TimeColumn, timezone: str | tzinfo | None) -> tzinfo | None:
    try:
        given = None if timezone is None else parse_timezone(timezone)
    except ValueError as exc:
        raise FileFormatError(path, "timezone", str(exc)) from None
    header = column.header_zone
    if given is not None and header is not None and zone_name(given) != zone_name(header):
        raise FileFormatError(
            path,
            f"column {column.label!r}",
            f"the header says the times are in {zone_name(header)}, --timezone says "
            f"{zone_name(given)}",
        )
    return given or header


def _time_values(
    path: Path, frame: pd.DataFrame, column: TimeColumn, zone: tzinfo | None, dayfirst: bool | None
) -> tuple[np.ndarray, int]:
    raw_times = frame[column.columns[0]]
    if len(column.columns) == 1 and isinstance(raw_times.dtype, pd.DatetimeTZDtype):
        times = raw_times.dt.tz_convert("UTC").astype("datetime64[ns, UTC]")
        if times.isna().any():
            i = int(np.flatnonzero(times.isna().to_numpy())[0])
            raise FileFormatError(path, _where(path, i), f"column {column.label!r}: no time")
        return times.array.asi8.astype(np.int64), 0
    if len(column.columns) == 1 and pd.api.types.is_datetime64_dtype(raw_times.dtype):
        # A Parquet timestamp without a zone: wall-clock times, as naive text would be.
        local = raw_times.astype("datetime64[ns]")
        if local.isna().any():
            i = int(np.flatnonzero(local.isna().to_numpy())[0])
            raise FileFormatError(path, _where(path, i), f"column {column.label!r}: no time")
        values = local.to_numpy().view(np.int64)
        if zone is None:
            raise FileFormatError(
                path,
                f"column {column.label!r}",
                f"{local.iloc[0]} has no time zone: give the zone the file's times are in "
                "with --timezone (e.g. --timezone UTC)",
            )
        try:
            return localize(values, zone, rows=np.arange(len(values))), len(values)
        except TimeValueError as exc:
            raise FileFormatError(
                path,
                _where(path, exc.index),
                f"column {column.label!r}: {exc.value} {exc.reason}",
            ) from None
    texts = [None if pd.isna(v) else str(v) for v in raw_times.tolist()]
    if len(column.columns) == 2:
        # A "date" column and a "time" column: joined, unless "time" holds whole stamps.
        second = frame[column.columns[1]].tolist()
        sample = next((v for v in second if isinstance(v, str) and v.strip()), None)
        if sample is not None and is_time_stamp(sample):
            column = TimeColumn((column.columns[1],), column.header_zone)
            texts = [None if pd.isna(v) else str(v) for v in second]
        else:
            texts = [
                None if d is None or pd.isna(t) else f"{d} {t}"
                for d, t in zip(texts, second, strict=True)
            ]
    try:
        return parse_times(texts, timezone=zone, dayfirst=dayfirst)
    except TimeValueError as exc:
        raise FileFormatError(
            path, _where(path, exc.index), f"column {column.label!r}: {exc.value!r} {exc.reason}"
        ) from None


def read_table(
    path: Path,
    *,
    timezone: str | tzinfo | None = None,
    dayfirst: bool | None = None,
    time_column: str | None = None,
) -> Table:
    """Read a CSV/Parquet telemetry table, sorted by time, columns under their headers.

    The time column is found by name (:func:`pipelines.formats.times.find_time_column`:
    ``time``, ``date``, ``Time (UTC)``, a ``date`` and a ``time`` column, ...) or given as
    ``time_column``. ``timezone`` (an IANA name, ``UTC`` or an offset such as ``+01:00``)
    is the zone of time stamps written without one; ``dayfirst`` says whether
    ``03/07/2009`` is day first (True) or month first (False). Time stamps with an offset
    keep it. Refuses, naming the line, the column and the value: a time stamp that cannot
    be read, has no zone and none was given, a value that is not a number, a repeated
    time stamp; and repeated column names.
    """
    parquet = path.suffix.lower() == ".parquet"
    frame = _read_table(path) if parquet else None
    headers = [str(c) for c in frame.columns] if frame is not None else _csv_header(path)
    seen: set[str] = set()
    for name in headers:
        if name in seen:
            raise FileFormatError(path, "header", f"column {name!r} appears twice")
        seen.add(name)
    column = find_time_column(headers, given=time_column)
    if isinstance(column, str):
        raise FileFormatError(path, "header", column)
    zone = _zone(path, column, timezone)
    if frame is None:
        frame = _read_table(path, text_columns=column.columns)
    if len(frame.columns) != len(headers):
        raise FileFormatError(
            path, "header", f"{len(headers)} names, but the rows have {len(frame.columns)} values"
        )
    frame.columns = pd.Index(headers)  # the names as written, not pandas' renaming
    times_ns, naive = _time_values(path, frame, column, zone, dayfirst)
    channels: dict[str, np.ndarray] = {}
    for name in headers:
        if name in column.columns:
            continue
        column_values = pd.to_numeric(frame[name], errors="coerce")
        bad = column_values.isna() & frame[name].notna()
        if bad.any():
            i = int(np.flatnonzero(bad.to_numpy())[0])
            raise FileFormatError(
                path,
                _where(path, i),
                f"column {name}: {frame[name].iloc[i]!r} is not a number",
            )
        arr = column_values.to_numpy(dtype=np.float64, na_value=np.nan)
        if np.isinf(arr).any():
            i = int(np.flatnonzero(np.isinf(arr))[0])
            raise FileFormatError(path, _where(path, i), f"column {name}: not finite")
        channels[str(name)] = arr
    order = np.argsort(times_ns, kind="stable")
    times_sorted = times_ns[order]
    dup = np.flatnonzero(np.diff(times_sorted) == 0)
    if dup.size:
        i = int(order[dup[0] + 1])
        raise FileFormatError(
            path,
            _where(path, i),
            f"duplicated time stamp {ns_to_iso(int(times_sorted[dup[0]]))} "
            f"(also on {_where(path, int(order[dup[0]]))})",
        )
    return Table(
        TelemetryBatch(times_sorted, {k: v[order] for k, v in channels.items()}),
        column.label,
        zone_name(zone) if zone is not None and naive else None,
        naive,
        len(frame),
    )


def read_telemetry_file(
    path: Path,
    *,
    timezone: str | tzinfo | None = None,
    dayfirst: bool | None = None,
    time_column: str | None = None,
) -> TelemetryBatch:
    """Read a telemetry file into one batch sorted by time; refuses bad lines by number.

    Columns keep their headers as written (see :func:`read_table` for the options);
    mapping them to mnemonics and units is ``pipelines.formats.tables``'s work.
    """
    return read_table(path, timezone=timezone, dayfirst=dayfirst, time_column=time_column).batch


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
