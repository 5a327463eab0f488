"""Time-indexed LAS 2.0 files ↔ :class:`TelemetryBatch`, with lasio.

Convention for the time index (first curve, as LAS requires):

* **written**: ``TIME`` in unit ``s`` = seconds since 1970-01-01T00:00:00Z (Unix time, UTC),
  with millisecond precision (``%.3f``); ``STEP`` is 0 (irregular sampling). This keeps the
  ``~A`` section purely numeric, as LAS 2.0 requires.
* **read**: the same (unit ``s``, ``sec`` or ``ms``; values before 1973 are refused as
  elapsed times unless ``time_origin`` is given), or ISO-8601 time stamps *with* an offset
  (``2016-09-29T00:06:28Z``, ``...+02:00``), as some tools write them.

Refused, with :class:`~pipelines.files.FileFormatError` naming the line: a depth-indexed file
(index ``DEPT``/``DEPTH``/``MD`` or a length unit), LAS 3.0, wrapped files (``WRAP YES``), a
``~A`` line with the wrong number of values or a non-numeric value, and units that do not fit
the channel. ``~A`` is checked line by line here (lasio would silently re-flow a short line
into the next); lasio reads the header sections and writes files.

Curve names are mapped with the alias table and units converted to internal units, as for
WITSML (:mod:`pipelines.witsml`); ``NULL`` values become NaN; rows are sorted by time and a
repeated time stamp keeps the first row. Values are written with ``%.10g`` (ten significant
digits) and NaN as ``NULL`` = -999.25 (so a real value of exactly -999.25 reads back as
missing).
"""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import lasio
import numpy as np

from models.channels import BY_MNEMONIC
from pipelines.aliases import map_curves
from pipelines.batch import NS_PER_S, BatchError, TelemetryBatch, datetime_to_ns, ns_to_iso
from pipelines.batch import parse_time as parse_iso_time
from pipelines.files import FileFormatError
from pipelines.units import UnitError, convert, internal_unit
from pipelines.witsml import order_samples, suggest_well_id

log = logging.getLogger(__name__)

__all__ = ["LAS_NULL", "read_las", "read_las_log", "write_las"]

LAS_NULL = -999.25
_TIME_NAMES = frozenset({"TIME", "DATETIME", "DATE_TIME", "TIM", "TIMESTAMP", "INDEX"})
_DEPTH_NAMES = frozenset({"DEPT", "DEPTH", "MD", "TVD", "DEP"})
_TIME_UNITS = {"s": 1.0, "sec": 1.0, "secs": 1.0, "seconds": 1.0, "ms": 1e-3}
_LENGTH_UNITS = frozenset({"m", "ft", "f", "feet", "meters", "metres", "usft"})
_EARLIEST_EPOCH_S = 1e8  # 1973-03-03: smaller "epoch" times are elapsed seconds


def _read_text(path: Path) -> str:
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise FileFormatError(path, "file", "does not exist") from None
    except OSError as exc:
        raise FileFormatError(path, "file", f"cannot be read ({exc})") from None
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("latin-1")


def _data_start(path: Path, lines: list[str]) -> int:
    """Index of the ``~A`` line; refuses a file without one or with sections after it."""
    start = None
    for i, line in enumerate(lines):
        text = line.lstrip()
        if not text.startswith("~"):
            continue
        if start is not None:
            raise FileFormatError(path, f"line {i + 1}", "no section may follow ~A")
        if text[1:2].upper() == "A":
            start = i
    if start is None:
        raise FileFormatError(path, "~A", "no ~A (data) section")
    return start


def _index_kind(path: Path, mnemonic: str, unit: str) -> str:
    name, unit_key = mnemonic.upper(), unit.strip().lower()
    if unit_key in _TIME_UNITS:
        return "seconds"
    if name in _DEPTH_NAMES or unit_key in _LENGTH_UNITS:
        raise FileFormatError(
            path,
            f"curve {mnemonic}",
            f"index curve {mnemonic} ({unit or 'no unit'}) is a depth: depth-indexed LAS "
            "files are not supported for telemetry import (a TIME index is needed)",
        )
    if name in _TIME_NAMES and unit_key in ("", "iso", "iso8601", "datetime", "date"):
        return "iso"
    raise FileFormatError(
        path,
        f"curve {mnemonic}",
        f"index curve {mnemonic} ({unit or 'no unit'}) is not a time index: use TIME in s "
        "(Unix seconds, UTC) or ISO-8601 time stamps with an offset",
    )


def _float(token: str) -> float:
    value = float(token)
    if not math.isfinite(value):
        raise ValueError(token)
    return value


def read_las_log(
    path: Path,
    *,
    aliases: Mapping[str, str] | None = None,
    time_origin: datetime | None = None,
) -> tuple[TelemetryBatch, dict[str, Any]]:
    """Read a time-indexed LAS 2.0 file; returns the batch and an info dict.

    ``time_origin`` (tz-aware) reads a numeric TIME as seconds elapsed since that instant
    instead of Unix time. The info dict has ``format``, ``version``, ``well`` (the ~Well
    items WELL, UWI, COMP, FLD, SRVC), ``well_id`` (a suggestion), ``index_curve``,
    ``curves`` (mnemonic → channel, unit, internal_unit, nulls), ``skipped``,
    ``collisions``, ``rows``, ``samples``, ``nulls``, ``out_of_order``, ``duplicates``,
    ``conflicting``, ``start`` and ``end``.
    """
    if time_origin is not None and time_origin.tzinfo is None:
        raise ValueError("time_origin must be timezone-aware")
    text = _read_text(path)
    lines = text.splitlines()
    start = _data_start(path, lines)
    try:
        las = lasio.read("\n".join(lines[:start]) + "\n~A\n", ignore_data=True)
    except Exception as exc:  # lasio raises many kinds of error on broken headers
        raise FileFormatError(path, "header", f"cannot be read by lasio ({exc})") from None

    version = str(las.version["VERS"].value).strip() if "VERS" in las.version else ""
    if version and not version.startswith(("1.2", "2.")):
        raise FileFormatError(path, "~Version VERS", f"LAS {version} is not supported (2.0)")
    wrap = str(las.version["WRAP"].value).strip().upper() if "WRAP" in las.version else "NO"
    if wrap.startswith("Y"):
        raise FileFormatError(path, "~Version WRAP", "wrapped LAS (WRAP YES) is not supported")
    null_text = str(las.well["NULL"].value).strip() if "NULL" in las.well else ""
    try:
        null = float(null_text) if null_text else None
    except ValueError:
        raise FileFormatError(path, "~Well NULL", f"{null_text!r} is not a number") from None

    names = [str(c.original_mnemonic).strip() for c in las.curves]
    units = [str(c.unit).strip() for c in las.curves]
    if len(names) < 2:
        raise FileFormatError(path, "~Curve", "needs a TIME curve and at least one channel")
    repeated = {n for n in names if names.count(n) > 1}
    if repeated:
        raise FileFormatError(path, "~Curve", f"curve {sorted(repeated)[0]} is repeated")
    kind = _index_kind(path, names[0], units[0])
    scale = _TIME_UNITS.get(units[0].lower(), 1.0)

    width = len(names)
    rows: list[list[str]] = []
    row_lines: list[int] = []
    for number, line in enumerate(lines[start + 1 :], start=start + 2):
        tokens = line.split()
        if not tokens or tokens[0].startswith("#"):
            continue
        if len(tokens) != width:
            raise FileFormatError(
                path,
                f"line {number}",
                f"{len(tokens)} values, expected {width} ({' '.join(names)})",
            )
        rows.append(tokens)
        row_lines.append(number)
    if not rows:
        raise FileFormatError(path, "~A", "no data lines")

    times = np.empty(len(rows), dtype=np.int64)
    origin_ns = datetime_to_ns(time_origin) if time_origin is not None else 0
    for i, tokens in enumerate(rows):
        token = tokens[0]
        where = f"line {row_lines[i]}"
        if kind == "iso":
            try:
                times[i] = parse_iso_time(token, names[0])
            except BatchError as exc:
                raise FileFormatError(path, where, f"index {names[0]}: {exc.reason}") from None
            continue
        try:
            seconds = _float(token) * scale
        except ValueError:
            raise FileFormatError(
                path, where, f"index {names[0]}: {token!r} is not a number of seconds"
            ) from None
        if null is not None and float(token) == null:
            raise FileFormatError(path, where, f"index {names[0]} is NULL ({token})")
        if time_origin is None and seconds < _EARLIEST_EPOCH_S:
            raise FileFormatError(
                path,
                where,
                f"index {names[0]} = {token} {units[0]} is before 1973: elapsed seconds? "
                "TIME must be Unix seconds (UTC), or pass time_origin",
            )
        times[i] = origin_ns + round(seconds * 1000) * 1_000_000

    mapping = map_curves(names[1:], aliases)
    skipped = {n: "name is not a valid channel name" for n in mapping.invalid}
    channels: dict[str, np.ndarray] = {}
    curves: dict[str, dict[str, Any]] = {}
    total_nulls = 0
    for col, mnemonic in enumerate(names):
        if col == 0 or mnemonic not in mapping.channels:
            continue
        channel = mapping.channels[mnemonic]
        values = np.empty(len(rows), dtype=np.float64)
        for i, tokens in enumerate(rows):
            try:
                values[i] = _float(tokens[col])
            except ValueError:
                raise FileFormatError(
                    path,
                    f"line {row_lines[i]}",
                    f"curve {mnemonic}: {tokens[col]!r} is not a number",
                ) from None
        missing = values == null if null is not None else np.zeros(len(rows), dtype=bool)
        values[missing] = np.nan
        try:
            channels[channel] = convert(values, units[col], channel)
        except UnitError as exc:
            raise FileFormatError(
                path, f"curve {mnemonic} ({channel})", f"unit {units[col]!r}: {exc.reason}"
            ) from None
        nulls = int(missing.sum())
        total_nulls += nulls
        curves[mnemonic] = {
            "channel": channel,
            "unit": units[col],
            "internal_unit": internal_unit(channel) or units[col],
            "nulls": nulls,
        }

    batch, stats = order_samples(times, channels)
    well = {
        key.lower(): (str(las.well[key].value).strip() or None) if key in las.well else None
        for key in ("WELL", "UWI", "COMP", "FLD", "SRVC")
    }
    info: dict[str, Any] = {
        "format": "las",
        "version": version or None,
        "well": well,
        "well_id": suggest_well_id(well["well"]),
        "index_curve": names[0],
        "curves": curves,
        "skipped": skipped,
        "collisions": mapping.collisions,
        "rows": len(rows),
        "samples": len(batch),
        "nulls": total_nulls,
        **stats,
        "start": ns_to_iso(int(batch.times_ns[0])),
        "end": ns_to_iso(int(batch.times_ns[-1])),
    }
    log.info(
        "%s: LAS %s: %d rows -> %d samples, %d channels",
        path,
        well["well"],
        len(rows),
        len(batch),
        len(channels),
    )
    return batch, info


def read_las(
    path: Path,
    *,
    aliases: Mapping[str, str] | None = None,
    time_origin: datetime | None = None,
) -> TelemetryBatch:
    """Read a time-indexed LAS 2.0 file into one batch in internal units (see module doc).

    Raises :class:`~pipelines.files.FileFormatError` naming the line, curve and value;
    nothing is returned on error.
    """
    return read_las_log(path, aliases=aliases, time_origin=time_origin)[0]


def write_las(
    batch: TelemetryBatch,
    path: Path,
    *,
    well_id: str,
    units: Mapping[str, str] | None = None,
) -> None:
    """Write a batch as a time-indexed LAS 2.0 file (TIME in Unix seconds, UTC).

    Canonical channels are written with their internal units; other channels with
    ``units[name]`` if given, else no unit. NaN is written as ``NULL`` (-999.25).
    """
    if len(batch) == 0:
        raise BatchError("time", "empty: a LAS file needs at least one sample")
    units = units or {}
    las = lasio.LASFile()
    las.well["WELL"].value = well_id
    las.well["NULL"].value = LAS_NULL
    las.well["SRVC"].value = "drillwatch"
    for key, descr in (("STRT", "START TIME"), ("STOP", "STOP TIME"), ("STEP", "STEP (irregular)")):
        las.well[key].descr = descr
    las.well["DATE"].value = datetime.fromtimestamp(
        int(batch.times_ns[0]) // NS_PER_S, tz=UTC
    ).strftime("%Y-%m-%d")
    seconds = (batch.times_ns + 500_000) // 1_000_000 / 1000.0  # rounded to milliseconds
    las.append_curve("TIME", seconds, unit="s", descr="Unix time (s since 1970-01-01 UTC)")
    for name, values in batch.channels.items():
        spec = BY_MNEMONIC.get(name)
        las.append_curve(
            name,
            np.asarray(values, dtype=np.float64),
            unit=spec.unit if spec is not None else units.get(name, ""),
            descr=spec.meaning if spec is not None else "",
        )
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="\n") as fh:
        las.write(fh, version=2.0, fmt="%.10g", column_fmt={0: "%.3f"}, STEP=0)
    log.info("%s: wrote %d samples of %s as LAS", path, len(batch), well_id)
