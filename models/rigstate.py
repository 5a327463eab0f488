"""Rig state per sample, derived from the channels (docs/domain.md §3).

Flags (in slips, rotating, pumping, on bottom, block moving up/down) are computed with
configurable thresholds and combined into one state code per sample. Missing channels make
the flags that need them unknown; the state then falls back to what can be told.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum

import numpy as np


class RigState(IntEnum):
    UNKNOWN = 0
    ROTARY_DRILLING = 1
    SLIDE_DRILLING = 2
    REAMING = 3
    BACK_REAMING = 4
    CIRCULATING = 5
    TRIP_IN = 6
    TRIP_OUT = 7
    CONNECTION = 8
    STATIC = 9

    @property
    def label(self) -> str:
        return self.name.lower()


STATE_NAMES: tuple[str, ...] = tuple(s.label for s in RigState)
# The channels ``rig_states`` reads (a caller may hand over only these).
RIG_CHANNELS: tuple[str, ...] = ("HKLA", "RPMA", "TQA", "MFIA", "SPPA", "DBTM", "DMEA", "BPOS")


@dataclass(frozen=True)
class RigStateThresholds:
    in_slips_hookload_kn: float = 450.0
    rotating_rpm: float = 5.0
    rotating_torque_knm: float = 1.5
    pumping_flow_lpm: float = 150.0
    pumping_spp_kpa: float = 1000.0
    on_bottom_m: float = 0.5
    moving_m_per_s: float = 0.03


def _gt(values: np.ndarray | None, threshold: float) -> np.ndarray | None:
    return None if values is None else values > threshold  # NaN: False


def _any_known(*flags: np.ndarray | None) -> np.ndarray | None:
    known = [f for f in flags if f is not None]
    if not known:
        return None
    out = known[0].copy()
    for f in known[1:]:
        out |= f
    return out


def _velocity(times_ns: np.ndarray, position: np.ndarray | None) -> np.ndarray | None:
    """Block / bit velocity in m/s from consecutive samples (first sample: 0)."""
    if position is None or position.size == 0:
        return None
    v = np.zeros(position.shape, dtype=np.float64)
    if position.size > 1:
        dt = np.diff(times_ns) / 1e9
        dp = np.diff(position)
        np.divide(dp, dt, out=v[1:], where=np.isfinite(dp) & (dt > 0))
    return v


def rig_states(
    times_ns: np.ndarray,
    channels: dict[str, np.ndarray],
    thresholds: RigStateThresholds | None = None,
) -> np.ndarray:
    """One ``RigState`` code (int8) per sample."""
    th = thresholds or RigStateThresholds()
    n = times_ns.shape[0]
    get = channels.get
    hookload = get("HKLA")
    in_slips = None if hookload is None else hookload < th.in_slips_hookload_kn
    rotating = _any_known(
        _gt(get("RPMA"), th.rotating_rpm), _gt(get("TQA"), th.rotating_torque_knm)
    )
    # Flow in says whether the pumps run; standpipe pressure only where flow in is missing
    # (a pressure held with the pumps off -- a test, a trapped pressure -- is not pumping).
    flow_in = get("MFIA")
    by_flow, by_spp = _gt(flow_in, th.pumping_flow_lpm), _gt(get("SPPA"), th.pumping_spp_kpa)
    if flow_in is not None and by_flow is not None and by_spp is not None:
        pumping: np.ndarray | None = np.where(np.isfinite(flow_in), by_flow, by_spp)
    else:
        pumping = _any_known(by_flow, by_spp)
    bit, hole = get("DBTM"), get("DMEA")
    on_bottom = None
    if bit is not None and hole is not None:
        on_bottom = (hole - bit) < th.on_bottom_m  # NaN: False
    # Bit depth tells the direction of the string directly; block position as a fallback
    # (block up = string up).
    velocity = _velocity(times_ns, bit)
    if velocity is None:
        block = _velocity(times_ns, get("BPOS"))
        velocity = None if block is None else -block
    moving_down = None if velocity is None else velocity > th.moving_m_per_s
    moving_up = None if velocity is None else velocity < -th.moving_m_per_s

    if in_slips is None and rotating is None and pumping is None:
        return np.full(n, RigState.UNKNOWN, dtype=np.int8)
    # the flags as bits of a code (an unknown flag is false), then the state of each code
    code = np.zeros(n, dtype=np.intp)
    flags = (in_slips, rotating, pumping, on_bottom, moving_down, moving_up)
    for weight, flag in zip(FLAG_BITS, flags, strict=True):
        if flag is not None:
            code[flag] += weight
    return STATE_OF_CODE[code]


def _combine(
    slips: np.ndarray,
    rot: np.ndarray,
    pump: np.ndarray,
    bottom: np.ndarray,
    down: np.ndarray,
    up: np.ndarray,
) -> np.ndarray:
    """The state of each sample from its flags (later rules win)."""
    state = np.full(slips.shape, RigState.STATIC, dtype=np.int8)
    off_bottom = ~bottom
    state[pump & off_bottom & ~down & ~up] = RigState.CIRCULATING
    state[~pump & down] = RigState.TRIP_IN
    state[~pump & up] = RigState.TRIP_OUT
    state[pump & off_bottom & rot & down] = RigState.REAMING
    state[pump & off_bottom & rot & up] = RigState.BACK_REAMING
    state[pump & off_bottom & ~rot & down] = RigState.TRIP_IN
    state[pump & off_bottom & ~rot & up] = RigState.TRIP_OUT
    state[bottom & pump & ~rot] = RigState.SLIDE_DRILLING
    state[bottom & pump & rot] = RigState.ROTARY_DRILLING
    state[slips] = RigState.CONNECTION
    return state


# in slips, rotating, pumping, on bottom, moving down, moving up: one bit each; the state of
# every combination is worked out once, so a sample's state is a table look-up
FLAG_BITS: tuple[int, ...] = (32, 16, 8, 4, 2, 1)
STATE_OF_CODE: np.ndarray = _combine(*((np.arange(64) & bit) > 0 for bit in FLAG_BITS))
