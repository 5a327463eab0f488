"""Telemetry files of any supported format into one batch in canonical names and units.

CSV/Parquet (``pipelines.files``), WITSML 1.4.1.1 logs (``pipelines.witsml``) and LAS 2.0
(``pipelines.las``) are chosen by suffix. Curve names go through the alias table and declared
units are converted to the internal units (``pipelines.units``); the whole file is validated
before anything is returned, so an import is all or nothing.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pipelines.aliases import aliases_path_from_env, load_aliases, map_curves
from pipelines.batch import BatchError, TelemetryBatch, apply_units
from pipelines.files import FileFormatError, read_telemetry_file
from pipelines.las import read_las_log
from pipelines.witsml import read_witsml_log

FORMATS = {".csv": "csv", ".gz": "csv", ".parquet": "parquet", ".xml": "witsml", ".las": "las"}


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
    """Read a telemetry file by suffix; returns the batch and what was done to it."""
    kind = FORMATS.get(path.suffix.lower())
    if kind is None:
        raise FileFormatError(
            path, "file", f"unsupported extension {path.suffix!r} (csv, parquet, xml, las)"
        )
    aliases = load_aliases(aliases_path_from_env())
    if kind == "witsml":
        batch, info = read_witsml_log(path, aliases=aliases)
    elif kind == "las":
        batch, info = read_las_log(path, aliases=aliases)
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
