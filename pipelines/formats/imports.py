"""Telemetry files of any supported format into one batch in canonical names and units.

CSV/Parquet (``formats.files``), WITSML 1.4.1.1 logs (``formats.witsml``), LAS 2.0
(``formats.las``) and recorded WITS Level 0 streams (``.wits``, ``formats.wits0``) are
chosen by suffix. Curve names go through the alias table and declared
units are converted to the internal units (``pipelines.formats.units``); the whole file is validated
before anything is returned, so an import is all or nothing.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from pipelines.formats.aliases import aliases_path_from_env, load_aliases, map_curves
from pipelines.formats.files import FileFormatError, read_telemetry_file
from pipelines.formats.las import read_las_log
from pipelines.formats.wits0 import read_wits0_file
from pipelines.formats.witsml import read_witsml_log
from pipelines.telemetry import BatchError, TelemetryBatch, apply_units

FORMATS = {
    ".csv": "csv",
    ".gz": "csv",
    ".parquet": "parquet",
    ".xml": "witsml",
    ".las": "las",
    ".wits": "wits0",
    ".wits0": "wits0",
}


def parse_units(text: str | None) -> dict[str, str]:
    """``"HKLA=klbf,SPPA=psi"`` → ``{"HKLA": "klbf", "SPPA": "psi"}``."""
    units: dict[str, str] = {}
    for part in filter(None, (p.strip() for p in (text or "").split(","))):
        name, sep, unit = part.partition("=")
        if not sep or not name.strip():
            raise BatchError("units", f"{part!r} is not CHANNEL=UNIT")
        units[name.strip()] = unit.strip()
    return units


def rename_channels(batch: TelemetryBatch, aliases: Mapping[str, str]) -> TelemetryBatch:
    mapping = map_curves(list(batch.channels), aliases)
    return TelemetryBatch(
        batch.times_ns, {mapping.channels.get(k, k): v for k, v in batch.channels.items()}
    )


def read_any(
    path: Path, *, units: Mapping[str, str] | None = None
) -> tuple[TelemetryBatch, dict[str, Any]]:
    """Read a telemetry file by suffix; returns the batch and what was done to it.

    ``units`` declares units by the file's own curve or column names: for CSV/Parquet the
    units of the columns, for WITSML/LAS overrides of the units the file declares, for WITS0
    the units the rig sent by channel (``HKLA=klbf``).
    """
    kind = FORMATS.get(path.suffix.lower())
    if kind is None:
        raise FileFormatError(
            path,
            "file",
            f"unsupported extension {path.suffix!r} (csv, parquet, xml, las, wits, wits0)",
        )
    aliases = load_aliases(aliases_path_from_env())
    if kind == "witsml":
        batch, info = read_witsml_log(path, aliases=aliases, units=units)
    elif kind == "las":
        batch, info = read_las_log(path, aliases=aliases, units=units)
    elif kind == "wits0":
        batch, info = read_wits0_file(path, units=units)
    else:
        raw = read_telemetry_file(path)
        # Units are declared under the file's own column names, before renaming.
        try:
            raw = apply_units(raw, units or {})
        except BatchError as exc:
            raise FileFormatError(path, exc.field, exc.reason) from None
        batch = rename_channels(raw, aliases)
        info = {"format": kind, "samples": len(batch), "units": dict(units or {})}
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
