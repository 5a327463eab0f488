"""Simulated wells on disk: one file per well, accidents.csv and manifest.json, and back."""

from __future__ import annotations

import csv
import json
import logging
from dataclasses import asdict, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd

from pipelines.simulate.core import SimAccident, SimWell

logger = logging.getLogger(__name__)


def _iso_times(index: pd.DatetimeIndex) -> list[str]:
    idx = index.tz_convert("UTC")
    if (idx.microsecond == 0).all() and (idx.nanosecond == 0).all():
        return list(idx.strftime("%Y-%m-%dT%H:%M:%S+00:00"))
    return [ts.isoformat() for ts in idx]


def write_well(well: SimWell, out_dir: Path, fmt: str) -> Path:
    frame = well.frame
    if fmt == "parquet":
        path = out_dir / f"{well.well_id}.parquet"
        frame.reset_index().to_parquet(path, index=False)
        return path
    path = out_dir / f"{well.well_id}.csv"
    table = frame.reset_index(drop=True)
    table.insert(0, "time", _iso_times(pd.DatetimeIndex(frame.index)))
    table.to_csv(path, index=False, na_rep="", lineterminator="\n")
    return path


def write_accidents(accidents: list[SimAccident], out_dir: Path) -> Path:
    path = out_dir / "accidents.csv"
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(["well", "type", "start", "end", "depth"])
        for acc in accidents:
            writer.writerow(
                [acc.well_id, acc.type, acc.start.isoformat(), acc.end.isoformat(), acc.depth_m]
            )
    return path


def manifest_entry(w: SimWell) -> dict[str, Any]:
    return {
        "profile": asdict(w.profile),
        "start": w.frame.index[0].isoformat(),
        "samples": len(w.frame),
        "accidents": [
            {
                **asdict(a),
                "start": a.start.isoformat(),
                "end": a.end.isoformat(),
                "precursor_start": a.precursor_start.isoformat(),
                "noticed": a.noticed.isoformat() if a.noticed else None,
            }
            for a in w.accidents
        ],
    }


def write_manifest(entries: list[dict[str, Any]], out_dir: Path) -> Path:
    path = out_dir / "manifest.json"
    path.write_text(json.dumps({"wells": entries}, indent=1), encoding="utf-8")
    return path


def write_fleet(
    wells: list[SimWell], out_dir: Path, *, fmt: str = "csv", manifest: bool = False
) -> list[Path]:
    """Write one file per well (<well_id>.csv or .parquet) and accidents.csv.

    CSV: column ``time`` as ISO-8601 with offset (2026-01-01T00:00:00+00:00), then one
    column per channel, missing values empty. Parquet: the same columns, ``time``
    tz-aware. accidents.csv has the header well,type,start,end,depth (ISO times with
    offsets). manifest=True also writes manifest.json (profiles, precursor starts,
    severities). Creates out_dir. Returns the written paths.
    """
    if fmt not in ("csv", "parquet"):
        raise ValueError(f"fmt: {fmt!r} must be 'csv' or 'parquet'")
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = [write_well(w, out_dir, fmt) for w in wells]
    paths.append(write_accidents([a for w in wells for a in w.accidents], out_dir))
    if manifest:
        paths.append(write_manifest([manifest_entry(w) for w in wells], out_dir))
    return paths


def with_precursors(accidents: list[Any], directory: Path) -> list[Any]:
    """``accidents`` (pipelines.training.evaluate.Accident) with ``precursor_start`` and ``noticed``
    taken from the ``manifest.json`` beside them, where the manifest lists the same well,
    type and start."""
    path = Path(directory) / "manifest.json"
    if not path.exists():
        return accidents
    known = {
        (a["well_id"], a["type"], datetime.fromisoformat(a["start"])): a
        for w in json.loads(path.read_text())["wells"]
        for a in w["accidents"]
    }
    out = []
    for acc in accidents:
        entry = known.get((acc.well_id, acc.type, acc.start), {})
        found = {
            key: datetime.fromisoformat(entry[key])
            for key in ("precursor_start", "noticed")
            if entry.get(key)
        }
        out.append(replace(acc, **found) if found else acc)
    logger.info(
        "%s: precursor starts for %d of %d accidents",
        path,
        sum(1 for a in out if a.precursor_start),
        len(out),
    )
    return out


def read_accidents_csv(path: Path) -> list[SimAccident]:
    """Read accidents.csv back; precursor_start is unknown there and set to start."""
    accidents = []
    with Path(path).open(newline="", encoding="utf-8") as fh:
        reader = csv.DictReader(fh)
        missing = {"well", "type", "start", "end", "depth"} - set(reader.fieldnames or [])
        if missing:
            raise ValueError(f"{path}: missing columns {sorted(missing)}")
        for line, row in enumerate(reader, start=2):
            try:
                start = datetime.fromisoformat(row["start"])
                end = datetime.fromisoformat(row["end"])
                depth = float(row["depth"]) if row["depth"] else float("nan")
            except ValueError as exc:
                raise ValueError(f"{path}:{line}: {exc}") from None
            if start.tzinfo is None or end.tzinfo is None:
                raise ValueError(f"{path}:{line}: times need a UTC offset")
            accidents.append(
                SimAccident(
                    well_id=row["well"],
                    type=row["type"],
                    start=start.astimezone(UTC),
                    end=end.astimezone(UTC),
                    precursor_start=start.astimezone(UTC),
                    depth_m=depth,
                )
            )
    return accidents
