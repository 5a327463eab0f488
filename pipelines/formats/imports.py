"""Telemetry files of any supported format into one batch in canonical names and units.

CSV/Parquet exports (``formats.tables``: time column, zone and date order, headers in words
with their unit at the end), WITSML 1.4.1.1 logs (``formats.witsml``), LAS 2.0
(``formats.las``) and recorded WITS Level 0 streams (``.wits``, ``formats.wits0``) are
chosen by suffix. Curve names go through the alias table and declared
units are converted to the internal units (``pipelines.formats.units``); the whole file is validated
before anything is returned, so an import is all or nothing.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import tzinfo
from pathlib import Path
from typing import Any

import numpy as np

from pipelines.formats.aliases import aliases_path_from_env, load_aliases, map_curves
from pipelines.formats.files import FileFormatError
from pipelines.formats.las import read_las_log
from pipelines.formats.tables import mapping_lines, read_table_log
from pipelines.formats.wits0 import read_wits0_file
from pipelines.formats.witsml import read_witsml_log
from pipelines.telemetry import BatchError, TelemetryBatch

__all__ = [
    "FORMATS",
    "mapping_lines",
    "overlap_conflicts",
    "parse_columns",
    "parse_units",
    "read_any",
    "rename_channels",
]

FORMATS = {
    ".csv": "csv",
    ".gz": "csv",
    ".parquet": "parquet",
    ".xml": "witsml",
    ".las": "las",
    ".wits": "wits0",
    ".wits0": "wits0",
}


def _pairs(text: str | None, option: str, what: str) -> dict[str, str]:
    pairs: dict[str, str] = {}
    for part in filter(None, (p.strip() for p in (text or "").split(","))):
        name, sep, value = part.partition("=")
        if not sep or not name.strip():
            raise BatchError(option, f"{part!r} is not {what}")
        pairs[name.strip()] = value.strip()
    return pairs


def parse_units(text: str | None) -> dict[str, str]:
    """``"HKLA=klbf,SPPA=psi"`` → ``{"HKLA": "klbf", "SPPA": "psi"}``."""
    return _pairs(text, "units", "CHANNEL=UNIT")


def parse_columns(text: str | None) -> dict[str, str]:
    """``"Averaged WOB kkgf=WOBA,Weight on Bit kkgf=WOB_SURF"`` → column → channel."""
    return _pairs(text, "columns", "COLUMN=CHANNEL")


def rename_channels(batch: TelemetryBatch, aliases: Mapping[str, str]) -> TelemetryBatch:
    mapping = map_curves(list(batch.channels), aliases)
    return TelemetryBatch(
        batch.times_ns, {mapping.channels.get(k, k): v for k, v in batch.channels.items()}
    )


_TABLE_ONLY = {
    "timezone": "--timezone",
    "dayfirst": "--dayfirst/--monthfirst",
    "time_column": "--time-column",
    "columns": "--columns",
}


def read_any(
    path: Path,
    *,
    units: Mapping[str, str] | None = None,
    timezone: str | tzinfo | None = None,
    dayfirst: bool | None = None,
    time_column: str | None = None,
    columns: Mapping[str, str] | None = None,
) -> tuple[TelemetryBatch, dict[str, Any]]:
    """Read a telemetry file by suffix; returns the batch and what was done to it.

    ``units`` declares units by the file's own curve or column names: for CSV/Parquet the
    units of the columns (replacing a unit the header ends with; a column can also be named
    by the channel it maps to), for WITSML/LAS overrides of the units the file declares,
    for WITS0 the units the rig sent by channel (``HKLA=klbf``).

    CSV/Parquet only (see :func:`pipelines.formats.tables.read_table_log`): ``timezone``,
    the zone of time stamps written without one (IANA name, ``UTC`` or ``+01:00``);
    ``dayfirst``, the order of ``03/07/2009`` (True: 3 July, False: 7 March);
    ``time_column``, the time column's header when its name does not say; ``columns``,
    header → channel for columns whose mapping the caller chooses. The info's ``curves``
    record the mapping chosen (:func:`mapping_lines` writes it out).
    """
    kind = FORMATS.get(path.suffix.lower())
    if kind is None:
        raise FileFormatError(
            path,
            "file",
            f"unsupported extension {path.suffix!r} (csv, parquet, xml, las, wits, wits0)",
        )
    aliases = load_aliases(aliases_path_from_env())
    if kind not in ("csv", "parquet"):
        options = {
            "timezone": timezone is not None,
            "dayfirst": dayfirst is not None,
            "time_column": time_column is not None,
            "columns": bool(columns),
        }
        given = [flag for key, flag in _TABLE_ONLY.items() if options[key]]
        if given:
            raise FileFormatError(
                path,
                "options",
                f"{', '.join(given)} apply to CSV/Parquet files only (a {kind} file names "
                "its time stamps' zone and its curves itself)",
            )
    if kind == "witsml":
        batch, info = read_witsml_log(path, aliases=aliases, units=units)
    elif kind == "las":
        batch, info = read_las_log(path, aliases=aliases, units=units)
    elif kind == "wits0":
        batch, info = read_wits0_file(path, units=units)
    else:
        batch, info = read_table_log(
            path,
            aliases=aliases,
            units=units,
            timezone=timezone,
            dayfirst=dayfirst,
            time_column=time_column,
            columns=columns,
        )
    if len(batch) == 0:
        raise FileFormatError(path, "data", "no samples")
    return batch, info


def overlap_conflicts(stored: TelemetryBatch, batch: TelemetryBatch) -> dict[str, int]:
    """Channels of ``batch`` whose values differ from ``stored`` at times already stored.

    An import merges into the store (``telemetry_store.merge_batch``): a value is added where
    the stored sample has none, but a stored value is never overwritten, so a different value
    at a stored time would be silently dropped. Returns channel → number of times where both
    the stored and the new sample have a value (not NaN) and the two differ; NaN on either
    side never conflicts, nor does a channel the stored samples lack. An empty dict means
    importing ``batch`` loses nothing.
    """
    common, new_at, old_at = np.intersect1d(
        batch.times_ns, stored.times_ns, assume_unique=True, return_indices=True
    )
    conflicts: dict[str, int] = {}
    if common.size == 0:
        return conflicts
    for name, values in batch.channels.items():
        if name not in stored.channels:
            continue
        new = values[new_at]
        old = stored.channels[name][old_at]
        differ = ~np.isnan(new) & ~np.isnan(old) & (new != old)
        if differ.any():
            conflicts[name] = int(differ.sum())
    return conflicts
