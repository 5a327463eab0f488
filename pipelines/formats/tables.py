"""CSV/Parquet telemetry exports → a batch in canonical names and internal units.

A user's own export imports as it comes: the time column is found by name and read with
the zone and date order the caller gives (``pipelines.formats.files.read_table``), each
column header is mapped to a mnemonic and its trailing unit (``pipelines.formats.headers``),
and values are converted to the internal units (``pipelines.formats.units``). The returned
info records the mapping chosen, so that the user can check it (:func:`mapping_lines`).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import tzinfo
from pathlib import Path
from typing import Any

import numpy as np

from models.channels import CANONICAL
from pipelines.formats.files import FileFormatError, read_table
from pipelines.formats.headers import ColumnPlan, HeaderError, map_columns
from pipelines.formats.units import UnitError, convert, internal_unit, unscaled_reason
from pipelines.telemetry import TelemetryBatch, ns_to_iso

log = logging.getLogger(__name__)

__all__ = ["mapping_lines", "read_table_log"]


def _internal(channel: str) -> str:
    unit = internal_unit(channel)
    assert unit is not None, channel  # a canonical channel always has one
    return unit


def _units_by_header(
    headers: list[str], units: Mapping[str, str] | None
) -> tuple[dict[str, str], dict[str, str]]:
    """``units`` split into those keyed by a column header and the others (by channel)."""
    by_header: dict[str, str] = {}
    by_channel: dict[str, str] = {}
    for key, unit in (units or {}).items():
        match = [h for h in headers if h == key] or [
            h for h in headers if " ".join(h.split()).lower() == " ".join(key.split()).lower()
        ]
        if len(match) == 1:
            by_header[match[0]] = unit
        else:
            by_channel[key] = unit
    return by_header, by_channel


def _by_channel(path: Path, plans: list[ColumnPlan], units: Mapping[str, str]) -> dict[str, str]:
    """Units keyed by the channel a column maps to (``HKLA=klbf``), by source header."""
    by_source: dict[str, str] = {}
    for key, unit in units.items():
        plan = next((p for p in plans if p.channel.upper() == key.strip().upper()), None)
        if plan is None:
            raise FileFormatError(
                path,
                f"units.{key}",
                "not a column of the file, nor the channel of one (columns: "
                f"{', '.join(p.source for p in plans)})",
            )
        by_source[plan.source] = unit
    return by_source


def read_table_log(
    path: Path,
    *,
    aliases: Mapping[str, str] | None = None,
    units: Mapping[str, str] | None = None,
    timezone: str | tzinfo | None = None,
    dayfirst: bool | None = None,
    time_column: str | None = None,
    columns: Mapping[str, str] | None = None,
) -> tuple[TelemetryBatch, dict[str, Any]]:
    """Read a CSV/Parquet export; returns the batch and what was done to it.

    ``aliases``: the alias table (``load_aliases``; None: the defaults). ``units``: units
    by column header or by the channel it maps to, replacing the unit a header declares
    (a column with neither is taken to be in the internal unit). ``timezone``,
    ``dayfirst``, ``time_column``: see :func:`pipelines.formats.files.read_table`.
    ``columns``: ``{header: channel}`` for columns whose mapping the caller chooses (a
    canonical mnemonic, or a channel name to keep the column under, unmapped).

    The info dict holds, besides counts and the time range: ``time_column``, ``timezone``
    (the zone given to times written without one, None if all had one), ``curves`` (source
    header → ``channel``, ``unit`` (None: none declared), ``internal_unit``, ``how``) for
    every column imported, ``unmapped`` (header → channel kept, unconverted),
    ``collisions`` (header → the mnemonic another column took), ``unconverted`` (header →
    why a mapped column was kept unconverted). Raises
    :class:`~pipelines.formats.files.FileFormatError` naming the column, line and value.
    """
    table = read_table(path, timezone=timezone, dayfirst=dayfirst, time_column=time_column)
    raw = table.batch
    headers = list(raw.channels)
    by_header, by_channel = _units_by_header(headers, units)
    try:
        plans = map_columns(headers, aliases, given=columns, units=by_header)
    except HeaderError as exc:
        raise FileFormatError(path, exc.where, exc.reason) from None
    declared = {**by_header, **_by_channel(path, plans, by_channel)}
    channels: dict[str, np.ndarray] = {}
    curves: dict[str, dict[str, Any]] = {}
    unmapped: dict[str, str] = {}
    collisions: dict[str, str] = {}
    unconverted: dict[str, str] = {}
    for plan in plans:
        unit = declared.get(plan.source, plan.unit)
        channel, how = plan.channel, plan.how
        if how == "unscaled" and unit is not None:
            # Euc and the like name no scale: kept as it came (as LAS/WITSML do).
            unconverted[plan.source] = f"not mapped to {plan.target}: {unscaled_reason(unit)}"
        if channel in CANONICAL:
            try:
                values = convert(
                    raw.channels[plan.source], _internal(channel) if unit is None else unit, channel
                )
            except UnitError as exc:
                raise FileFormatError(
                    path, f"column {plan.source!r} ({channel})", f"unit {unit!r}: {exc.reason}"
                ) from None
        else:
            values = raw.channels[plan.source]
            if how in ("unmapped", "given", "collision", "unscaled"):
                unmapped[plan.source] = channel
            if how == "unmapped" and plan.near is not None:
                unit_word = plan.source.split()[-1]
                unconverted[plan.source] = (
                    f"kept unconverted: {unit_word!r} is not a unit drillwatch knows; if the "
                    f"column is {plan.near} in another unit, declare it with --units "
                    f"'{plan.source}=UNIT'"
                )
            if how == "collision" and plan.target is not None:
                collisions[plan.source] = plan.target
        channels[channel] = values
        curves[plan.source] = {
            "channel": channel,
            "unit": unit,
            "internal_unit": internal_unit(channel) or unit,
            "how": how,
        }
    batch = TelemetryBatch(raw.times_ns, channels)
    info: dict[str, Any] = {
        "format": "parquet" if path.suffix.lower() == ".parquet" else "csv",
        "time_column": table.time_column,
        "timezone": table.timezone,
        "naive_times": table.naive_times,
        "dayfirst": dayfirst,
        "curves": curves,
        "unmapped": unmapped,
        "collisions": collisions,
        "unconverted": unconverted,
        "skipped": {},
        "units": dict(units or {}),
        "rows": table.rows,
        "samples": len(batch),
    }
    if len(batch):
        info["start"] = ns_to_iso(int(batch.times_ns[0]))
        info["end"] = ns_to_iso(int(batch.times_ns[-1]))
    log.info(
        "%s: %d rows, time %s, %d columns mapped, %d kept unmapped",
        path,
        table.rows,
        table.time_column,
        sum(1 for c in curves.values() if c["channel"] in CANONICAL),
        len(unmapped) + len(unconverted),
    )
    return batch, info


def mapping_lines(info: Mapping[str, Any]) -> list[str]:
    """The mapping an import chose, one line per column, for the user to check.

    Works on the info of any importer that records ``curves`` (CSV/Parquet, LAS, WITSML)::

        time: date (21120 time stamps without a zone, taken as UTC)
        Average Hookload kkgf -> HKLA (kkgf -> kN)
        Foo Bar -> Foo_Bar (not a drillwatch channel: kept unconverted)
    """
    lines: list[str] = []
    if info.get("time_column"):
        naive = int(info.get("naive_times") or 0)
        zone = info.get("timezone")
        stamps = "time stamp" if naive == 1 else "time stamps"
        how = (
            f"{naive} {stamps} without a zone, taken as {zone}"
            if naive and zone
            else "time stamps with their zone"
        )
        lines.append(f"time: {info['time_column']} ({how})")
    unconverted = info.get("unconverted") or {}
    collisions = info.get("collisions") or {}
    for source, curve in (info.get("curves") or {}).items():
        channel, unit = curve.get("channel"), curve.get("unit")
        target = curve.get("internal_unit")
        if channel in CANONICAL:
            if unit is None:
                units = f"no unit given, taken as {target}"
            elif unit == target:
                units = f"{unit}"
            else:
                units = f"{unit} -> {target}"
            lines.append(f"{source} -> {channel} ({units})")
        elif source in unconverted:
            lines.append(f"{source} -> {channel} ({unconverted[source]})")
        elif source in collisions:
            lines.append(
                f"{source} -> {channel} (also names {collisions[source]}, taken by another "
                f"column: kept unconverted{f', in {unit}' if unit else ''})"
            )
        else:
            in_unit = f", in {unit}" if unit else ""
            lines.append(
                f"{source} -> {channel} (not a drillwatch channel: kept unconverted{in_unit})"
            )
    return lines
