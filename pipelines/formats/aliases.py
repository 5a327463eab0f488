"""Mnemonic aliases: other companies' curve names → canonical WITS mnemonics (docs/domain.md §2).

The default table (:data:`DEFAULT_ALIASES`) knows the Volve WITSML names (``HKLD``,
``SURF_RPM``, ``FLOWIN``, ``PUMP``, ``PIT_DRILL``, ...) and common mud-logging and LAS
spellings. Matching is case-insensitive on the trimmed name; a canonical mnemonic always
maps to itself; a name the table does not know is kept as it is.

A site can extend or override the table with a JSON file, whose path the caller passes to
:func:`load_aliases` (the CLI and the service read it from ``DRILLWATCH_ALIASES_FILE``, see
:func:`aliases_path_from_env`)::

    {"HOOK_WT": "HKLA", "SPP": "SPPA", "TVT": null}

Entries are merged over the defaults; a ``null`` value removes a default alias. Targets must
be canonical mnemonics (``models/channels.py``).

Deliberately *not* mapped by default:

* ``RigActivityCode`` (Volve) → ``ACTC``: vendors' activity codes are different vocabularies
  (Baker Hughes' 0-116 composite codes are not the codes drillwatch's ``ACTC`` uses).
* ``MDEPTH`` (Volve "Hole Depth"): Volve logs carry both ``MDEPTH`` and ``Depth``; only
  ``Depth`` becomes ``DMEA``, the other is kept as is.
* ``PITTOT`` / ``GAINLOSSTOT`` (all pits / gain-loss): not the *active* pit volume.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from models.channels import CANONICAL
from pipelines.formats.files import FileFormatError
from pipelines.formats.units import unscaled_reason
from pipelines.telemetry import CHANNEL_RE

log = logging.getLogger(__name__)

ENV_VAR = "DRILLWATCH_ALIASES_FILE"

_BY_TARGET: dict[str, tuple[str, ...]] = {
    "DBTM": ("BITDEP", "BIT_DEPTH", "BITDEPTH", "BDEP", "BIT DEPTH", "DEPTH_BIT", "DBIT"),
    "DMEA": ("Depth", "HOLE_DEPTH", "HOLEDEPTH", "HOLE DEPTH", "DEPTH_HOLE", "HDEP", "HDTH"),
    "BPOS": (
        "BLKPOS",
        "BLOCKPOS",
        "BLOCK_POS",
        "BLOCK_POSITION",
        "BLOCK POSITION",
        "BLKHGT",
        "BLOCK_HEIGHT",
        "BLOCKHEIGHT",
        "BLOCK_HEIGHT_AVG",
    ),
    "ROPA": ("ROP_AVG", "ROP", "ROPAVG", "ROP_AVERAGE", "RATE_OF_PENETRATION"),
    "HKLA": ("HKLD", "HKL", "HOOKLOAD", "HOOK_LOAD", "HOOK LOAD", "HKLD_AVG", "HKLDAV", "WOH"),
    "WOBA": ("WOB", "WOB_AVG", "WOBAVG", "SWOB", "WEIGHT_ON_BIT"),
    "TQA": (
        "TORQUE",
        "TQ",
        "TOR",
        "TORQ",
        "TRQ",
        "STOR",
        "TORQUE_AVG",
        "TQ_AVG",
        "SURF_TORQUE",
        "SURFACE_TORQUE",
    ),
    "RPMA": (
        "SURF_RPM",
        "RPM",
        "SRPM",
        "RPM_SURF",
        "RPM_AVG",
        "ROT_RPM",
        "ROTARY_RPM",
        "ROTARY_SPEED",
        "TD_RPM",
        "TDS_RPM",
    ),
    "SPPA": (
        "PUMP",
        "SPP",
        "SPP_AVG",
        "SPPRESS",
        "STANDPIPE_PRESSURE",
        "STANDPIPE PRESSURE",
        "PUMP_PRESSURE",
        "PUMP_PRESS",
    ),
    "CHKP": ("CHOKE_PRESSURE", "CHOKE_PRESS", "CHOKEPRESS", "CHOKE PRESSURE", "CHKPRESS"),
    "MFIA": ("FLOWIN", "FLOW_IN", "FLOW IN", "MFI", "MFIN", "FLOWIN_AVG", "MUD_FLOW_IN", "TFLO"),
    "MFOA": ("FLOWOUT", "FLOW_OUT", "FLOW OUT", "MFO", "MFOUT", "FLOWOUT_AVG", "MUD_FLOW_OUT"),
    "MFOP": ("FLOW_OUT_PCT", "FLOWOUT_PCT", "FLOW_PADDLE", "FLOW_OUT_PADDLE", "PADDLE"),
    "TVA": (
        "PIT_DRILL",
        "PVT",
        "TVT",
        "ACTIVE_PIT_VOLUME",
        "ACTIVE_VOLUME",
        "PIT_ACTIVE",
        "PITVOL_ACTIVE",
        "ACTVOL",
    ),
    "GASA": ("TOTGAS", "TOTAL_GAS", "TOTALGAS", "GAS_TOTAL", "TGAS", "GAS"),
}

DEFAULT_ALIASES: dict[str, str] = {
    alias.upper(): target for target, names in _BY_TARGET.items() for alias in names
}
"""Alias (upper case) → canonical mnemonic."""


def _key(name: str) -> str:
    return " ".join(name.split()).upper()


def canonical_name(name: str, table: Mapping[str, str] | None = None) -> str:
    """The canonical mnemonic for a curve name, or the name itself (trimmed) if unmapped.

    ``table`` is a table from :func:`load_aliases` (keys upper case); None means the
    defaults. Canonical mnemonics map to themselves in any case.

    >>> canonical_name("hkld"), canonical_name("Surf_RPM"), canonical_name("MWIN")
    ('HKLA', 'RPMA', 'MWIN')
    """
    key = _key(name)
    if key in CANONICAL:
        return key
    target = (DEFAULT_ALIASES if table is None else table).get(key)
    return target if target is not None else name.strip()


def aliases_path_from_env(environ: Mapping[str, str] | None = None) -> Path | None:
    """The alias file named by ``DRILLWATCH_ALIASES_FILE`` (None if unset or empty)."""
    value = (os.environ if environ is None else environ).get(ENV_VAR, "").strip()
    return Path(value) if value else None


def load_aliases(path: Path | None) -> dict[str, str]:
    """The default table, with the JSON object at ``path`` merged over it (None: defaults).

    Raises :class:`~pipelines.formats.files.FileFormatError` naming the entry when the file is
    unreadable, not a JSON object of name → canonical mnemonic (or null), or maps to a
    name that is not canonical.
    """
    table = dict(DEFAULT_ALIASES)
    if path is None:
        return table
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise FileFormatError(path, "file", "does not exist") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise FileFormatError(path, "file", f"cannot be read ({exc})") from None
    except json.JSONDecodeError as exc:
        raise FileFormatError(path, f"line {exc.lineno}", f"malformed JSON: {exc.msg}") from None
    if not isinstance(raw, dict):
        raise FileFormatError(path, "file", "expected a JSON object of name -> WITS mnemonic")
    for alias, target in raw.items():
        key = _key(alias)
        if not key:
            raise FileFormatError(path, f"entry {alias!r}", "empty alias")
        if key in CANONICAL:
            raise FileFormatError(
                path, f"entry {alias!r}", "is a canonical mnemonic; it always maps to itself"
            )
        if target is None:
            table.pop(key, None)
            continue
        if not isinstance(target, str) or target.strip().upper() not in CANONICAL:
            raise FileFormatError(
                path,
                f"entry {alias!r}",
                f"target {target!r} is not a canonical mnemonic ({', '.join(CANONICAL)})",
            )
        table[key] = target.strip().upper()
    log.info("aliases: %d entries (%s merged over the defaults)", len(table), path)
    return table


@dataclass(frozen=True)
class CurveMapping:
    """Where each source curve of a log goes (see :func:`map_curves`)."""

    channels: dict[str, str]  # source mnemonic -> batch channel name
    collisions: dict[str, str]  # source kept under its own name -> canonical it lost
    invalid: list[str]  # source names that cannot be channel names (not imported)


def map_curves(names: Iterable[str], table: Mapping[str, str] | None = None) -> CurveMapping:
    """Map a log's curve names to batch channel names.

    When several curves map to one canonical mnemonic, a curve already named that
    mnemonic wins, else the first in file order; the others are kept under their own
    names and reported in ``collisions``. Unmapped names that are not valid channel names
    (``pipelines.telemetry.CHANNEL_RE``) are reported in ``invalid``.
    """
    names = list(names)
    targets = {name: canonical_name(name, table) for name in names}
    owner: dict[str, str] = {}
    for name in names:  # exact canonical names first, then file order
        if targets[name] in CANONICAL and _key(name) == targets[name]:
            owner.setdefault(targets[name], name)
    for name in names:
        if targets[name] in CANONICAL:
            owner.setdefault(targets[name], name)
    channels: dict[str, str] = {}
    collisions: dict[str, str] = {}
    invalid: list[str] = []
    for name in names:
        target = targets[name]
        if target in CANONICAL and owner[target] != name:
            collisions[name] = target
            log.warning(
                "curve %s also maps to %s (taken by %s); kept as %s",
                name,
                target,
                owner[target],
                name,
            )
            target = name.strip()
        if target not in CANONICAL and not CHANNEL_RE.match(target):
            invalid.append(name)
            continue
        channels[name] = target
    return CurveMapping(channels, collisions, invalid)


def keep_unscaled(source: str, channel: str, unit: str, unconverted: dict[str, str]) -> str | None:
    """The channel a mapped curve goes to once its unit is known.

    A curve mapped to a canonical channel whose unit names no scale (``Euc``, see
    :func:`pipelines.formats.units.unscaled_reason`) keeps its own name instead, unconverted: the
    reason is put in ``unconverted`` and logged. Returns None if that own name is not a
    valid channel name. A curve *named* as the canonical channel keeps it, and the unit is
    then refused by :func:`pipelines.formats.units.convert`.
    """
    if channel not in CANONICAL or _key(source) == channel:
        return channel
    reason = unscaled_reason(unit)
    if reason is None:
        return channel
    own = source.strip()
    if not CHANNEL_RE.match(own):
        return None
    unconverted[source] = f"not mapped to {channel}: {reason}"
    log.info("curve %s not mapped to %s: %s", source, channel, reason)
    return own
