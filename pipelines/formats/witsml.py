"""WITSML 1.4.1.1 time-indexed logs (``<logs><log>``) → one :class:`TelemetryBatch`.

:func:`read_witsml_log` reads a log document such as the Volve ``F-9_GwdTime.xml``:

* the index must be a date-time curve (``indexType`` ``date time``); depth-indexed (and
  elapsed-time) logs are refused: telemetry import needs instants;
* curve names come from ``logData/mnemonicList`` and are mapped to canonical mnemonics with
  the alias table (:mod:`pipelines.formats.aliases`); curves the table does not know are kept under
  their own names, in their own units;
* units come from ``logData/unitList`` (else ``logCurveInfo/unit``; the two must agree) and
  canonical channels are converted to their internal unit (:mod:`pipelines.formats.units`);
* a curve's ``nullValue`` (else the log's) and empty values become NaN;
* non-numeric curves (``typeLogData`` ``date time`` or ``string``, e.g. Volve's
  ``PIT_RESET_TIME``) are skipped and listed in the returned info;
* rows are sorted by time; of rows with the same time stamp the first in the file is kept
  (how many were dropped, and how many of those disagreed with the kept row, is reported).

The import is all or nothing: any problem raises :class:`~pipelines.formats.files.FileFormatError`
naming the line and column (from the XML parser), the data row, the curve and the value.
The document is read with the standard library's expat parser; DTDs are refused.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from xml.parsers import expat

import numpy as np

from pipelines.formats.aliases import keep_unscaled, map_curves
from pipelines.formats.files import FileFormatError
from pipelines.formats.units import UnitError, convert, internal_unit
from pipelines.telemetry import BatchError, TelemetryBatch, ns_to_iso, parse_time

log = logging.getLogger(__name__)

__all__ = ["WITSML_NS", "order_samples", "read_witsml_log", "suggest_well_id"]

WITSML_NS = "http://www.witsml.org/schemas/1series"
_TIME_INDEX = "date time"
_DEPTH_INDEXES = ("measured depth", "vertical depth", "true vertical depth")
_NON_NUMERIC_TYPES = ("date time", "string")
_LOG_FIELDS = frozenset(
    {
        "nameWell",
        "nameWellbore",
        "name",
        "serviceCompany",
        "indexType",
        "indexCurve",
        "nullValue",
        "direction",
    }
)
_CURVE_FIELDS = {  # logCurveInfo element -> _Curve attribute
    "mnemonic": "mnemonic",
    "unit": "unit",
    "nullValue": "null_value",
    "typeLogData": "type_log_data",
    "curveDescription": "description",
}
_DATA_FIELDS = frozenset({"mnemonicList", "unitList", "data"})
_WELL_ID_BAD = re.compile(r"[^A-Za-z0-9._-]+")


@dataclass
class _Curve:
    mnemonic: str = ""
    unit: str = ""
    null_value: str = ""
    type_log_data: str = ""
    description: str = ""


@dataclass
class _Document:
    version: str = ""
    logs: int = 0
    attrs: dict[str, str] = field(default_factory=dict)
    fields: dict[str, str] = field(default_factory=dict)
    curves: list[_Curve] = field(default_factory=list)
    mnemonic_lists: list[str] = field(default_factory=list)
    unit_lists: list[str] = field(default_factory=list)
    rows: list[str] = field(default_factory=list)
    row_pos: list[tuple[int, int]] = field(default_factory=list)  # (line, column) per row


class _Reader:
    """Streams the document through expat, keeping only what the import needs."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.doc = _Document()
        self.stack: list[str] = []
        self.text: list[str] | None = None
        self.parser = expat.ParserCreate(namespace_separator="}")
        self.parser.buffer_text = True
        self.parser.StartElementHandler = self._start
        self.parser.EndElementHandler = self._end
        self.parser.CharacterDataHandler = self._chars
        self.parser.StartDoctypeDeclHandler = self._doctype

    def _where(self) -> str:
        return f"line {self.parser.CurrentLineNumber}, column {self.parser.CurrentColumnNumber + 1}"

    def _doctype(self, *_: Any) -> None:
        raise FileFormatError(self.path, self._where(), "DTDs are not accepted in WITSML")

    def _start(self, name: str, attrs: dict[str, str]) -> None:
        ns, _, local = name.rpartition("}")
        depth = len(self.stack)
        self.stack.append(local)
        doc = self.doc
        if depth == 0:
            if local != "logs" or ns not in (WITSML_NS, ""):
                found = f"{{{ns}}}{local}" if ns else local
                raise FileFormatError(
                    self.path,
                    self._where(),
                    f"root element is <{found}>, expected a WITSML 1.4.1.1 <logs> document "
                    f"(namespace {WITSML_NS})",
                )
            doc.version = attrs.get("version", "")
        elif depth == 1 and local == "log":
            doc.logs += 1
            if doc.logs > 1:
                raise FileFormatError(
                    self.path, self._where(), "more than one <log>: import one log per file"
                )
            doc.attrs = dict(attrs)
        elif depth == 2 and self.stack[1] == "log":
            if local == "logCurveInfo":
                doc.curves.append(_Curve())
            elif local in _LOG_FIELDS:
                self.text = []
        elif depth == 3 and self.stack[1] == "log":
            parent = self.stack[2]
            if (parent == "logCurveInfo" and local in _CURVE_FIELDS) or (
                parent == "logData" and local in _DATA_FIELDS
            ):
                self.text = []
                if local == "data":
                    doc.row_pos.append(
                        (self.parser.CurrentLineNumber, self.parser.CurrentColumnNumber + 1)
                    )

    def _chars(self, data: str) -> None:
        if self.text is not None:
            self.text.append(data)

    def _end(self, _name: str) -> None:
        local = self.stack.pop()
        if self.text is None:
            return
        value = "".join(self.text)
        self.text = None
        doc = self.doc
        depth = len(self.stack)
        if depth == 2:
            doc.fields.setdefault(local, value.strip())
        elif self.stack[2] == "logCurveInfo":
            setattr(doc.curves[-1], _CURVE_FIELDS[local], value.strip())
        elif local == "data":
            doc.rows.append(value)
        elif local == "mnemonicList":
            doc.mnemonic_lists.append(value)
        else:
            doc.unit_lists.append(value)

    def read(self) -> _Document:
        try:
            with self.path.open("rb") as fh:
                self.parser.ParseFile(fh)
        except FileNotFoundError:
            raise FileFormatError(self.path, "file", "does not exist") from None
        except OSError as exc:
            raise FileFormatError(self.path, "file", f"cannot be read ({exc})") from None
        except expat.ExpatError as exc:
            raise FileFormatError(
                self.path,
                f"line {exc.lineno}, column {exc.offset + 1}",
                f"malformed XML: {expat.ErrorString(exc.code)}",
            ) from None
        if self.doc.logs == 0:
            raise FileFormatError(self.path, "logs", "no <log> element")
        return self.doc


def suggest_well_id(name: str | None) -> str | None:
    """A valid drillwatch well id made from a WITSML/LAS well name (``NO 15/9-F-9 A`` →
    ``NO_15_9-F-9_A``), or None if nothing usable is left."""
    if not name:
        return None
    slug = _WELL_ID_BAD.sub("_", name.strip()).strip("_.-")[:64]
    return slug or None


def order_samples(
    times_ns: np.ndarray, channels: Mapping[str, np.ndarray]
) -> tuple[TelemetryBatch, dict[str, int]]:
    """Sort rows by time and drop repeated time stamps, keeping the first row in file order.

    Returns the batch and counts: ``out_of_order`` (steps back in time in the file),
    ``duplicates`` (rows dropped) and ``conflicting`` (dropped rows whose values differ
    from the kept row; NaN equals NaN).
    """
    times = np.asarray(times_ns, dtype=np.int64)
    n = times.shape[0]
    out_of_order = int(np.count_nonzero(np.diff(times) < 0))
    order = np.argsort(times, kind="stable")
    ordered = times[order]
    first = np.ones(n, dtype=bool)
    first[1:] = ordered[1:] != ordered[:-1]
    group = np.cumsum(first) - 1
    columns = {
        name: np.asarray(values, dtype=np.float64)[order] for name, values in channels.items()
    }
    differ = np.zeros(n, dtype=bool)
    for values in columns.values():
        kept = values[first][group]
        differ |= ~((values == kept) | (np.isnan(values) & np.isnan(kept)))
    dropped = ~first
    conflicting = dropped & differ
    if conflicting.any():
        i = int(np.flatnonzero(conflicting)[0])
        log.warning(
            "%d rows repeat a time stamp with different values (first at %s); "
            "kept the first row of each",
            int(conflicting.sum()),
            ns_to_iso(int(ordered[i])),
        )
    batch = TelemetryBatch(ordered[first], {k: v[first] for k, v in columns.items()})
    stats = {
        "out_of_order": out_of_order,
        "duplicates": int(dropped.sum()),
        "conflicting": int(conflicting.sum()),
    }
    return batch, stats


def _split(text: str) -> list[str]:
    return [part.strip() for part in text.split(",")]


def _parse_numbers(
    path: Path, strings: list[str], curve: str, where_row: Any
) -> tuple[np.ndarray, np.ndarray]:
    """Strings → float64 (empty → NaN); returns the values and the empty mask."""
    empty = np.fromiter((not s for s in strings), dtype=bool, count=len(strings))
    array = np.array([s or "nan" for s in strings], dtype=str)
    try:
        values = array.astype(np.float64)
    except ValueError:
        for i, text in enumerate(array.tolist()):
            try:
                float(text)
            except ValueError:
                raise FileFormatError(
                    path, where_row(i), f"curve {curve}: {text!r} is not a number"
                ) from None
        raise  # pragma: no cover - numpy and float() disagree
    bad = np.isinf(values)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise FileFormatError(path, where_row(i), f"curve {curve}: {strings[i]!r} is not finite")
    return values, empty


def _null_number(path: Path, text: str, where: str) -> float | None:
    if not text:
        return None
    try:
        return float(text)
    except ValueError:
        raise FileFormatError(path, where, f"nullValue {text!r} is not a number") from None


def read_witsml_log(
    path: Path,
    *,
    aliases: Mapping[str, str] | None = None,
    units: Mapping[str, str] | None = None,
) -> tuple[TelemetryBatch, dict[str, Any]]:
    """Read a time-indexed WITSML 1.4.1.1 log file into one batch in internal units.

    ``aliases`` is a table from :func:`pipelines.formats.aliases.load_aliases` (None: defaults).
    ``units`` overrides the declared unit of curves, by their mnemonic in the file
    (``{"TOTGAS": "%"}``); a name that is not a curve of the log is refused.
    A curve in a unit with no scale (``Euc``, see :mod:`pipelines.formats.units`) is kept under its
    own name, unconverted, and listed in ``unconverted`` (mnemonic → reason).
    Returns the batch and a JSON-serialisable info dict::

        {"format": "witsml", "version": "1.4.1.1",
         "well": {"name", "uid", "wellbore_name", "wellbore_uid"}, "well_id": suggestion,
         "log": {"name", "uid", "index_type", "index_curve", "service_company"},
         "curves": {mnemonic: {"channel", "unit", "internal_unit", "nulls"}},
         "skipped": {mnemonic: reason}, "collisions": {mnemonic: canonical},
         "unconverted": {mnemonic: reason}, "rows", "samples", "nulls", "out_of_order",
         "duplicates", "conflicting", "start", "end"}

    Raises :class:`~pipelines.formats.files.FileFormatError` (nothing is returned) when the file
    is not a readable WITSML 1.4 log, is depth-indexed, or has a bad row, value or unit.
    """
    doc = _Reader(path).read()
    if doc.version and not doc.version.startswith("1.4"):
        raise FileFormatError(
            path, "logs@version", f"WITSML {doc.version} is not supported (1.4.1.1 expected)"
        )
    fields = doc.fields
    index_type = fields.get("indexType", "")
    if index_type.lower() != _TIME_INDEX:
        if index_type.lower() in _DEPTH_INDEXES or "depth" in index_type.lower():
            reason = (
                f"indexType {index_type!r}: depth-indexed logs are not supported for "
                "telemetry import (a time-indexed 'date time' log is needed)"
            )
        else:
            reason = (
                f"indexType {index_type!r} is not supported for telemetry import "
                "(a time-indexed 'date time' log is needed)"
            )
        raise FileFormatError(path, "log/indexType", reason)

    if not doc.mnemonic_lists:
        raise FileFormatError(
            path, "log/logData", "no mnemonicList (WITSML 1.3 columnIndex layout is not supported)"
        )
    if any(m != doc.mnemonic_lists[0] for m in doc.mnemonic_lists[1:]):
        raise FileFormatError(path, "log/logData", "logData blocks have different mnemonicLists")
    mnemonics = _split(doc.mnemonic_lists[0])
    seen: set[str] = set()
    for m in mnemonics:
        if not m:
            raise FileFormatError(path, "log/logData/mnemonicList", "empty mnemonic")
        if m in seen:
            raise FileFormatError(path, "log/logData/mnemonicList", f"mnemonic {m} is repeated")
        seen.add(m)
    unit_list = _split(doc.unit_lists[0]) if doc.unit_lists else [""] * len(mnemonics)
    if len(unit_list) != len(mnemonics):
        raise FileFormatError(
            path,
            "log/logData/unitList",
            f"{len(unit_list)} units for {len(mnemonics)} mnemonics",
        )
    infos = {c.mnemonic: c for c in doc.curves}

    index_name = fields.get("indexCurve", "")
    if index_name not in mnemonics:
        lowered = {m.lower(): m for m in mnemonics}
        if index_name.lower() not in lowered:
            raise FileFormatError(
                path, "log/indexCurve", f"index curve {index_name!r} is not in the mnemonicList"
            )
        index_name = lowered[index_name.lower()]
    index_col = mnemonics.index(index_name)

    log_null = _null_number(path, fields.get("nullValue", ""), "log/nullValue")
    if not doc.rows:
        raise FileFormatError(path, "log/logData", "no data rows")

    def where_row(i: int) -> str:
        line, column = doc.row_pos[i]
        return f"line {line}, column {column} (data row {i + 1})"

    width = len(mnemonics)
    cells: list[list[str]] = []
    for i, row in enumerate(doc.rows):
        parts = _split(row)
        if len(parts) != width:
            raise FileFormatError(
                path, where_row(i), f"{len(parts)} values, expected {width} (the mnemonicList)"
            )
        cells.append(parts)
    columns = list(zip(*cells, strict=True))

    times = np.empty(len(cells), dtype=np.int64)
    for i, text in enumerate(columns[index_col]):
        try:
            times[i] = parse_time(text, index_name)
        except BatchError as exc:
            raise FileFormatError(path, where_row(i), f"index {index_name}: {exc.reason}") from None

    overrides = dict(units or {})
    for name in overrides:
        if name not in mnemonics or mnemonics.index(name) == index_col:
            raise FileFormatError(
                path,
                f"units.{name}",
                f"{name!r} is not a curve of the log ({', '.join(mnemonics)})",
            )
    curve_units: dict[str, str] = {}
    skipped: dict[str, str] = {}
    numeric: list[str] = []
    for col, mnemonic in enumerate(mnemonics):
        if col == index_col:
            continue
        info = infos.get(mnemonic, _Curve(mnemonic=mnemonic))
        unit = overrides.get(mnemonic, unit_list[col] or info.unit)
        if mnemonic in overrides:
            pass  # declared by the user: replaces what the file says
        elif info.unit and unit_list[col] and info.unit.strip() != unit_list[col].strip():
            raise FileFormatError(
                path,
                f"curve {mnemonic}",
                f"unitList says {unit_list[col]!r} but logCurveInfo says {info.unit!r}",
            )
        curve_units[mnemonic] = unit
        if info.type_log_data.lower() in _NON_NUMERIC_TYPES:
            skipped[mnemonic] = f"typeLogData {info.type_log_data!r} is not numeric"
            continue
        numeric.append(mnemonic)

    mapping = map_curves(numeric, aliases)
    for mnemonic in mapping.invalid:
        skipped[mnemonic] = "name is not a valid channel name"
        log.warning("%s: curve %r skipped: not a valid channel name", path, mnemonic)

    channels: dict[str, np.ndarray] = {}
    curves: dict[str, dict[str, Any]] = {}
    unconverted: dict[str, str] = {}
    total_nulls = 0
    for mnemonic, mapped in mapping.channels.items():
        kept = keep_unscaled(mnemonic, mapped, curve_units[mnemonic], unconverted)
        if kept is None:
            skipped[mnemonic] = "name is not a valid channel name"
            continue
        channel = kept
        col = mnemonics.index(mnemonic)
        values, empty = _parse_numbers(path, list(columns[col]), mnemonic, where_row)
        info = infos.get(mnemonic, _Curve(mnemonic=mnemonic))
        null = _null_number(path, info.null_value, f"curve {mnemonic}/nullValue")
        null = log_null if null is None else null
        missing = empty | (values == null) if null is not None else empty
        values[missing] = np.nan
        unit = curve_units[mnemonic]
        try:
            channels[channel] = convert(values, unit, channel)
        except UnitError as exc:
            raise FileFormatError(
                path, f"curve {mnemonic} ({channel})", f"unit {unit!r}: {exc.reason}"
            ) from None
        nulls = int(missing.sum())
        total_nulls += nulls
        curves[mnemonic] = {
            "channel": channel,
            "unit": unit,
            "internal_unit": internal_unit(channel) or unit,
            "nulls": nulls,
        }

    batch, stats = order_samples(times, channels)
    well_name = fields.get("nameWell") or None
    wellbore_name = fields.get("nameWellbore") or None
    info_dict: dict[str, Any] = {
        "format": "witsml",
        "version": doc.version or None,
        "well": {
            "name": well_name,
            "uid": doc.attrs.get("uidWell"),
            "wellbore_name": wellbore_name,
            "wellbore_uid": doc.attrs.get("uidWellbore"),
        },
        "well_id": suggest_well_id(wellbore_name or well_name),
        "log": {
            "name": fields.get("name") or None,
            "uid": doc.attrs.get("uid"),
            "index_type": index_type,
            "index_curve": index_name,
            "service_company": fields.get("serviceCompany") or None,
        },
        "curves": curves,
        "skipped": skipped,
        "collisions": mapping.collisions,
        "unconverted": unconverted,
        "rows": len(cells),
        "samples": len(batch),
        "nulls": total_nulls,
        **stats,
        "start": ns_to_iso(int(batch.times_ns[0])),
        "end": ns_to_iso(int(batch.times_ns[-1])),
    }
    log.info(
        "%s: WITSML log %s of %s: %d rows -> %d samples, %d channels",
        path,
        info_dict["log"]["name"],
        wellbore_name or well_name,
        len(cells),
        len(batch),
        len(channels),
    )
    return batch, info_dict
