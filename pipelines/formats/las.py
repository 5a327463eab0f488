"""Time-indexed LAS 2.0 files ↔ :class:`TelemetryBatch`, with lasio.

Convention for the time index (first curve, as LAS requires):

* **written**: ``TIME`` in unit ``s`` = seconds since 1970-01-01T00:00:00Z (Unix time, UTC),
  with millisecond precision (``%.3f``); ``STEP`` is 0 (irregular sampling). This keeps the
  ``~A`` section purely numeric, as LAS 2.0 requires.
* **read**: the same (unit ``s``, ``sec`` or ``ms``; values before 1973 are refused as
  elapsed times unless ``time_origin`` is given), or ISO-8601 time stamps *with* an offset
  (``2016-09-29T00:06:28Z``, ``...+02:00``), as some tools write them.

Refused, with :class:`~pipelines.formats.files.FileFormatError` naming the line: a depth-indexed
file (index ``DEPT``/``DEPTH``/``MD`` or a length unit), LAS 3.0, wrapped files (``WRAP YES``), a
``~A`` line with the wrong number of values or a non-numeric value, and units that do not fit
the channel. ``~A`` is checked line by line here (lasio would silently re-flow a short line
into the next); lasio reads the header sections and writes files.

Curve names are mapped with the alias table and units converted to internal units, as for
WITSML (:mod:`pipelines.formats.witsml`); ``NULL`` values become NaN; rows are sorted by time and a
repeated time stamp keeps the first row. Mnemonics are read with their case preserved
(lasio would upper-case them).

Names round-trip exactly: a LAS mnemonic cannot hold a ``.`` (it ends the mnemonic), so a
channel such as ``mw.In`` is written as ``mw_In`` with the description
``mw.In (drillwatch channel)``, and the reader restores the name from such a description.
Every non-canonical channel gets that description, so other tools see the exact name too.
A restored name is a drillwatch channel already: it is not mapped with the aliases again.

Values are written as the shortest decimal that reads back as the same float64 (Python's
``repr``: ``646.5755``, ``1e-05``), so a round trip is exact, and NaN as ``NULL`` = -999.25
(so a real value of exactly -999.25 reads back as missing).
"""

from __future__ import annotations

import io
import logging
import math
import re
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import lasio
import numpy as np

from models.channels import BY_MNEMONIC
from pipelines.formats.aliases import keep_unscaled, map_curves
from pipelines.formats.files import FileFormatError
from pipelines.formats.units import UnitError, convert, internal_unit
from pipelines.formats.witsml import order_samples, suggest_well_id
from pipelines.telemetry import (
    CHANNEL_RE,
    NS_PER_S,
    BatchError,
    TelemetryBatch,
    datetime_to_ns,
    ns_to_iso,
)
from pipelines.telemetry import parse_time as parse_iso_time

log = logging.getLogger(__name__)

__all__ = ["LAS_NULL", "read_las", "read_las_log", "write_las"]

LAS_NULL = -999.25
_TIME_NAMES = frozenset({"TIME", "DATETIME", "DATE_TIME", "TIM", "TIMESTAMP", "INDEX"})
_DEPTH_NAMES = frozenset({"DEPT", "DEPTH", "MD", "TVD", "DEP"})
_TIME_UNITS = {"s": 1.0, "sec": 1.0, "secs": 1.0, "seconds": 1.0, "ms": 1e-3}
_LENGTH_UNITS = frozenset({"m", "ft", "f", "feet", "meters", "metres", "usft"})
_EARLIEST_EPOCH_S = 1e8  # 1973-03-03: smaller "epoch" times are elapsed seconds
# The description write_las gives a non-canonical curve, naming the exact channel.
_NAME_DESCR = " (drillwatch channel)"
_NAME_DESCR_RE = re.compile(r"^\s*(\S+) \(drillwatch channel\)\s*$")


def _item(section: Any, key: str) -> Any:
    """A header item by mnemonic, case-insensitively (mnemonics are read as written)."""
    for item in section:
        if str(item.mnemonic).strip().upper() == key:
            return item
    return None


def _text(section: Any, key: str) -> str:
    item = _item(section, key)
    return str(item.value).strip() if item is not None else ""


def _written_as(name: str, mnemonic: str) -> bool:
    """Whether ``_las_mnemonic`` may have written channel ``name`` as ``mnemonic``."""
    base, key = name.replace(".", "_").upper(), mnemonic.upper()
    return key == base or (key.startswith(base + "_") and key[len(base) + 1 :].isdigit())


def _las_mnemonic(name: str, taken: set[str]) -> str:
    """A LAS-safe mnemonic for a channel name: no ``.``, unique (case-insensitively)."""
    base = name.replace(".", "_")
    mnemonic, n = base, 1
    while mnemonic.upper() in taken:
        n += 1
        mnemonic = f"{base}_{n}"
    taken.add(mnemonic.upper())
    return mnemonic


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
    units: Mapping[str, str] | None = None,
) -> tuple[TelemetryBatch, dict[str, Any]]:
    """Read a time-indexed LAS 2.0 file; returns the batch and an info dict.

    ``time_origin`` (tz-aware) reads a numeric TIME as seconds elapsed since that instant
    instead of Unix time. ``units`` overrides the declared unit of curves, by their name
    (``{"TOTGAS": "%"}``); a name that is not a curve is refused. The info dict has
    ``format``, ``version``, ``well`` (the ~Well items WELL, UWI, COMP, FLD, SRVC),
    ``well_id`` (a suggestion), ``index_curve``, ``curves`` (mnemonic → channel, unit,
    internal_unit, nulls), ``skipped``, ``collisions``, ``unconverted`` (curves in a unit
    with no scale such as ``Euc``, kept under their own name), ``rows``, ``samples``,
    ``nulls``, ``out_of_order``, ``duplicates``, ``conflicting``, ``start`` and ``end``.
    """
    if time_origin is not None and time_origin.tzinfo is None:
        raise ValueError("time_origin must be timezone-aware")
    text = _read_text(path)
    lines = text.splitlines()
    start = _data_start(path, lines)
    try:
        las = lasio.read(
            "\n".join(lines[:start]) + "\n~A\n", ignore_data=True, mnemonic_case="preserve"
        )
    except Exception as exc:  # lasio raises many kinds of error on broken headers
        raise FileFormatError(path, "header", f"cannot be read by lasio ({exc})") from None

    version = _text(las.version, "VERS")
    if version and not version.startswith(("1.2", "2.")):
        raise FileFormatError(path, "~Version VERS", f"LAS {version} is not supported (2.0)")
    wrap = _text(las.version, "WRAP").upper() or "NO"
    if wrap.startswith("Y"):
        raise FileFormatError(path, "~Version WRAP", "wrapped LAS (WRAP YES) is not supported")
    null_text = _text(las.well, "NULL")
    try:
        null = float(null_text) if null_text else None
    except ValueError:
        raise FileFormatError(path, "~Well NULL", f"{null_text!r} is not a number") from None

    names = [str(c.original_mnemonic).strip() for c in las.curves]
    curve_units = [str(c.unit).strip() for c in las.curves]
    if len(names) < 2:
        raise FileFormatError(path, "~Curve", "needs a TIME curve and at least one channel")
    folded = [n.upper() for n in names]  # LAS mnemonics are case-insensitive
    repeated = {n for n in names if folded.count(n.upper()) > 1}
    if repeated:
        raise FileFormatError(path, "~Curve", f"curve {sorted(repeated)[0]} is repeated")
    # A name written by write_las (see module doc): "mw_In" described as "mw.In (drillwatch
    # channel)" is read back as mw.In. Only a description naming this very curve counts.
    restored: set[str] = set()
    for col, curve in enumerate(las.curves):
        match = _NAME_DESCR_RE.match(str(curve.descr))
        if col and match and _written_as(match.group(1), names[col]):
            names[col] = match.group(1)
            restored.add(names[col])
    if len(set(names)) != len(names):
        raise FileFormatError(
            path, "~Curve", "curve descriptions name the same drillwatch channel twice"
        )
    for name, unit in (units or {}).items():
        if name not in names[1:]:
            raise FileFormatError(
                path, f"units.{name}", f"{name!r} is not a curve ({' '.join(names[1:])})"
            )
        curve_units[names.index(name)] = unit
    kind = _index_kind(path, names[0], curve_units[0])
    scale = _TIME_UNITS.get(curve_units[0].lower(), 1.0)

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
                f"index {names[0]} = {token} {curve_units[0]} is before 1973: elapsed seconds? "
                "TIME must be Unix seconds (UTC), or pass time_origin",
            )
        times[i] = origin_ns + round(seconds * 1000) * 1_000_000

    # Restored names are drillwatch channels already: they skip the alias table, so that a
    # channel kept under its own name (e.g. TOTGAS in Euc, see pipelines.formats.units) stays so.
    mapping = map_curves([n for n in names[1:] if n not in restored], aliases)
    mapping.channels.update({n: n for n in restored if CHANNEL_RE.match(n)})
    mapping.invalid.extend(n for n in restored if not CHANNEL_RE.match(n))
    skipped = {n: "name is not a valid channel name" for n in mapping.invalid}
    channels: dict[str, np.ndarray] = {}
    curves: dict[str, dict[str, Any]] = {}
    unconverted: dict[str, str] = {}
    total_nulls = 0
    for col, mnemonic in enumerate(names):
        if col == 0 or mnemonic not in mapping.channels:
            continue
        kept = keep_unscaled(mnemonic, mapping.channels[mnemonic], curve_units[col], unconverted)
        if kept is None:
            skipped[mnemonic] = "name is not a valid channel name"
            continue
        channel = kept
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
            channels[channel] = convert(values, curve_units[col], channel)
        except UnitError as exc:
            raise FileFormatError(
                path, f"curve {mnemonic} ({channel})", f"unit {curve_units[col]!r}: {exc.reason}"
            ) from None
        nulls = int(missing.sum())
        total_nulls += nulls
        curves[mnemonic] = {
            "channel": channel,
            "unit": curve_units[col],
            "internal_unit": internal_unit(channel) or curve_units[col],
            "nulls": nulls,
        }

    batch, stats = order_samples(times, channels)
    well = {
        key.lower(): _text(las.well, key) or None for key in ("WELL", "UWI", "COMP", "FLD", "SRVC")
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
        "unconverted": unconverted,
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
    units: Mapping[str, str] | None = None,
) -> TelemetryBatch:
    """Read a time-indexed LAS 2.0 file into one batch in internal units (see module doc).

    Raises :class:`~pipelines.formats.files.FileFormatError` naming the line, curve and value;
    nothing is returned on error.
    """
    return read_las_log(path, aliases=aliases, time_origin=time_origin, units=units)[0]


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
    taken = {"TIME"} | {name.upper() for name in batch.channels if name in BY_MNEMONIC}
    for name, values in batch.channels.items():
        spec = BY_MNEMONIC.get(name)
        array = np.asarray(values, dtype=np.float64)
        if spec is not None:
            las.append_curve(name, array, unit=spec.unit, descr=spec.meaning)
            continue
        # The exact name goes in the description too: LAS tools upper-case mnemonics and a
        # mnemonic cannot hold a ".", but read_las restores the name from it.
        las.append_curve(
            _las_mnemonic(name, taken),
            array,
            unit=units.get(name, ""),
            descr=name + _NAME_DESCR,
        )
    # lasio writes the header sections; the ~A rows are written here with the shortest
    # text that reads back as the same float64 (repr), so values round-trip exactly.
    header = io.StringIO()
    las.write(header, version=2.0, fmt="%.10g", column_fmt={0: "%.3f"}, STEP=0)
    head_lines = header.getvalue().splitlines()
    data_at = next(i for i, line in enumerate(head_lines) if line.startswith("~A"))
    columns = [np.asarray(v, dtype=np.float64) for v in batch.channels.values()]
    for name, column in zip(batch.channels, columns, strict=True):
        if np.isinf(column).any():
            raise BatchError(f"channels.{name}", "has an infinite value, which LAS cannot hold")
    null = repr(LAS_NULL)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="\n") as fh:
        fh.write("\n".join(head_lines[: data_at + 1]) + "\n")
        for i, t in enumerate(seconds.tolist()):
            cells = [f"{t:.3f}"]
            for column in columns:
                value = float(column[i])
                cells.append(null if math.isnan(value) else repr(value))
            fh.write(" ".join(cells) + "\n")
    log.info("%s: wrote %d samples of %s as LAS", path, len(batch), well_id)
