"""Canonical telemetry channels (WITS short mnemonics) and their internal units.

See docs/domain.md §2.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Channel:
    mnemonic: str
    meaning: str
    unit: str
    wits_id: str


CHANNELS: tuple[Channel, ...] = (
    Channel("DBTM", "bit depth", "m", "0108"),
    Channel("DMEA", "hole depth (measured)", "m", "0110"),
    Channel("BPOS", "block position", "m", "0112"),
    Channel("ROPA", "rate of penetration", "m/h", "0113"),
    Channel("HKLA", "hookload", "kN", "0114"),
    Channel("WOBA", "weight on bit", "kN", "0116"),
    Channel("TQA", "surface torque", "kN.m", "0118"),
    Channel("RPMA", "rotary speed", "rpm", "0120"),
    Channel("SPPA", "standpipe pressure", "kPa", "0121"),
    Channel("CHKP", "choke pressure", "kPa", "0122"),
    Channel("MFIA", "flow in", "L/min", "0130"),
    Channel("MFOA", "flow out", "L/min", "0129"),
    Channel("MFOP", "flow out (paddle)", "%", "0128"),
    Channel("TVA", "active pit volume", "m3", "0126"),
    Channel("GASA", "total gas", "%", "0140"),
    Channel("ACTC", "rig activity code", "code", "0107"),
)

BY_MNEMONIC: dict[str, Channel] = {c.mnemonic: c for c in CHANNELS}
CANONICAL: tuple[str, ...] = tuple(c.mnemonic for c in CHANNELS)

ACCIDENT_TYPES: tuple[str, ...] = (
    "stuck_pipe",
    "pack_off",
    "lost_circulation",
    "kick",
    "washout",
    "twist_off",
    "bit_balling",
)
