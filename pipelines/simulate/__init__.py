"""Rig simulator: 1 Hz surface mud-logging telemetry for a fleet of wells, with accidents.

Each well is simulated as a sequence of rig operations (drilling stands, connections,
reaming, circulating, short trips, static periods), rendered per second into the ideal
operational state (bit and hole depth, block position, pump rate, rotary speed, weight on
bit, rate of penetration, slips). The surface channels are then derived from that state
with simple physics (hookload with drag, torque, standpipe pressure ~ flow^1.8, lagged
flow out, pit volume from the flow balance, background and connection gas), accident
precursors and events are laid over them (docs/domain.md §4), and finally noise, slow sensor drift
and dropouts are added. Everything is deterministic per seed.

See ``docs/simulator.md`` for the activity codes, the accident signatures and their
precursor durations, the false-alarm bait in normal operations and how to run it.
"""

from __future__ import annotations

import argparse
import csv
import json
import logging
import math
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, datetime, timedelta
from enum import IntEnum
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from models.channels import ACCIDENT_TYPES, CANONICAL
from pipelines.telemetry import TelemetryBatch, validate_well_id

logger = logging.getLogger(__name__)

__all__ = [
    "Activity",
    "SimAccident",
    "SimWell",
    "WellProfile",
    "demo_fleet",
    "main",
    "random_profile",
    "read_accidents_csv",
    "simulate_fleet",
    "simulate_well",
    "write_fleet",
]


class Activity(IntEnum):
    """Rig activity codes written to ``ACTC``.

    They describe the operation, as a rig-state engine or mud logger would log it, and
    never the accident: working stuck pipe is logged as circulating or static, a shut-in
    as static, a kill as circulating.
    """

    ROTARY_DRILLING = 1
    SLIDE_DRILLING = 2
    CONNECTION = 3
    REAMING = 4
    BACK_REAMING = 5
    CIRCULATING = 6
    TRIP_OUT = 7
    TRIP_IN = 8
    STATIC = 9
    FLOW_CHECK = 10


A = Activity
MIN = 60
HOUR = 3600
B_LOW = 0.5  # block height when the kelly is down (m)
ROUND: dict[str, int] = {
    "DBTM": 2,
    "DMEA": 2,
    "BPOS": 2,
    "ROPA": 1,
    "HKLA": 1,
    "WOBA": 1,
    "TQA": 2,
    "RPMA": 1,
    "SPPA": 0,
    "CHKP": 0,
    "MFIA": 0,
    "MFOA": 0,
    "MFOP": 1,
    "TVA": 2,
    "GASA": 3,
    "ACTC": 0,
}

# Accident timing (seconds): precursor range, longest event (start -> end), longest reaction
# after the end, and the operations an accident may start in (with weights).
PRECURSOR_S: dict[str, tuple[int, int]] = {
    "stuck_pipe": (10 * MIN, 60 * MIN),
    "pack_off": (5 * MIN, 30 * MIN),
    "lost_circulation": (5 * MIN, 20 * MIN),
    "kick": (5 * MIN, 30 * MIN),
    "washout": (60 * MIN, 240 * MIN),
    "twist_off": (5 * MIN, 30 * MIN),
    "bit_balling": (20 * MIN, 90 * MIN),
}
EVENT_MAX_S: dict[str, int] = {
    "stuck_pipe": 60 * MIN,
    "pack_off": 35 * MIN,
    "lost_circulation": 45 * MIN,
    "kick": 60 * MIN,
    "washout": 25 * MIN,
    "twist_off": 25 * MIN,
    "bit_balling": 30 * MIN,
}
REACTION_MAX_S: dict[str, int] = {
    "stuck_pipe": 45 * MIN,
    "pack_off": 25 * MIN,
    "lost_circulation": 20 * MIN,
    "kick": 30 * MIN,
    "washout": 110 * MIN,
    "twist_off": 120 * MIN,
    "bit_balling": 5 * MIN,
}
ONSET_OPS: dict[str, tuple[tuple[str, float], ...]] = {
    "stuck_pipe": (("drill", 0.5), ("back_ream", 0.25), ("trip_out", 0.25)),
    "pack_off": (("drill", 0.5), ("back_ream", 0.3), ("circulate", 0.2)),
    "lost_circulation": (("drill", 0.7), ("circulate", 0.3)),
    "kick": (("drill", 1.0),),
    "washout": (("drill", 0.6), ("circulate", 0.4)),
    "twist_off": (("drill", 1.0),),
    "bit_balling": (("drill", 1.0),),
}
# Precursors that live in the drilling just before the onset (ROP, torque, drag, flow):
# the simulator keeps the rig drilling (stands and connections) for their whole duration.
DRILLING_PRECURSOR = frozenset(ACCIDENT_TYPES) - {"washout"}
APPROACH_MIN_S = 15 * MIN
TAIL_MAX_S = 40 * MIN
SLOT_MARGIN_S = 10 * MIN
DEFAULT_EPOCH = datetime(2026, 1, 1, tzinfo=UTC)


# --------------------------------------------------------------------------- public types


@dataclass(frozen=True)
class WellProfile:
    """Static differences between wells. Only the first six fields are required."""

    well_id: str
    start_depth_m: float  # hole depth at t0
    string_weight_kn: float  # hookload off bottom at t0 (block + buoyed string)
    flow_lpm: float  # pump rate while drilling
    spp_kpa: float  # standpipe pressure while drilling at flow_lpm
    noise: float  # noise multiplier (0.5-2)
    block_weight_kn: float = 300.0  # travelling block + top drive (hookload in slips)
    bha_weight_kn: float = 200.0  # buoyed weight of the bottom-hole assembly (lowest 150 m)
    rpm: float = 120.0  # rotary speed while drilling
    rop_mph: float = 30.0  # typical rate of penetration
    wob_kn: float = 120.0  # weight on bit while drilling
    torque_off_knm: float = 10.0  # rotating off-bottom torque at start depth and rpm
    bit_torque_knm_per_kn: float = 0.05  # extra torque per kN of weight on bit
    torque_limit_knm: float = 35.0  # top-drive torque limit (stalls at it)
    friction: float = 0.12  # axial drag as a share of the buoyed string weight
    motor_dp_kpa: float = 1500.0  # extra SPP on bottom at wob_kn (motor / bit)
    pit_m3: float = 50.0  # active pit volume at t0
    gas_pct: float = 0.5  # background total gas
    annulus_l_per_m: float = 20.0  # annular capacity: sets the bottoms-up lag of gas
    hole_m3_per_m: float = 0.03  # mud needed per metre of new hole
    stand_m: float = 28.5  # length of a stand
    slide_share: float = 0.2  # share of stands with a slide section
    flow_out_bias: float = 1.0  # calibration of the flow-out sensor
    return_lag_s: float = 20.0  # transport delay of flow out behind flow in
    dropout_rate: float = 1.0  # multiplier of sensor dropout frequency


@dataclass(frozen=True)
class SimAccident:
    well_id: str
    type: str  # one of models.channels.ACCIDENT_TYPES
    start: datetime  # onset (what a driller would log), tz-aware UTC
    end: datetime  # end of the event (clipped to the last sample), tz-aware UTC
    precursor_start: datetime  # when the precursor signature begins (== start: none)
    depth_m: float  # bit depth at the onset
    severity: float = 1.0  # 0.25 (subtle) .. 1.0 (obvious)
    operation: str = ""  # operation at the onset: drill, circulate, back_ream, trip_out
    # when the simulated crew starts reacting (kick, lost circulation, twist-off: picks up off
    # bottom, flow-checks); None where the simulator has no such moment or it is past the end
    noticed: datetime | None = None


@dataclass
class SimWell:
    profile: WellProfile
    frame: pd.DataFrame  # 1 s, tz-aware UTC index "time", all CANONICAL columns, float64
    accidents: list[SimAccident]

    @property
    def well_id(self) -> str:
        return self.profile.well_id

    def to_batch(self) -> TelemetryBatch:
        """The frame as a ``TelemetryBatch`` (what ingest and the streamer work with)."""
        return TelemetryBatch.from_frame(self.frame)


# --------------------------------------------------------------------------- profiles


def random_profile(well_id: str, rng: np.random.Generator) -> WellProfile:
    """A plausible, randomly drawn well (depth, string, hydraulics, noise)."""
    validate_well_id(well_id)
    u = rng.uniform
    depth = float(u(800.0, 4500.0))
    block = float(u(220.0, 380.0))
    bha = float(u(120.0, 280.0))
    string = float(np.clip(block + bha + u(0.2, 0.3) * max(depth - 150.0, 0.0), 550.0, 1900.0))
    flow = float(u(1500.0, 4000.0))
    spp = float(
        np.clip(
            u(0.75, 1.25) * 13000.0 * (flow / 2500.0) ** 1.4 * (0.7 + depth / 6000.0),
            8000.0,
            28000.0,
        )
    )
    wob = float(u(60.0, 190.0))
    torque_off = float(u(2.5, 5.5) * depth / 1000.0 + u(1.0, 3.0))
    bit_tq = float(u(0.03, 0.07))
    on_bottom_tq = torque_off + bit_tq * wob
    return WellProfile(
        well_id=well_id,
        start_depth_m=round(depth, 1),
        string_weight_kn=round(string, 1),
        flow_lpm=round(flow, 0),
        spp_kpa=round(spp, 0),
        noise=float(u(0.5, 2.0)),
        block_weight_kn=round(block, 1),
        bha_weight_kn=round(bha, 1),
        rpm=float(u(70.0, 170.0)),
        rop_mph=float(u(10.0, 60.0)),
        wob_kn=wob,
        torque_off_knm=torque_off,
        bit_torque_knm_per_kn=bit_tq,
        torque_limit_knm=float(min(max(on_bottom_tq * u(1.3, 1.7), on_bottom_tq + 4.0), 48.0)),
        friction=float(u(0.06, 0.2)),
        motor_dp_kpa=float(u(0.04, 0.12) * spp),
        pit_m3=float(u(35.0, 75.0)),
        gas_pct=float(np.exp(u(np.log(0.1), np.log(2.0)))),
        annulus_l_per_m=float(u(12.0, 30.0)),
        hole_m3_per_m=float(u(0.015, 0.04)),
        stand_m=float(u(27.5, 29.3)),
        slide_share=float(u(0.0, 0.4)),
        flow_out_bias=float(u(0.95, 1.05)),
        return_lag_s=float(u(8.0, 30.0)),
        dropout_rate=float(u(0.5, 2.0)),
    )


# --------------------------------------------------------------------------- small helpers


def _ramp(a: float, b: float, k: np.ndarray, over: float) -> np.ndarray:
    if over <= 0 or a == b:
        return np.full(k.shape, b, dtype=np.float64)
    return a + (b - a) * np.clip(k / over, 0.0, 1.0)


def _move_profile(k: np.ndarray, dur: int, *, decel: bool = True) -> np.ndarray:
    """Share of a move done after k seconds of dur: trapezoidal speed, 0 -> 1."""
    total = float(dur)
    ta = min(10.0, total / 3.0)
    if not decel:
        v = 1.0 / (total - ta / 2.0)
        return np.where(k < ta, 0.5 * v * k * k / ta, v * (k - ta / 2.0))
    v = 1.0 / (total - ta)
    return np.where(
        k < ta,
        0.5 * v * k * k / ta,
        np.where(k <= total - ta, v * (k - ta / 2.0), 1.0 - 0.5 * v * (total - k) ** 2 / ta),
    )


def _span(n: int, a: float, b: float) -> tuple[slice, np.ndarray]:
    """Indices [a, b) clipped to the frame, and the position 0..1 of each inside [a, b)."""
    ia, ib = math.floor(a), math.floor(b)
    lo, hi = max(ia, 0), min(ib, n)
    if hi <= lo:
        return slice(0, 0), np.zeros(0)
    x = (np.arange(lo, hi, dtype=np.float64) - a) / max(b - a, 1.0)
    return slice(lo, hi), x


def _smoothstep(x: np.ndarray) -> np.ndarray:
    x = np.clip(x, 0.0, 1.0)
    return x * x * (3.0 - 2.0 * x)


def _bump(x: np.ndarray, centre: float, width: float) -> np.ndarray:
    return np.exp(-0.5 * ((x - centre) / width) ** 2)


def _lag_kernel(delay: float, tau: float) -> np.ndarray:
    d = round(delay)
    k = np.arange(int(5 * tau) + 1, dtype=np.float64)
    w = np.exp(-k / tau)
    w /= w.sum()
    return np.concatenate([np.zeros(d), w])


def _lag(x: np.ndarray, kernel: np.ndarray) -> np.ndarray:
    padded = np.concatenate([np.full(kernel.size, x[0]), x])
    return np.convolve(padded, kernel)[kernel.size : kernel.size + x.size]


def _lp_noise(rng: np.random.Generator, n: int, tau: float) -> np.ndarray:
    """Unit-variance low-pass (exponentially smoothed) Gaussian noise."""
    k = np.exp(-np.arange(int(4 * tau) + 1) / tau)
    k /= np.sqrt((k * k).sum())
    return np.convolve(rng.standard_normal(n + k.size), k, mode="valid")[:n]


def _walk(rng: np.random.Generator, n: int, knot_s: int, sd: float) -> np.ndarray:
    """Slow random walk (sd per knot), linearly interpolated between knots."""
    knots = max(n // knot_s + 2, 2)
    steps = np.cumsum(rng.normal(0.0, sd, knots))
    steps -= steps[0]
    return np.interp(np.arange(n) / knot_s, np.arange(knots), steps)


def _string_kn(p: WellProfile, bit: np.ndarray | float) -> np.ndarray:
    """Buoyed string weight hanging below the block at a bit depth (kN)."""
    bha_len = 150.0
    per_m = max(
        (p.string_weight_kn - p.block_weight_kn - p.bha_weight_kn)
        / max(p.start_depth_m - bha_len, 1.0),
        0.05,
    )
    b = np.asarray(bit, dtype=np.float64)
    return p.bha_weight_kn * np.clip(b / bha_len, 0.0, 1.0) + per_m * np.clip(
        b - bha_len, 0.0, None
    )


# --------------------------------------------------------------------------- accident plans


@dataclass
class _Plan:
    type: str
    onset: int  # s from the first sample
    precursor: int  # s
    severity: float | None = None
    op: str | None = None


@dataclass
class _Episode:
    type: str
    severity: float
    op: str
    t: dict[str, float] = field(default_factory=dict)
    prm: dict[str, float] = field(default_factory=dict)


class _Deck:
    """Accident types dealt from shuffled decks, so every type comes up evenly."""

    def __init__(self, rng: np.random.Generator) -> None:
        self.rng = rng
        self.cards: list[str] = []

    def take(self, ok: Callable[[str], bool]) -> str | None:
        if len(self.cards) < len(ACCIDENT_TYPES):
            self.cards.extend(str(c) for c in self.rng.permutation(np.array(ACCIDENT_TYPES)))
        for i, card in enumerate(self.cards):
            if ok(card):
                return self.cards.pop(i)
        return None


def _before_need(kind: str) -> int:
    low = PRECURSOR_S[kind][0]
    return max(low, APPROACH_MIN_S) + TAIL_MAX_S


def _after_need(kind: str, last: bool) -> int:
    return EVENT_MAX_S[kind] if last else EVENT_MAX_S[kind] + REACTION_MAX_S[kind] + 10 * MIN


def _slot_plans(n: int, count: int, rng: np.random.Generator, deck: _Deck) -> list[_Plan]:
    """Up to ``count`` accidents, one per equal slot of the well, never overlapping."""
    plans: list[_Plan] = []
    if count <= 0:
        return plans
    slot = n / count
    for j in range(count):
        s0, s1 = j * slot + SLOT_MARGIN_S, (j + 1) * slot - SLOT_MARGIN_S
        last = j == count - 1
        if last:
            s1 = n - MIN

        def fits(kind: str, s0: float = s0, s1: float = s1, last: bool = last) -> bool:
            return _before_need(kind) + _after_need(kind, last) <= s1 - s0

        kind = deck.take(fits)
        if kind is None:
            continue
        lo = s0 + _before_need(kind)
        hi = s1 - _after_need(kind, last)
        onset = int(rng.uniform(lo, hi))
        pmin, pmax = PRECURSOR_S[kind]
        pre = int(min(rng.uniform(pmin, pmax), onset - s0))
        plans.append(_Plan(kind, onset, max(pre, 0)))
    return plans


def _min_gap(kind: str) -> int:
    """Shortest onset-to-onset spacing after an accident of this type (explicit plans)."""
    return EVENT_MAX_S[kind] + min(REACTION_MAX_S[kind], 45 * MIN) + 10 * MIN


def _resolve_plans(
    accidents: Sequence[tuple[str, float]], n: int, rng: np.random.Generator
) -> list[_Plan]:
    """Explicit (type, onset offset s) -> plans with drawn precursor lengths; validated."""
    items: list[tuple[int, str, int]] = []
    for i, item in enumerate(accidents):
        try:
            kind, offset = item
        except (TypeError, ValueError):
            raise ValueError(
                f"accidents[{i}]: expected (type, onset seconds), got {item!r}"
            ) from None
        if kind not in ACCIDENT_TYPES:
            raise ValueError(
                f"accidents[{i}]: unknown accident type {kind!r} "
                f"(one of {', '.join(ACCIDENT_TYPES)})"
            )
        if not isinstance(offset, int | float) or not math.isfinite(offset):
            raise ValueError(f"accidents[{i}]: onset {offset!r} is not a number of seconds")
        onset = round(offset)
        if not 0 <= onset < n:
            raise ValueError(f"accidents[{i}]: onset {offset} s is outside the well (0..{n - 1} s)")
        items.append((onset, kind, i))
    items.sort()
    plans: list[_Plan] = []
    for k, (onset, kind, i) in enumerate(items):
        earliest = 0
        if k:
            prev_onset, prev_kind, prev_i = items[k - 1]
            gap = _min_gap(prev_kind)
            need = prev_onset + gap
            if onset < need:
                raise ValueError(
                    f"accidents[{i}]: {kind} at {onset} s overlaps accidents[{prev_i}] "
                    f"({prev_kind} at {prev_onset} s); leave at least {gap} s after a {prev_kind}"
                )
            earliest = need
        pmin, pmax = PRECURSOR_S[kind]
        pre = int(min(rng.uniform(pmin, pmax), onset - earliest))
        plans.append(_Plan(kind, onset, max(pre, 0)))
    return plans


# --------------------------------------------------------------------------- the rig


class _Rig:
    """Renders operations into per-second operational arrays (the ideal rig state)."""

    def __init__(self, p: WellProfile, n: int, rng: np.random.Generator) -> None:
        self.p, self.n, self.rng = p, n, rng
        self.bit = np.zeros(n)
        self.hole = np.zeros(n)
        self.block = np.zeros(n)
        self.flow = np.zeros(n)
        self.rpm = np.zeros(n)
        self.wob = np.zeros(n)
        self.rop = np.zeros(n)
        self.slips = np.zeros(n, dtype=bool)
        self.act = np.zeros(n, dtype=np.int8)
        self.rop_mult = np.ones(n)  # precursor multipliers, filled before rendering
        self.wob_mult = np.ones(n)
        self.t = 0
        self.d_hole = p.start_depth_m
        self.d_bit = self.d_hole
        self.stand = p.stand_m
        self.d_block = B_LOW + rng.uniform(0.15, 0.95) * self.stand
        self.q = p.flow_lpm  # current pump rate
        self.q_set = p.flow_lpm  # drilling pump rate (changes now and then)
        self.w = p.rpm  # current rotary speed
        self.rpm_set = p.rpm
        self.wob_set = p.wob_kn
        self.form = 1.0  # formation drillability (ROP factor)
        self.gas_level = p.gas_pct
        self.off_since = 0
        self.gas_steps: list[tuple[int, float]] = [(0, p.gas_pct)]
        self.gas_peaks: list[tuple[float, float, float]] = []  # (time s, amplitude %, width s)
        self.transfers: list[tuple[int, float, int]] = []  # (time s, m3, duration s)
        self.next_trip_gas = False

    # ---- state helpers
    @property
    def top(self) -> float:
        return B_LOW + self.stand + 0.3

    def snapshot(self) -> tuple[Any, ...]:
        return (
            self.t, self.d_hole, self.d_bit, self.stand, self.d_block, self.q, self.q_set,
            self.w, self.rpm_set, self.wob_set, self.form, self.gas_level, self.off_since,
            len(self.gas_steps), len(self.gas_peaks), len(self.transfers), self.next_trip_gas,
        )  # fmt: skip

    def restore(self, s: tuple[Any, ...]) -> None:
        (
            self.t, self.d_hole, self.d_bit, self.stand, self.d_block, self.q, self.q_set,
            self.w, self.rpm_set, self.wob_set, self.form, self.gas_level, self.off_since,
            n_steps, n_peaks, n_transfers, self.next_trip_gas,
        ) = s  # fmt: skip
        del self.gas_steps[n_steps:], self.gas_peaks[n_peaks:], self.transfers[n_transfers:]

    def u(self, a: float, b: float) -> float:
        return float(self.rng.uniform(a, b))

    def _pumps(self, i0: int, q1: float) -> None:
        if self.q > 1.0 and q1 <= 1.0:
            self.off_since = i0
        elif self.q <= 1.0 and q1 > 1.0:
            off = i0 - self.off_since
            lag = self.p.annulus_l_per_m * self.d_bit / max(q1, 100.0) * 60.0
            if self.next_trip_gas:
                amp = self.gas_level * self.u(2.0, 6.0)
                self.gas_peaks.append((i0 + lag, amp, self.u(200.0, 500.0)))
                self.next_trip_gas = False
            elif off > 60 and self.rng.random() < 0.75:
                amp = self.gas_level * self.u(0.3, 1.8) * (1.0 + min(off / 1800.0, 3.0))
                self.gas_peaks.append((i0 + lag, amp, self.u(50.0, 200.0)))

    # ---- primitive phases
    def phase(
        self,
        dur: float,
        act: Activity,
        *,
        flow: float | None = None,
        rpm: float | None = None,
        dbit: float = 0.0,
        slips: bool = False,
        dblock: float = 0.0,
        q_ramp: float = 40.0,
        rpm_ramp: float = 12.0,
        decel: bool = True,
    ) -> None:
        """Hold, move the string (dbit, + = down) or work in slips (block moves dblock)."""
        d = round(dur)
        if d <= 0:
            return
        i0 = self.t
        i1 = min(i0 + d, self.n)
        q1 = self.q if flow is None else max(flow, 0.0)
        w1 = self.w if rpm is None else max(rpm, 0.0)
        self._pumps(i0, q1)
        m = i1 - i0
        if m > 0:
            k = np.arange(1, m + 1, dtype=np.float64)
            self.flow[i0:i1] = _ramp(self.q, q1, k, q_ramp)
            self.rpm[i0:i1] = _ramp(self.w, w1, k, rpm_ramp)
            self.act[i0:i1] = act
            self.wob[i0:i1] = 0.0
            self.rop[i0:i1] = 0.0
            self.hole[i0:i1] = self.d_hole
            self.slips[i0:i1] = slips
            if slips:
                self.bit[i0:i1] = self.d_bit
                move = min(d, max(20, int(abs(dblock) / 0.6)))
                self.block[i0:i1] = self.d_block + dblock * np.clip(
                    _move_profile(np.minimum(k, move), move), 0.0, 1.0
                )
            else:
                s = np.clip(_move_profile(k, d, decel=decel), 0.0, 1.0)
                self.bit[i0:i1] = self.d_bit + dbit * s
                self.block[i0:i1] = self.d_block - dbit * s
        self.q, self.w = q1, w1
        if slips:
            self.d_block += dblock
        else:
            if not decel:
                dbit = dbit * float(_move_profile(np.array([float(d)]), d, decel=False)[0])
            self.d_bit += dbit
            self.d_block -= dbit
        self.t = i0 + d

    def drill(
        self,
        dur: float,
        dist: float,
        pieces: Sequence[tuple[float, bool]] = ((1.0, False),),
        *,
        shape: np.ndarray | None = None,
        flow_change: tuple[float, float] | None = None,
    ) -> None:
        """Drill ``dist`` metres in ``dur`` s on bottom; pieces = (share of time, slide?)."""
        d = round(dur)
        if d <= 0:
            return
        i0 = self.t
        i1 = min(i0 + d, self.n)
        m = i1 - i0
        # time share of each piece, slide drilling is slower
        bounds = np.cumsum([0.0] + [s for s, _ in pieces])
        bounds = np.round(bounds / bounds[-1] * d).astype(int)
        slid = np.zeros(d, dtype=bool)
        for (_, slide), a, b in zip(pieces, bounds[:-1], bounds[1:], strict=True):
            slid[a:b] = slide
        w = np.where(slid, 0.6, 1.0)
        if shape is not None:
            w *= shape[:d]
        w[:m] *= self.rop_mult[i0:i1]
        settle = np.clip(np.arange(1, d + 1) / 30.0, 0.2, 1.0)  # weight being applied
        w *= settle
        rop = dist / max(d, 1) * 3600.0 * w / max(w.mean(), 1e-9)
        dh = np.cumsum(rop) / 3600.0
        if m > 0:
            ks = np.arange(1, m + 1, dtype=np.float64)
            self.hole[i0:i1] = self.d_hole + dh[:m]
            self.bit[i0:i1] = self.hole[i0:i1]
            self.block[i0:i1] = self.d_block - dh[:m]
            self.rop[i0:i1] = rop[:m]
            self.slips[i0:i1] = False
            self.wob[i0:i1] = (
                self.wob_set * self.wob_mult[i0:i1] * np.where(slid[:m], 0.8, 1.0) * settle[:m]
            )
            q = _ramp(self.q, self.q_set, ks, 40.0)
            if flow_change is not None:
                at = int(flow_change[0] * d)
                q[at:] = _ramp(self.q_set, flow_change[1], ks[at:] - at, self.u(20.0, 50.0))
            self.flow[i0:i1] = q
        if flow_change is not None:
            self.q_set = flow_change[1]
        self._pumps(i0, self.q_set)
        w_now = self.w
        for (_, slide), a, b in zip(pieces, bounds[:-1], bounds[1:], strict=True):
            target = 0.0 if slide else self.rpm_set
            lo, hi = i0 + a, min(i0 + b, self.n)
            if hi > lo:
                kk = np.arange(1, hi - lo + 1, dtype=np.float64)
                self.rpm[lo:hi] = _ramp(w_now, target, kk, 15.0)
                self.act[lo:hi] = A.SLIDE_DRILLING if slide else A.ROTARY_DRILLING
            w_now = target
        self.w = w_now
        self.q = self.q_set
        self.d_hole += float(dh[-1])
        self.d_bit = self.d_hole
        self.d_block -= float(dh[-1])
        self.t = i0 + d

    # ---- composite operations
    def connection(
        self,
        *,
        flow_check: bool = False,
        new_stand: float | None = None,
        total: float | None = None,
    ) -> None:
        """Pick up, pumps off, slips, add a stand, pumps on, back to bottom (3-8 min).

        ``total`` fixes the duration (s) when the timing was planned in advance.
        """
        pu = self.u(1.0, 2.5)
        if new_stand is None:
            new_stand = self.p.stand_m + self.u(-0.4, 0.4)
        parts = [self.u(a, b) for a, b in ((15, 30), (20, 40), (90, 300), (10, 20), (30, 60))]
        parts.append(self.u(20, 40))
        if total is not None:
            parts = [round(x * total / sum(parts)) for x in parts]
            parts[-1] = max(round(total) - sum(parts[:-1]), 1)
        self.phase(parts[0], A.CONNECTION, rpm=0.0, dbit=-pu)
        self.phase(parts[1], A.CONNECTION, flow=0.0, q_ramp=self.u(15, 30))
        if flow_check:
            self.phase(self.u(120, 240), A.FLOW_CHECK)
        self.phase(parts[2], A.CONNECTION, slips=True, dblock=new_stand)
        self.stand = new_stand
        self.phase(parts[3], A.CONNECTION, dbit=-0.3)
        self.phase(parts[4], A.CONNECTION, flow=self.q_set, q_ramp=min(parts[4], self.u(25, 50)))
        self.phase(parts[5], A.CONNECTION, rpm=self.rpm_set, dbit=self.d_hole - self.d_bit)
        self.d_bit = min(self.d_bit, self.d_hole)

    def travel(self, target: float, act: Activity, *, pumps: bool, rotate: bool) -> None:
        """Move the bit to ``target`` depth stand by stand (slips cycles when out of travel)."""
        going_up = target < self.d_bit
        speed = self.u(0.3, 0.6) if not pumps else self.u(0.03, 0.12)
        q_on = self.q_set * (0.7 if act in (A.TRIP_IN, A.TRIP_OUT) else 1.0)
        rpm_on = self.rpm_set * 0.6 if rotate else 0.0
        for _ in range(400):
            left = self.d_bit - target if going_up else target - self.d_bit
            if left < 0.05:
                break
            room = self.top - self.d_block if going_up else self.d_block - B_LOW
            if room < 0.5:
                # set slips, rack back (up) or pick up a new stand (down)
                if pumps:
                    self.phase(self.u(15, 30), act, flow=0.0, rpm=0.0, q_ramp=20)
                self.phase(
                    self.u(50, 110),
                    act,
                    slips=True,
                    rpm=0.0,
                    dblock=(B_LOW - self.d_block) if going_up else (self.top - self.d_block),
                )
                if not going_up:
                    self.stand = self.p.stand_m + self.u(-0.4, 0.4)
                if pumps:
                    self.phase(self.u(25, 50), act, flow=q_on)
                continue
            step = min(room, left)
            dur = max(step / speed, 8.0)
            self.phase(
                dur,
                act,
                flow=q_on if pumps else 0.0,
                rpm=rpm_on,
                dbit=-step if going_up else step,
                q_ramp=30,
            )
        if not going_up:
            self.d_bit = min(self.d_bit, self.d_hole)

    def to_bottom(self) -> None:
        """From anywhere in the hole back to drilling: trip in, wash the last stand down."""
        gap = self.d_hole - self.d_bit
        if gap > self.stand + 5.0:
            if self.q > 1.0:
                self.phase(self.u(20, 40), A.TRIP_IN, flow=0.0, rpm=0.0)
            self.travel(self.d_hole - self.u(10.0, 20.0), A.TRIP_IN, pumps=False, rotate=False)
            self.next_trip_gas = True
        if self.q < 1.0:
            self.phase(self.u(40, 80), A.REAMING, flow=self.q_set, q_ramp=self.u(30, 60))
        self.travel(self.d_hole, A.REAMING, pumps=True, rotate=True)
        self.d_bit = self.d_hole
        self.phase(self.u(10, 20), A.REAMING, rpm=self.rpm_set)

    def trip_out(self, stands: int) -> None:
        target = self.d_bit - (self.top - self.d_block) - (stands - 1) * self.stand
        target = max(target, 60.0)
        self.travel(target, A.TRIP_OUT, pumps=False, rotate=False)

    def pick_up_circulate(self, dur: float, *, flow: float | None = None) -> None:
        room = max(self.top - self.d_block - 0.3, 0.0)
        pu = min(self.u(2.0, 6.0), room)
        rpm = self.u(40, 90) if self.rng.random() < 0.7 else 0.0
        self.phase(self.u(20, 40), A.CIRCULATING, rpm=rpm, dbit=-pu, flow=flow)
        self.phase(dur, A.CIRCULATING, flow=self.q_set if flow is None else flow)

    # ---- normal units (each starts and ends on bottom, ready to drill)
    def plan_stand(self) -> tuple[float, float, list[tuple[float, bool]]]:
        """Natural duration, distance and slide/rotary pieces of the rest of this stand."""
        dist = max(self.d_block - B_LOW, 0.0)
        pieces: list[tuple[float, bool]] = [(1.0, False)]
        if self.rng.random() < self.p.slide_share:
            share = self.u(0.3, 0.9)
            pieces = [(share, True), (1.0 - share, False)]
        slide_time = sum(s for s, sl in pieces if sl)
        rop = self.p.rop_mph * self.form * (1.0 - 0.4 * slide_time)
        return dist / max(rop, 1.0) * 3600.0, dist, pieces

    def formation_change(self) -> None:
        if self.rng.random() < 0.3:
            self.form = float(np.clip(self.form * np.exp(self.rng.normal(0.0, 0.35)), 0.5, 1.6))
            self.form = 0.8 * self.form + 0.2
            level = self.p.gas_pct * float(np.exp(self.rng.normal(0.0, 0.4)))
            self.gas_level = float(np.clip(level, 0.05, 4.0))
            self.gas_steps.append((self.t, self.gas_level))
        if self.rng.random() < 0.25:
            self.rpm_set = self.p.rpm * self.u(0.85, 1.15)
            self.wob_set = self.p.wob_kn * self.u(0.8, 1.2)

    def unit_stand(self) -> None:
        self.formation_change()
        dur, dist, pieces = self.plan_stand()
        flow_change = None
        if self.rng.random() < 0.12:
            flow_change = (self.u(0.2, 0.8), self.p.flow_lpm * self.u(0.8, 1.08))
        shape = None
        check = False
        if self.rng.random() < 0.12 and dur > 10 * MIN:
            # drilling break in a softer streak (kick bait): ROP up, maybe gas, maybe a check
            d = round(dur)
            shape = np.ones(d)
            a = int(self.u(0.1, 0.7) * d)
            b = min(d, a + int(self.u(3, 15) * MIN))
            shape[a:b] = self.u(1.4, 2.2)
            if self.rng.random() < 0.6:
                lag = self.p.annulus_l_per_m * self.d_bit / max(self.q_set, 100.0) * 60.0
                amp = self.gas_level * self.u(0.5, 3.0)
                self.gas_peaks.append((self.t + a + lag, amp, (b - a) * 0.6 + 60.0))
            check = self.rng.random() < 0.5
        self.drill(dur, dist, pieces, shape=shape, flow_change=flow_change)
        if self.rng.random() < 0.3:
            self.ream_stand()
        self.connection(flow_check=check)

    def ream_stand(self) -> None:
        dist = max(min(self.stand - 0.5, self.top - self.d_block - 0.3), 0.0)
        rpm = self.rpm_set * self.u(0.6, 1.0)
        self.phase(self.u(3, 8) * MIN, A.BACK_REAMING, rpm=rpm, dbit=-dist)
        self.phase(self.u(2, 5) * MIN, A.REAMING, dbit=self.d_hole - self.d_bit)
        self.d_bit = self.d_hole

    def unit_circulate(self) -> None:
        flow = self.q_set * (self.u(1.0, 1.1) if self.rng.random() < 0.5 else 1.0)
        self.pick_up_circulate(self.u(15, 50) * MIN, flow=flow)
        if self.rng.random() < 0.3:
            self.phase(self.u(3, 6) * MIN, A.FLOW_CHECK, flow=0.0, rpm=0.0)
        self.to_bottom()

    def unit_static(self) -> None:
        room = max(self.top - self.d_block - 0.3, 0.0)
        self.phase(self.u(20, 40), A.STATIC, rpm=0.0, dbit=-min(self.u(1.0, 4.0), room))
        self.phase(self.u(10, 45) * MIN, A.STATIC, flow=0.0, q_ramp=20)
        self.to_bottom()

    def unit_short_trip(self) -> None:
        stands = int(self.rng.integers(5, 16))
        stands = min(stands, int((self.d_bit - 200.0) / self.stand))
        if stands < 2:
            self.unit_circulate()
            return
        self.pick_up_circulate(self.u(10, 25) * MIN)
        self.phase(self.u(20, 40), A.FLOW_CHECK, flow=0.0, rpm=0.0)
        self.phase(self.u(2, 5) * MIN, A.FLOW_CHECK)
        self.trip_out(stands)
        if self.rng.random() < 0.4:
            self.phase(self.u(5, 25) * MIN, A.STATIC)
        self.to_bottom()
        self.phase(self.u(10, 25) * MIN, A.CIRCULATING, rpm=self.rpm_set * 0.5)

    def unit(self) -> None:
        r = self.rng.random()
        if self.d_block - B_LOW < 0.3:
            self.connection()
        elif r < 0.06:
            self.unit_circulate()
        elif r < 0.09:
            self.unit_static()
        elif r < 0.12 and self.d_bit > 700.0:
            self.unit_short_trip()
        else:
            self.unit_stand()

    def normal_until(self, until: int, *, final: bool = False) -> None:
        while self.t < until:
            snap = self.snapshot()
            self.unit()
            if not final and self.t > until:
                self.restore(snap)
                break

    # ---- accidents
    def approach(self, on: int, op: str, ep: _Episode, post: int) -> None:
        """Drill stands (with connections) so that the onset falls in the wanted operation.

        ``op == "drill"``: the onset falls inside a drilling stand and drilling goes on
        ``post`` s after it. Otherwise a stand ends exactly before a tail (circulate,
        back-ream, trip out) whose operation is in progress at the onset.
        """
        p, rng = self.p, self.rng
        t_a = self.t
        if t_a >= on + post:  # the previous accident's reaction ran over: no approach
            ep.op = "reaction"
            return
        if op != "drill" and on - t_a < 10 * MIN:
            op = "drill"
        tail = self.plan_tail(op)
        x = sum(d for d, _ in tail)  # tail time before the onset
        if op != "drill" and on - t_a - x < 2 * MIN:
            op, tail, x = "drill", [], 0.0
        ep.op = op
        rotary_only = ep.type in ("twist_off", "stuck_pipe")
        dists = [max(self.d_block - B_LOW, 0.05)]
        stands = [self.stand]
        conns: list[float] = []
        nat: list[float] = []
        pieces: list[list[tuple[float, bool]]] = []
        a = float(t_a)
        rop = p.rop_mph * self.form
        for k in range(200):
            if k:
                s = p.stand_m + self.u(-0.4, 0.4)
                stands.append(s)
                dists.append(s)
            pc: list[tuple[float, bool]] = [(1.0, False)]
            if not rotary_only and k and rng.random() < p.slide_share:
                share = self.u(0.3, 0.8)
                pc = [(share, True), (1.0 - share, False)]
            pieces.append(pc)
            slide = sum(s for s, sl in pc if sl)
            T = dists[k] / max(rop * (1.0 - 0.4 * slide), 1.0) * 3600.0
            for _ in range(3):
                lo, hi = int(a), min(int(a + T) + 1, self.n)
                mean = float(self.rop_mult[lo:hi].mean()) if hi > lo else 1.0
                T = dists[k] / max(rop * (1.0 - 0.4 * slide) * mean, 0.5) * 3600.0
            nat.append(max(T, 1.0))
            conns.append(self.u(190, 420))
            a += T + conns[-1]
            if a > on + 2 * HOUR:
                break
        avail = on - t_a
        best: tuple[float, int, float] | None = None  # (|log f|, stand j, f)
        cum_t = 0.0
        cum_c = 0.0
        for j in range(len(nat)):
            room = avail - cum_c
            if op == "drill":
                if room <= 0:
                    break
                tj = nat[j]
                u_star = (room - cum_t) / tj
                for u in (u_star, 0.3, 0.6, 0.85):
                    uu = min(max(u, 0.05), 0.9)
                    f = room / (cum_t + uu * tj)
                    before, after = uu * f * tj, (1.0 - uu) * f * tj
                    if before >= min(30.0, room) and after >= post + 30 and 0.25 < f < 4.0:
                        # prefer natural speed, and onsets not right after a connection
                        score = abs(math.log(f)) + (0.4 if before < min(5 * MIN, room) else 0.0)
                        cand = (score, j, f)
                        if best is None or cand < best:
                            best = cand
            else:
                room -= x
                if room <= 0:
                    break
                f = room / (cum_t + nat[j])
                if 0.25 < f < 4.0:
                    cand = (abs(math.log(f)), j, f)
                    if best is None or cand < best:
                        best = cand
            cum_t += nat[j]
            cum_c += conns[j]
        if best is None:
            # cramped (explicit onsets close to the start or to another accident): stretch
            # the current stand so that it covers the onset
            j = 0
            f = (avail + (post + 60 if op == "drill" else -x)) / nat[0]
            f = max(f, 1e-3)
            if op != "drill" and avail - x < 60:
                op, tail, x = "drill", [], 0.0
                ep.op = op
                f = (avail + post + 60) / nat[0]
        else:
            _, j, f = best
        for k in range(j):
            self.drill(nat[k] * f, dists[k], pieces[k])
            self.connection(new_stand=stands[k + 1], total=conns[k])
        if op == "drill":
            # drill the onset stand only partly, at the approach's speed and precursor trend
            dur = on + post - self.t
            lo, hi = self.t, min(max(on + post, self.t + 1), self.n)
            mean = float(self.rop_mult[lo:hi].mean()) if hi > lo else 1.0
            slide = sum(s for s, sl in pieces[j] if sl)
            rate = rop * (1.0 - 0.4 * slide) * mean / f / 3600.0  # m/s
            self.drill(dur, min(rate * dur, max(dists[j] - 0.05, 0.0)), pieces[j])
            return
        self.drill(on - x - self.t, dists[j], pieces[j])
        self.run_tail(op, tail, on, post)

    def plan_tail(self, op: str) -> list[tuple[float, str]]:
        """Durations of the pieces of the operation that holds the onset."""
        if op == "circulate":
            return [(self.u(20, 40), "pickup"), (self.u(3, 12) * MIN, "circulate")]
        if op == "back_ream":
            return [(self.u(4, 10) * MIN * self.u(0.2, 0.8), "back_ream")]
        if op == "trip_out":
            pieces = [
                (self.u(20, 40), "pickup"),
                (self.u(5, 12) * MIN, "circulate"),
                (self.u(20, 40), "pumps_off"),
                (self.u(2, 4) * MIN, "flow_check"),
            ]
            for _ in range(int(self.rng.integers(1, 6))):
                pieces.append((self.u(45, 90), "pull"))
                pieces.append((self.u(60, 110), "slips"))
            pieces.append((self.u(45, 90) * self.u(0.2, 0.8), "pull_onset"))
            return pieces
        return []

    def run_tail(self, op: str, tail: list[tuple[float, str]], on: int, post: int) -> None:
        pull_speed = self.u(0.35, 0.6)
        for dur, kind in tail:
            if kind == "pickup":
                room = max(self.top - self.d_block - 0.3, 0.0)
                self.phase(dur, A.CIRCULATING, rpm=self.u(40, 90), dbit=-min(3.0, room))
            elif kind == "circulate":
                end = on + post if op == "circulate" else self.t + dur
                self.phase(end - self.t, A.CIRCULATING)
            elif kind == "pumps_off":
                self.phase(dur, A.FLOW_CHECK, flow=0.0, rpm=0.0)
            elif kind == "flow_check":
                self.phase(dur, A.FLOW_CHECK)
            elif kind == "back_ream":
                speed = (self.stand - 1.0) / self.u(4, 10) / MIN
                d = on - self.t
                room = max(self.top - self.d_block - 0.3, 0.0)
                rpm = self.rpm_set * self.u(0.6, 0.9)
                self.phase(
                    d, A.BACK_REAMING, rpm=rpm, flow=self.q_set, dbit=-min(speed * d, room),
                    decel=False,
                )  # fmt: skip
            elif kind == "pull":
                room = max(self.top - self.d_block, 0.0)
                self.phase(dur, A.TRIP_OUT, dbit=-room)
            elif kind == "slips":
                self.phase(dur, A.TRIP_OUT, slips=True, dblock=B_LOW - self.d_block)
            elif kind == "pull_onset":
                d = on - self.t
                room = max(self.top - self.d_block - 0.3, 0.0)
                self.phase(d, A.TRIP_OUT, dbit=-min(pull_speed * d, room), decel=False)

    def accident(self, plan: _Plan, until: int) -> _Episode:
        rng = self.rng
        sev = plan.severity if plan.severity is not None else self.u(0.25, 1.0)
        ops = ONSET_OPS[plan.type]
        if plan.op is not None:
            op = plan.op
        else:
            weights = np.array([w for _, w in ops])
            op = ops[int(rng.choice(len(ops), p=weights / weights.sum()))][0]
        ep = _Episode(plan.type, float(sev), op)
        on = plan.onset
        ep.t["pre"] = on - plan.precursor
        ep.t["on"] = on
        prepare = getattr(self, f"pre_{plan.type}")
        post = prepare(ep)
        self.approach(on, op, ep, post)
        event = getattr(self, f"ev_{plan.type}")
        event(ep, until)
        return ep

    # ---- per accident type: pre_* fills drilling multipliers and returns how long drilling
    # goes on after the onset (if it starts while drilling); ev_* renders event and reaction.
    def pre_kick(self, ep: _Episode) -> int:
        s = ep.severity
        ep.prm["break"] = 1.0 + self.u(0.3, 1.0) * (0.3 + 0.7 * s)
        ep.prm["gas"] = self.gas_level * (0.5 + self.u(0.5, 4.5) * s) + 0.05
        ep.prm["qk"] = max(self.p.flow_lpm * self.u(0.05, 0.3) * s, 60.0)
        ep.prm["lead"] = self.u(0.0, 120.0) * s
        ep.prm["sicp"] = self.u(1000.0, 5000.0) * (0.4 + 0.6 * s)
        ep.prm["sidpp"] = ep.prm["sicp"] * self.u(0.45, 0.8)
        ep.prm["mud_up"] = self.u(0.02, 0.06)
        ep.prm["gas_peak"] = self.u(5.0, 30.0) * s
        pre, on = ep.t["pre"], ep.t["on"]
        post = int(self.u(60, 240) * (1.3 - 0.5 * s))
        sl, x = _span(self.n, pre, on)
        self.rop_mult[sl] *= 1.0 + (ep.prm["break"] - 1.0) * _smoothstep(x * 1.3)
        sl, _ = _span(self.n, on, on + post + 1)
        self.rop_mult[sl] *= ep.prm["break"]
        return post

    def ev_kick(self, ep: _Episode, until: int) -> None:
        t = ep.t
        t["notice"] = self.t
        room = max(self.top - self.d_block - 0.3, 0.0)
        self.phase(self.u(20, 35), A.CIRCULATING, rpm=0.0, dbit=-min(self.u(2, 4), room))
        self.phase(self.u(20, 30), A.FLOW_CHECK, flow=0.0, q_ramp=20)
        t["fc"] = self.t
        self.phase(self.u(180, 300), A.FLOW_CHECK)
        t["shut"] = self.t
        self.phase(self.u(8, 18) * MIN, A.STATIC)
        t["kill"] = self.t
        ep.prm["kill_q"] = self.q_set * self.u(0.3, 0.45)
        self.phase(self.u(12, 30) * MIN, A.CIRCULATING, flow=ep.prm["kill_q"], q_ramp=90)
        t["end"] = self.t
        self.phase(self.u(30, 60), A.STATIC, flow=0.0, q_ramp=30)
        self.phase(self.u(3, 5) * MIN, A.FLOW_CHECK)
        self.transfers.append((self.t, -self.u(0.5, 1.0) * ep.prm["qk"] * 4.0 / 1000.0, 300))
        self.phase(self.u(10, 20) * MIN, A.CIRCULATING, flow=self.q_set, rpm=self.u(40, 90))
        self.to_bottom()

    def pre_lost_circulation(self, ep: _Episode) -> int:
        s = ep.severity
        ep.prm["step"] = float(self.rng.random() < 0.3)
        ep.prm["l_on"] = self.u(0.05, 0.2) * (0.5 + 0.5 * s)
        ep.prm["l_max"] = min(self.u(0.12, 0.3) + 0.6 * s * self.u(0.4, 1.0), 0.85)
        ep.prm["resid"] = self.u(0.0, 0.05)
        ep.prm["k_spp"] = self.u(0.03, 0.09)
        return int(self.u(60, 300) * (1.3 - 0.5 * s))

    def ev_lost_circulation(self, ep: _Episode, until: int) -> None:
        t = ep.t
        t["notice"] = self.t
        if self.d_bit >= self.d_hole - 0.1:
            room = max(self.top - self.d_block - 0.3, 0.0)
            self.phase(self.u(20, 40), A.CIRCULATING, rpm=0.0, dbit=-min(self.u(2, 5), room))
        t["reduce"] = self.t
        self.phase(
            self.u(5, 10) * MIN, A.CIRCULATING, flow=self.q_set * self.u(0.5, 0.7), q_ramp=30
        )
        t["off"] = self.t
        self.phase(self.u(4, 9) * MIN, A.STATIC, flow=0.0, rpm=0.0, q_ramp=25)
        t["lcm"] = self.t
        self.phase(self.u(10, 20) * MIN, A.CIRCULATING, flow=self.q_set * self.u(0.45, 0.65))
        t["end"] = self.t
        self.transfers.append(
            (self.t, self.u(6.0, 15.0) * ep.severity + 2.0, int(self.u(5, 10) * MIN))
        )
        self.phase(self.u(5, 10) * MIN, A.CIRCULATING, flow=self.q_set, rpm=self.u(40, 90))
        self.to_bottom()

    def pre_stuck_pipe(self, ep: _Episode) -> int:
        s = ep.severity
        ep.prm["drag"] = 1.0 + self.u(0.5, 2.0) * s
        ep.prm["overpull"] = self.u(40.0, 200.0) * s
        ep.prm["tq"] = 1.0 + self.u(0.15, 0.5) * s
        ep.prm["erratic"] = self.u(0.04, 0.2) * s
        sw = float(_string_kn(self.p, self.d_bit))
        # overpull limit above the free string weight, plus the drag of a pull
        ep.prm["op_max"] = (
            min(self.u(250.0, 600.0), 0.9 * sw) + self.p.friction * ep.prm["drag"] * sw
        )
        ep.prm["set_down"] = self.u(50.0, 200.0)
        return 0

    def ev_stuck_pipe(self, ep: _Episode, until: int) -> None:
        t = ep.t
        dur = self.u(15, 55) * MIN
        t["rpm0"] = self.w
        if self.q > 1.0:
            self.phase(dur, A.CIRCULATING, rpm=0.0, rpm_ramp=3, flow=self.q * self.u(0.7, 1.0))
        else:
            first = self.u(2, 4) * MIN
            self.phase(first, A.STATIC, rpm=0.0, rpm_ramp=3)
            self.phase(dur - first, A.CIRCULATING, flow=self.q_set * self.u(0.4, 0.7), q_ramp=60)
        t["end"] = self.t
        room = max(self.top - self.d_block - 0.3, 0.0)
        if self.q < 1.0:
            self.phase(self.u(30, 60), A.CIRCULATING, flow=self.q_set)
        self.phase(
            self.u(3, 6) * MIN, A.BACK_REAMING, flow=self.q_set, rpm=self.rpm_set * 0.6,
            dbit=-min(self.u(3, 8), room),
        )  # fmt: skip
        self.phase(self.u(5, 10) * MIN, A.CIRCULATING)
        self.to_bottom()
        t["recovered"] = self.t

    def pre_pack_off(self, ep: _Episode) -> int:
        s = ep.severity
        ep.prm["spp_trend"] = self.u(0.03, 0.12) * (0.4 + 0.6 * s)
        ep.prm["spike"] = self.u(0.06, 0.2) * (0.4 + 0.6 * s)
        ep.prm["erratic"] = self.u(0.08, 0.25) * s
        ep.prm["loss_pre"] = self.u(0.04, 0.15) * s
        ep.prm["drag"] = 1.0 + self.u(0.3, 1.0) * s
        ep.prm["surge"] = self.u(0.25, 0.5) * (0.6 + 0.4 * s)
        ep.prm["loss_on"] = self.u(0.55, 0.9)
        return int(self.u(75, 180))

    def ev_pack_off(self, ep: _Episode, until: int) -> None:
        t = ep.t
        if ep.op == "back_ream":
            self.phase(self.u(75, 180), A.BACK_REAMING)
        t["stop"] = self.t
        self.phase(self.u(15, 30), A.CIRCULATING, flow=0.0, rpm=0.0, q_ramp=10)
        for _ in range(int(self.rng.integers(2, 5))):
            room = max(self.top - self.d_block - 0.3, 0.0)
            dp = min(self.u(2.0, 5.0), room)
            self.phase(self.u(40, 90), A.STATIC, rpm=self.u(30, 60), dbit=-dp)
            self.phase(self.u(40, 90), A.STATIC, dbit=dp)
        t["restart"] = self.t
        for frac in (0.2, 0.4, 0.6, 0.8, 1.0):
            self.phase(self.u(90, 200), A.CIRCULATING, flow=frac * self.q_set, rpm=self.u(40, 80))
        t["end"] = self.t
        self.phase(self.u(5, 12) * MIN, A.CIRCULATING)
        self.to_bottom()

    def pre_washout(self, ep: _Episode) -> int:
        s = ep.severity
        ep.prm["decline"] = self.u(0.08, 0.14) + 0.11 * s
        return int(self.u(30, 120))

    def ev_washout(self, ep: _Episode, until: int) -> None:
        t = ep.t
        room = max(self.top - self.d_block - 0.3, 0.0)
        self.phase(self.u(20, 40), A.CIRCULATING, rpm=0.0, dbit=-min(self.u(2, 4), room))
        for frac in (self.u(0.5, 0.7), self.u(0.75, 0.9), 1.0):
            self.phase(self.u(2, 4) * MIN, A.CIRCULATING, flow=self.q_set * frac)
        self.phase(self.u(20, 40), A.FLOW_CHECK, flow=0.0, q_ramp=20)
        self.phase(self.u(2, 3) * MIN, A.FLOW_CHECK)
        self.phase(self.u(2, 5) * MIN, A.STATIC)
        t["end"] = self.t
        stands = min(int(self.rng.integers(5, 11)), int((self.d_bit - 200.0) / self.stand))
        if stands >= 2 and until - self.t > REACTION_MAX_S["washout"]:
            self.trip_out(stands)
            self.phase(self.u(10, 20) * MIN, A.STATIC)
            self.to_bottom()
            t["restore"] = self.t
            self.phase(self.u(5, 10) * MIN, A.CIRCULATING, rpm=self.rpm_set * 0.5)
        else:
            self.phase(self.u(40, 80), A.CIRCULATING, flow=self.q_set)
            self.to_bottom()

    def pre_twist_off(self, ep: _Episode) -> int:
        s = ep.severity
        ep.prm["osc"] = self.u(0.1, 0.4) * s if self.rng.random() < 0.7 else 0.0
        if ep.prm["osc"] == 0.0:
            ep.t["pre"] = ep.t["on"]  # no visible precursor
        sw = float(_string_kn(self.p, self.d_hole))
        wob = self.wob_set * self.u(1.0, 1.2)
        ep.prm["lost"] = min(max(self.u(0.12, 0.4), (wob + self.u(80.0, 250.0)) / sw), 0.65)
        ep.prm["tq_after"] = self.u(0.3, 0.6)
        ep.prm["spp_after"] = 1.0 - self.u(0.15, 0.45)
        return 0

    def ev_twist_off(self, ep: _Episode, until: int) -> None:
        t = ep.t
        self.phase(self.u(15, 60), A.ROTARY_DRILLING)
        t["notice"] = self.t
        room = max(self.top - self.d_block - 0.3, 0.0)
        self.phase(self.u(20, 30), A.CIRCULATING, rpm=0.0, dbit=-min(self.u(3, 6), room))
        self.phase(self.u(20, 30), A.FLOW_CHECK, flow=0.0, q_ramp=20)
        self.phase(self.u(2, 4) * MIN, A.FLOW_CHECK)
        self.phase(self.u(5, 15) * MIN, A.STATIC)
        t["end"] = self.t
        stands = min(int(self.rng.integers(5, 11)), int((self.d_bit - 200.0) / self.stand))
        if stands >= 2 and until - self.t > REACTION_MAX_S["twist_off"]:
            self.trip_out(stands)
            self.phase(self.u(20, 40) * MIN, A.STATIC)
            gap = self.d_hole - self.d_bit
            self.travel(
                self.d_hole - min(gap, self.u(10.0, 20.0)), A.TRIP_IN, pumps=False, rotate=False
            )
            self.phase(self.u(40, 80), A.CIRCULATING, flow=self.q_set * 0.5)
        else:
            self.phase(self.u(3, 6) * MIN, A.STATIC)
        t["restore"] = self.t
        self.to_bottom()

    def pre_bit_balling(self, ep: _Episode) -> int:
        s = ep.severity
        ep.prm["rop_low"] = 1.0 - self.u(0.55, 0.8) * (0.5 + 0.5 * s)
        ep.prm["wob_up"] = 1.0 + self.u(0.0, 0.3) * s
        ep.prm["tq_bit"] = 1.0 - self.u(0.4, 0.7) * (0.4 + 0.6 * s)
        ep.prm["spp_up"] = self.u(0.02, 0.1) * s + 0.01
        ep.prm["recover"] = self.u(0.7, 1.0)
        pre, on = ep.t["pre"], ep.t["on"]
        post = int(self.u(30, 120))
        sl, x = _span(self.n, pre, on)
        self.rop_mult[sl] *= 1.0 - (1.0 - ep.prm["rop_low"]) * x**1.2
        self.wob_mult[sl] *= 1.0 + (ep.prm["wob_up"] - 1.0) * _smoothstep(x)
        sl, _ = _span(self.n, on, on + post + 1)
        self.rop_mult[sl] *= ep.prm["rop_low"]
        self.wob_mult[sl] *= ep.prm["wob_up"]
        return post

    def ev_bit_balling(self, ep: _Episode, until: int) -> None:
        t = ep.t
        room = max(self.top - self.d_block - 0.3, 0.0)
        self.phase(self.u(20, 40), A.CIRCULATING, rpm=0.0, dbit=-min(self.u(1, 3), room))
        t["clean"] = self.t
        self.phase(
            self.u(10, 25) * MIN, A.CIRCULATING, flow=self.q_set * self.u(1.05, 1.2),
            rpm=min(self.rpm_set * self.u(1.2, 1.4), 200.0),
        )  # fmt: skip
        t["end"] = self.t
        sl, x = _span(self.n, self.t, self.t + HOUR)
        self.rop_mult[sl] *= ep.prm["recover"] + (1.0 - ep.prm["recover"]) * x
        self.phase(self.u(20, 40), A.CIRCULATING, flow=self.q_set, rpm=self.rpm_set)
        self.to_bottom()


# --------------------------------------------------------------------------- effects


class _Fx:
    """Accident overlays on the physics: multipliers, additions and overrides per second."""

    def __init__(self, n: int) -> None:
        self.n = n
        self.tq_mult = np.ones(n)
        self.tq_bit = np.ones(n)
        self.drag = np.ones(n)
        self.str_wt = np.ones(n)
        self.spp_mult = np.ones(n)
        self.mfo_mult = np.ones(n)
        self.tq_osc = np.zeros(n)
        self.erratic = np.zeros(n)
        self.hk_add = np.zeros(n)
        self.overpull = np.zeros(n)
        self.spp_add = np.zeros(n)
        self.loss = np.zeros(n)
        self.gain = np.zeros(n)
        self.mfo_add = np.zeros(n)
        self.gas_add = np.zeros(n)
        self.chkp = np.zeros(n)
        self.wob_add = np.zeros(n)
        self.tq_set = np.full(n, np.nan)
        self.rpm_set = np.full(n, np.nan)


def _fx_kick(fx: _Fx, ep: _Episode, rig: _Rig, rng: np.random.Generator) -> None:
    n, t, prm = fx.n, ep.t, ep.prm
    pre, on, notice, shut, kill, end = (
        t["pre"],
        t["on"],
        t["notice"],
        t["shut"],
        t["kill"],
        t["end"],
    )
    sl, x = _span(n, pre, on)
    fx.gas_add[sl] += prm["gas"] * x**1.5
    sl, x = _span(n, on, shut)
    fx.gas_add[sl] += prm["gas"] * (1.0 + 0.8 * x)
    start = on - prm["lead"]
    sl, x = _span(n, start, notice + 90)
    fx.gain[sl] += prm["qk"] * _smoothstep(x) ** 1.5
    sl, _ = _span(n, notice + 90, shut)
    fx.gain[sl] += prm["qk"]
    sl, x = _span(n, shut, kill)
    build = 1.0 - np.exp(-(x * (kill - shut)) / rng.uniform(60.0, 150.0))
    fx.mfo_mult[sl] = 0.0
    fx.chkp[sl] += prm["sicp"] * build
    fx.spp_add[sl] += prm["sidpp"] * build
    sl, x = _span(n, kill, end)
    fx.chkp[sl] += prm["sicp"] * (1.0 + 0.35 * _bump(x, 0.55, 0.15)) * (1.0 - x) ** 0.7
    fx.spp_add[sl] += prm["sidpp"] * (1.0 - x)
    fx.gas_add[sl] += prm["gas"] + prm["gas_peak"] * _bump(x, 0.55, 0.12)
    fx.mfo_add[sl] += prm["kill_q"] * rng.uniform(0.3, 0.8) * _bump(x, 0.55, 0.08)
    sl, x = _span(n, end, end + HOUR)
    fx.gas_add[sl] += prm["gas"] * (1.0 - x) ** 2
    sl, _ = _span(n, end, n)
    fx.spp_mult[sl] *= 1.0 + prm["mud_up"]


def _fx_lost_circulation(fx: _Fx, ep: _Episode, rig: _Rig, rng: np.random.Generator) -> None:
    n, t, prm = fx.n, ep.t, ep.prm
    pre, on, lcm, end = t["pre"], t["on"], t["lcm"], t["end"]
    loss = np.zeros(n)
    sl, x = _span(n, pre, on)
    if prm["step"]:
        loss[sl] = 0.03 * ep.severity * x
        ramp = rng.uniform(5.0, 20.0)
        start_level = 0.03 * ep.severity
    else:
        loss[sl] = prm["l_on"] * x**1.5
        ramp = rng.uniform(30.0, 120.0)
        start_level = prm["l_on"]
    sl, x = _span(n, on, on + ramp)
    loss[sl] = start_level + (prm["l_max"] - start_level) * x
    sl, _ = _span(n, on + ramp, lcm)
    loss[sl] = prm["l_max"]
    sl, x = _span(n, lcm, end)
    loss[sl] = prm["l_max"] + (prm["resid"] - prm["l_max"]) * _smoothstep(x)
    sl, x = _span(n, end, end + HOUR)
    loss[sl] = prm["resid"] * (1.0 - x)
    fx.loss += loss
    fx.spp_mult *= 1.0 - prm["k_spp"] * loss / max(prm["l_max"], 1e-6)


def _working_pipe(
    fx: _Fx, ep: _Episode, rig: _Rig, rng: np.random.Generator, a: int, b: int
) -> None:
    """Stuck: torque at the limit and released, RPM 0, hookload cycles of overpull."""
    p = rig.p
    lim = p.torque_limit_knm
    tq = np.zeros(max(b - a, 0))
    rpm = np.zeros_like(tq)
    hk = np.zeros_like(tq)
    m = tq.size
    if m == 0:
        return
    rpm0 = float(ep.t.get("rpm0", 0.0))
    stall = int(rng.uniform(2.0, 5.0))
    if rpm0 > 5.0:
        k = np.arange(min(stall, m))
        rpm[: k.size] = rpm0 * (1.0 - (k + 1) / (stall + 1))
        tq[:m] = lim * rng.uniform(0.25, 0.4)
        hold = min(m, stall + int(rng.uniform(10, 40)))
        tq[: min(stall, m)] = np.linspace(rig.p.torque_off_knm, lim, stall)[: min(stall, m)]
        tq[stall:hold] = lim * rng.uniform(0.97, 1.03)
    else:
        tq[:] = rng.uniform(0.0, 2.0)
    i = int(rng.uniform(10, 30))
    op, sd = ep.prm["op_max"], ep.prm["set_down"]
    cycle = 0
    while i < m:
        kind = rng.random() if cycle > 1 else (0.5, 0.0)[cycle]  # pull first, then torque
        cycle += 1
        if kind < 0.3:  # torque attempt against the stuck string
            up = int(rng.uniform(8, 15))
            hold = int(rng.uniform(8, 20))
            seg = np.concatenate([np.linspace(tq[i - 1], lim, up), np.full(hold, lim)])
            seg = seg[: m - i]
            tq[i : i + seg.size] = seg * rng.uniform(0.97, 1.02)
            rpm[i : i + seg.size] = rng.uniform(0.0, 4.0) * (seg > 0.9 * lim)
            rest = lim * rng.uniform(0.1, 0.35)
            tq[i + seg.size :] = rest
            i += seg.size + int(rng.uniform(10, 40))
        else:  # pull to the overpull limit, hold, slack off to set down weight, hold
            level = op * (rng.uniform(0.6, 1.0) if cycle > 1 else 1.0)
            pieces = [
                np.linspace(0.0, level, int(rng.uniform(15, 40))),
                np.full(int(rng.uniform(5, 20)), level),
                np.linspace(level, -sd, int(rng.uniform(15, 40))),
                np.full(int(rng.uniform(5, 30)), -sd),
                np.linspace(-sd, 0.0, int(rng.uniform(5, 15))),
            ]
            if rng.random() < 0.3:  # jar fires
                pieces[1] = pieces[1] + np.where(np.arange(pieces[1].size) == 2, 150.0, 0.0)
            seg = np.concatenate(pieces)[: m - i]
            hk[i : i + seg.size] = seg
            i += seg.size + int(rng.uniform(5, 40))
    fx.tq_set[a:b] = tq[: b - a]
    fx.rpm_set[a:b] = rpm[: b - a]
    fx.hk_add[a:b] += hk[: b - a]
    fx.wob_add[a:b] += np.clip(-hk[: b - a], 0.0, None)


def _fx_stuck_pipe(fx: _Fx, ep: _Episode, rig: _Rig, rng: np.random.Generator) -> None:
    n, t, prm = fx.n, ep.t, ep.prm
    pre, on, end = t["pre"], t["on"], t["end"]
    rec = t.get("recovered", end)
    sl, x = _span(n, pre, on)
    g = x**1.5
    fx.drag[sl] *= 1.0 + (prm["drag"] - 1.0) * g
    fx.overpull[sl] += prm["overpull"] * g
    fx.tq_mult[sl] *= 1.0 + (prm["tq"] - 1.0) * g
    fx.erratic[sl] += prm["erratic"] * x
    sl, x = _span(n, end, rec + 30 * MIN)
    fx.drag[sl] *= 1.0 + (prm["drag"] - 1.0) * (1.0 - x)
    fx.tq_mult[sl] *= 1.0 + (prm["tq"] - 1.0) * (1.0 - x)
    fx.erratic[sl] += prm["erratic"] * (1.0 - x)
    a, b = max(int(on), 0), min(int(end), n)
    if b > a:
        _working_pipe(fx, ep, rig, rng, a, b)


def _fx_pack_off(fx: _Fx, ep: _Episode, rig: _Rig, rng: np.random.Generator) -> None:
    n, t, prm = fx.n, ep.t, ep.prm
    pre, on, stop, restart, end = t["pre"], t["on"], t["stop"], t["restart"], t["end"]
    sl, x = _span(n, pre, on)
    fx.spp_mult[sl] *= 1.0 + prm["spp_trend"] * x**1.3
    fx.erratic[sl] += prm["erratic"] * x
    fx.loss[sl] += prm["loss_pre"] * x**1.5
    fx.drag[sl] *= 1.0 + (prm["drag"] - 1.0) * x
    # pressure spikes, more frequent towards the onset
    spikes = np.zeros(n)
    tt = float(pre)
    while tt < on:
        gap = rng.uniform(60.0, 400.0) * (1.0 - 0.8 * (tt - pre) / max(on - pre, 1.0))
        tt += gap
        if tt >= on:
            break
        width = rng.uniform(10.0, 60.0)
        ssl, xx = _span(n, tt, tt + width)
        spikes[ssl] += prm["spike"] * rng.uniform(0.5, 1.0) * np.sin(np.pi * xx)
    fx.spp_mult *= 1.0 + spikes
    sl, x = _span(n, on, stop)
    surge = prm["surge"]
    fx.spp_mult[sl] *= 1.0 + prm["spp_trend"] + surge * _smoothstep(x * (stop - on) / 20.0)
    fast = _smoothstep(x * (stop - on) / 10.0)
    fx.loss[sl] += prm["loss_pre"] + (prm["loss_on"] - prm["loss_pre"]) * fast
    fx.erratic[sl] += prm["erratic"] * 2.0
    fx.tq_mult[sl] *= 1.0 + 0.3 * _bump(x, 0.3, 0.2)
    base = float(rig.p.spp_kpa)
    sl, x = _span(n, stop, restart)
    fx.spp_add[sl] += base * surge * 0.6 * np.exp(-x * (restart - stop) / rng.uniform(60, 180))
    fx.drag[sl] *= prm["drag"] * 1.3
    fx.overpull[sl] += rng.uniform(80.0, 250.0) * ep.severity
    fx.erratic[sl] += prm["erratic"] * 2.0
    sl, x = _span(n, restart, end)
    fx.spp_mult[sl] *= 1.0 + surge * 0.6 * (1.0 - x) ** 1.5
    fx.loss[sl] += 0.3 * prm["loss_on"] * (1.0 - x) ** 3
    fx.erratic[sl] += prm["erratic"] * (1.0 - x)


def _fx_washout(fx: _Fx, ep: _Episode, rig: _Rig, rng: np.random.Generator) -> None:
    n, t, prm = fx.n, ep.t, ep.prm
    pre, on = t["pre"], t["on"]
    restore = t.get("restore", float(n))
    d = prm["decline"]
    sl, x = _span(n, pre, on)
    fx.spp_mult[sl] *= 1.0 - d * x**1.3
    sl, x = _span(n, on, restore)
    fx.spp_mult[sl] *= 1.0 - d * (1.0 + 0.1 * np.clip(x * (restore - on) / (2 * HOUR), 0, 1))


def _fx_twist_off(fx: _Fx, ep: _Episode, rig: _Rig, rng: np.random.Generator) -> None:
    n, t, prm = fx.n, ep.t, ep.prm
    pre, on, notice = t["pre"], t["on"], t["notice"]
    restore = t.get("restore", float(n))
    sl, x = _span(n, pre, on)
    fx.tq_osc[sl] += prm["osc"] * x
    sl, _ = _span(n, on, restore)
    fx.tq_mult[sl] *= prm["tq_after"]
    fx.tq_bit[sl] = 0.0
    fx.str_wt[sl] *= 1.0 - prm["lost"]
    fx.spp_mult[sl] *= prm["spp_after"]
    lost_kn = prm["lost"] * float(_string_kn(rig.p, rig.hole[min(int(on), n - 1)]))
    sl, _ = _span(n, on, notice)
    fx.wob_add[sl] += min(0.6 * lost_kn, 300.0)
    sl, x = _span(n, on, on + 8)
    fx.rpm_set[sl] = rig.rpm[sl] * (1.0 + 0.2 * np.sin(np.pi * x))


def _fx_bit_balling(fx: _Fx, ep: _Episode, rig: _Rig, rng: np.random.Generator) -> None:
    n, t, prm = fx.n, ep.t, ep.prm
    pre, on, clean, end = t["pre"], t["on"], t["clean"], t["end"]
    sl, x = _span(n, pre, on)
    fx.tq_bit[sl] *= 1.0 - (1.0 - prm["tq_bit"]) * x
    fx.spp_mult[sl] *= 1.0 + prm["spp_up"] * x**1.2
    sl, _ = _span(n, on, clean)
    fx.tq_bit[sl] *= prm["tq_bit"]
    fx.spp_mult[sl] *= 1.0 + prm["spp_up"]
    sl, x = _span(n, clean, end)
    fx.spp_mult[sl] *= 1.0 + prm["spp_up"] * (1.0 - x) ** 2


_FX: dict[str, Callable[[_Fx, _Episode, _Rig, np.random.Generator], None]] = {
    "kick": _fx_kick,
    "lost_circulation": _fx_lost_circulation,
    "stuck_pipe": _fx_stuck_pipe,
    "pack_off": _fx_pack_off,
    "washout": _fx_washout,
    "twist_off": _fx_twist_off,
    "bit_balling": _fx_bit_balling,
}


# --------------------------------------------------------------------------- physics


def _physics(
    p: WellProfile,
    rig: _Rig,
    fx: _Fx,
    rng: np.random.Generator,
    quiet: Sequence[tuple[float, float]] = (),
) -> dict[str, np.ndarray]:
    """Ideal surface channels from the operational state and the accident overlays."""
    n = rig.n
    tsec = np.arange(n, dtype=np.float64)
    bit, hole, block, q, wob = rig.bit, rig.hole, rig.block, rig.flow, rig.wob
    period = rng.uniform(4.0, 12.0)
    phase = (tsec / period) % 1.0
    saw = np.where(phase < 0.7, phase / 0.7, (1.0 - phase) / 0.3) * 2.0 - 1.0  # stick-slip
    rpm = rig.rpm * (1.0 - 0.6 * fx.tq_osc * saw)
    rpm = np.where(np.isnan(fx.rpm_set), rpm, fx.rpm_set)
    rot = np.clip(rpm / 30.0, 0.0, 1.0)

    # hookload: block + string (less what was lost) + drag - weight on bit
    sw = _string_kn(p, bit) * fx.str_wt
    v = np.gradient(bit)
    move = np.tanh(-v / 0.05)  # + pulling, - lowering
    pull = np.clip(move, 0.0, None)
    drag = p.friction * fx.drag * (1.0 - 0.7 * rot) * sw * move
    tight = np.zeros(n)
    spots = np.arange(p.start_depth_m % 350.0 + 100.0, hole.max() + 1.0, rng.uniform(250, 600))
    for depth in spots:
        near = np.abs(bit - depth) < 1.5
        if near.any():
            tight[near] += rng.uniform(20.0, 80.0) * (1.0 - np.abs(bit[near] - depth) / 1.5)
    hk = p.block_weight_kn + sw + drag + (tight + fx.overpull) * pull - wob + fx.hk_add
    hk = np.where(rig.slips, p.block_weight_kn, hk)

    # torque: string (grows with depth and drag) + bit (with WOB), stick-slip, overrides
    on_btm = wob > 1.0
    tq_str = p.torque_off_knm * (bit / p.start_depth_m) * (0.75 + 0.25 * rpm / p.rpm)
    tq_str *= 1.0 + 0.4 * (fx.drag - 1.0)
    tq = (tq_str + p.bit_torque_knm_per_kn * wob * fx.tq_bit) * rot * fx.tq_mult
    tq += (1.0 - rot) * on_btm * (0.3 + 0.01 * wob)  # slide: motor reactive torque
    tq *= 1.0 + fx.tq_osc * saw + fx.erratic * _lp_noise(rng, n, 3.0)
    lim = p.torque_limit_knm  # the top drive stalls at its limit: soft cap above 80 %
    over = np.clip(tq - 0.8 * lim, 0.0, None)
    tq = np.where(over > 0, 0.8 * lim + 0.18 * lim * np.tanh(over / (0.18 * lim)), tq)
    tq = np.where(np.isnan(fx.tq_set), tq, fx.tq_set)

    # standpipe pressure ~ flow^1.8 (string share grows with depth) + motor/bit on bottom
    qr = np.clip(q / p.flow_lpm, 0.0, None)
    mud = 1.0 + _walk(rng, n, 1800, 0.004)
    base = (p.spp_kpa - p.motor_dp_kpa) * qr**1.8 * (0.75 + 0.25 * bit / p.start_depth_m)
    motor = p.motor_dp_kpa * (wob / p.wob_kn) * np.clip(qr, 0.0, 1.2)
    spp = (base + motor) * fx.spp_mult * mud + fx.spp_add
    relief = min(1.45 * p.spp_kpa, 38000.0)  # pump pop-off: soft cap on the surge
    over = np.clip(spp - 0.85 * relief, 0.0, None)
    spp = np.where(over > 0, 0.85 * relief + 0.15 * relief * np.tanh(over / (0.15 * relief)), spp)

    # flows: returns lag the pumps; losses leave, influx adds; shut-in closes the flowline
    tau = rng.uniform(8.0, 20.0)
    kernel = _lag_kernel(p.return_lag_s, tau)
    q_ret = q * (1.0 - np.clip(fx.loss, 0.0, 1.0)) + fx.gain
    q_out = _lag(q_ret, kernel) * fx.mfo_mult + fx.mfo_add

    # active pit: flow balance, hole filled while drilling, surface losses, transfers
    pumping = q > 1.0
    tva = (
        p.pit_m3
        + np.cumsum(q_out - q) / 60000.0
        - p.hole_m3_per_m * (hole - hole[0])
        - np.cumsum(pumping) * rng.uniform(0.05, 0.3) / HOUR
    )
    transfers = list(rig.transfers)
    tt = rng.uniform(0.3, 3.0) * HOUR
    while tt < n:
        dur = int(rng.uniform(3, 10) * MIN)
        if not any(a - 30 * MIN < tt + dur and tt < b + 30 * MIN for a, b in quiet):
            transfers.append((int(tt), 0.0, dur))
        tt += rng.uniform(1.0, 5.0) * HOUR
    transfers.sort()
    add = np.zeros(n)
    target = p.pit_m3
    for start, volume, dur in transfers:
        if start >= n:
            continue
        if volume == 0.0:  # routine transfer towards the target level (pit-transfer bait)
            level = tva[start] + add[start]
            sign = 1.0 if level < target - 2.0 else (-1.0 if level > target + 6.0 else 0.0)
            if sign == 0.0:
                sign = 1.0 if rng.random() < 0.6 else -1.0
            volume = sign * rng.uniform(2.0, 7.0)
        sl, x = _span(n, start, start + dur)
        add[sl] += volume * x
        add[sl.stop :] += volume
    tva = tva + add
    # crews keep the active pit above a working level: refill from the reserve (big losses)
    for _ in range(20):
        low = np.flatnonzero(tva < 12.0)
        if not low.size:
            break
        sl, x = _span(n, max(low[0] - 60, 0), max(low[0] - 60, 0) + rng.uniform(4, 8) * MIN)
        volume = rng.uniform(15.0, 25.0)
        tva[sl] += volume * x
        tva[sl.stop :] += volume

    # gas: formation background, connection/trip gas after bottoms-up, accident gas;
    # the trap reads only while mud returns
    steps = rig.gas_steps
    idx = np.searchsorted([s for s, _ in steps], tsec, side="right") - 1
    bg = np.array([lv for _, lv in steps])[idx] * np.exp(_walk(rng, n, 900, 0.08))
    peaks = np.zeros(n)
    for centre, amp, width in rig.gas_peaks:
        sl, x = _span(n, centre - 3 * width, centre + 3 * width)
        peaks[sl] += amp * np.exp(-0.5 * ((x - 0.5) * 6.0) ** 2)
    gas_true = bg + peaks + fx.gas_add
    returns = np.clip(q_out / (0.3 * p.flow_lpm), 0.0, 1.0)
    ret = _lag(returns, _lag_kernel(0, 120.0))
    gas = 0.02 + (gas_true - 0.02) * ret

    return {
        "DBTM": bit.copy(),
        "DMEA": hole.copy(),
        "BPOS": block.copy() + np.clip(fx.hk_add, 0.0, None) * bit / 7.7e5,
        "ROPA": rig.rop.copy(),
        "HKLA": hk,
        "WOBA": wob + fx.wob_add,
        "TQA": np.clip(tq, 0.0, None),
        "RPMA": np.clip(rpm, 0.0, None),
        "SPPA": np.clip(spp, 0.0, None),
        "CHKP": fx.chkp.copy(),
        "MFIA": q.copy(),
        "MFOA": np.clip(q_out, 0.0, None),
        "TVA": tva,
        "GASA": np.clip(gas, 0.0, None),
        "ACTC": rig.act.astype(np.float64),
    }


def _measure(
    p: WellProfile, ideal: dict[str, np.ndarray], rng: np.random.Generator
) -> dict[str, np.ndarray]:
    """Sensors: noise (scaled by the well's noise), slow drift, calibration, resolution."""
    n = ideal["DBTM"].size
    k = p.noise

    def white(sd: float) -> np.ndarray:
        return rng.normal(0.0, sd * k, n)

    out: dict[str, np.ndarray] = {}
    out["DBTM"] = ideal["DBTM"]
    out["DMEA"] = ideal["DMEA"]
    out["BPOS"] = ideal["BPOS"] + white(0.01)
    rop = ideal["ROPA"]
    out["ROPA"] = np.where(rop > 0, rop * (1.0 + 0.12 * k * _lp_noise(rng, n, 5.0)) + white(0.3), 0)
    hk = ideal["HKLA"]
    out["HKLA"] = hk * (1.0 + white(0.003)) + white(2.0) + _walk(rng, n, 1800, 2.0 * k)
    out["WOBA"] = ideal["WOBA"] * (1.0 + 0.04 * k * _lp_noise(rng, n, 4.0)) + white(2.0)
    tq = ideal["TQA"]
    out["TQA"] = tq * (1.0 + 0.04 * k * _lp_noise(rng, n, 2.0)) + np.where(tq > 0.5, white(0.3), 0)
    rpm = ideal["RPMA"]
    out["RPMA"] = np.where(rpm > 0.5, rpm * (1.0 + white(0.01)) + white(0.5), 0.0)
    spp = ideal["SPPA"]
    out["SPPA"] = spp * (1.0 + white(0.008) + _walk(rng, n, 3600, 0.002 * k)) + white(40.0)
    out["CHKP"] = ideal["CHKP"] + rng.uniform(0.0, 40.0) + white(8.0)
    out["MFIA"] = np.where(ideal["MFIA"] > 1.0, ideal["MFIA"] * (1.0 + white(0.004)) + white(4), 0)
    bias = p.flow_out_bias * (1.0 + _walk(rng, n, 3600, 0.004 * k))
    q_out = ideal["MFOA"]
    out["MFOA"] = q_out * bias * (1.0 + 0.025 * k * _lp_noise(rng, n, 3.0)) + white(15.0)
    paddle = np.clip(q_out * bias / (1.3 * p.flow_lpm), 0.0, 1.0) ** 0.8 * 100.0
    out["MFOP"] = paddle * (1.0 + 0.04 * k * _lp_noise(rng, n, 4.0)) + white(1.0)
    slosh = 0.08 * np.sin(2 * np.pi * np.arange(n) / rng.uniform(40.0, 90.0))
    out["TVA"] = (
        ideal["TVA"] + slosh * (ideal["MFIA"] > 1) + white(0.04) + _walk(rng, n, 3600, 0.1 * k)
    )
    out["GASA"] = ideal["GASA"] * np.exp(0.1 * k * _lp_noise(rng, n, 10.0))
    out["ACTC"] = ideal["ACTC"]
    for name in ("ROPA", "TQA", "RPMA", "SPPA", "CHKP", "MFIA", "MFOA", "MFOP", "GASA"):
        out[name] = np.clip(out[name], 0.0, None)
    out["MFOP"] = np.clip(out["MFOP"], 0.0, 100.0)
    out["ROPA"] = np.where(ideal["ROPA"] > 0, out["ROPA"], 0.0)
    for name, digits in ROUND.items():
        out[name] = np.round(out[name], digits)
    out["DMEA"] = np.maximum.accumulate(out["DMEA"])
    out["DBTM"] = np.minimum(out["DBTM"], out["DMEA"])
    return out


def _dropouts(p: WellProfile, data: dict[str, np.ndarray], rng: np.random.Generator) -> None:
    """Short NaN runs per channel, rare long channel gaps, and short link losses (all)."""
    n = data["DBTM"].size
    hours = n / HOUR
    for name in CANONICAL:
        if name == "ACTC":
            continue
        arr = data[name]
        for _ in range(rng.poisson(3.0 * p.dropout_rate * hours)):
            a = int(rng.integers(0, n))
            arr[a : a + int(rng.geometric(0.15))] = np.nan
        for _ in range(rng.poisson(0.015 * p.dropout_rate * hours)):
            a = int(rng.integers(0, n))
            arr[a : a + int(rng.uniform(5, 45) * MIN)] = np.nan
    for _ in range(rng.poisson(0.3 * p.dropout_rate * hours)):
        a = int(rng.integers(0, n))
        b = a + int(rng.uniform(5, 60))
        for name in CANONICAL:
            data[name][a:b] = np.nan


# --------------------------------------------------------------------------- simulation


def _utc(value: datetime, what: str) -> datetime:
    if not isinstance(value, datetime) or value.tzinfo is None:
        raise ValueError(f"{what}: {value!r} must be a timezone-aware datetime")
    return value.astimezone(UTC)


def _samples(hours: float) -> int:
    if not isinstance(hours, int | float) or not math.isfinite(hours) or hours <= 0:
        raise ValueError(f"hours: {hours!r} must be a positive number")
    n = round(hours * HOUR)
    if n < 1:
        raise ValueError(f"hours: {hours!r} is less than one second")
    return n


def _seed_seq(seed: int) -> np.random.SeedSequence:
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer) or seed < 0:
        raise ValueError(f"seed: {seed!r} must be a non-negative integer")
    return np.random.SeedSequence(int(seed))


def _run(
    profile: WellProfile, start: datetime, n: int, seed: int, plans: list[_Plan] | None
) -> SimWell:
    ops_ss, fx_ss, noise_ss, drop_ss, plan_ss = _seed_seq(seed).spawn(5)
    if plans is None:
        rng = np.random.default_rng(plan_ss)
        count = math.floor(n / (8 * HOUR) + rng.random())
        plans = _slot_plans(n, count, rng, _Deck(rng))
    rig = _Rig(profile, n, np.random.default_rng(ops_ss))
    episodes: list[_Episode] = []
    plans = sorted(plans, key=lambda pl: pl.onset)
    for i, plan in enumerate(plans):
        until = n if i + 1 == len(plans) else plans[i + 1].onset - plans[i + 1].precursor
        need = plan.precursor if plan.type in DRILLING_PRECURSOR else 0
        rig.normal_until(plan.onset - max(need, APPROACH_MIN_S) - TAIL_MAX_S)
        episodes.append(rig.accident(plan, until))
    rig.normal_until(n, final=True)
    rig.bit = np.minimum(rig.bit, rig.hole)

    fx = _Fx(n)
    fx_rng = np.random.default_rng(fx_ss)
    for ep in episodes:
        _FX[ep.type](fx, ep, rig, fx_rng)
    quiet = [(ep.t["pre"], ep.t["end"]) for ep in episodes]
    ideal = _physics(profile, rig, fx, np.random.default_rng(noise_ss), quiet)
    data = _measure(profile, ideal, np.random.default_rng(noise_ss.spawn(1)[0]))
    _dropouts(profile, data, np.random.default_rng(drop_ss))

    start = start.astimezone(UTC)
    index = pd.DatetimeIndex(
        pd.date_range(start=pd.Timestamp(start), periods=n, freq="s", unit="ns"), name="time"
    )
    frame = pd.DataFrame({name: data[name] for name in CANONICAL}, index=index, dtype=np.float64)
    last = start + timedelta(seconds=n - 1)
    accidents = []
    for ep in episodes:
        on = int(ep.t["on"])
        accidents.append(
            SimAccident(
                well_id=profile.well_id,
                type=ep.type,
                start=start + timedelta(seconds=on),
                end=min(start + timedelta(seconds=int(ep.t["end"])), last),
                precursor_start=start + timedelta(seconds=int(min(ep.t["pre"], on))),
                depth_m=round(float(rig.bit[min(on, n - 1)]), 2),
                severity=round(ep.severity, 3),
                operation=ep.op,
                noticed=(
                    start + timedelta(seconds=int(ep.t["notice"]))
                    if ep.t.get("notice", n) < n
                    else None
                ),
            )
        )
    return SimWell(profile=profile, frame=frame, accidents=accidents)


def simulate_well(
    profile: WellProfile,
    *,
    start: datetime,
    hours: float,
    seed: int,
    accidents: list[tuple[str, float]] | None = None,
) -> SimWell:
    """Simulate one well at 1 Hz from ``start`` for ``hours``.

    accidents: (type, onset offset in seconds from start); None = choose randomly (about
    one accident every 6-10 h, never overlapping, types spread evenly; 0 accidents allowed
    for short wells). Explicit precursors are drawn from the type's range but never reach
    back into the previous accident. Raises ValueError for unknown types, onsets outside
    the well, or onsets closer to the previous one than its longest event + reaction
    (capped at 45 min) + 10 min.
    """
    start = _utc(start, "start")
    n = _samples(hours)
    plans = None
    if accidents is not None:
        rng = np.random.default_rng(_seed_seq(seed).spawn(6)[5])
        plans = _resolve_plans(accidents, n, rng)
    return _run(profile, start, n, seed, plans)


def _well_seed(seed: int, i: int) -> int:
    return int(np.random.SeedSequence([seed, i]).generate_state(1)[0])


def _fleet_plans(n_wells: int, n: int, seed: int) -> list[list[_Plan]]:
    rng = np.random.default_rng([seed, 0xF1EE7])
    deck = _Deck(rng)
    jitter = (rng.permutation(n_wells) + rng.random(n_wells)) / n_wells
    return [
        _slot_plans(n, math.floor(n / (8 * HOUR) + jitter[i]), rng, deck) for i in range(n_wells)
    ]


def _iter_fleet(
    n_wells: int, *, hours: float, seed: int, start: datetime | None, prefix: str
) -> Iterator[SimWell]:
    if isinstance(n_wells, bool) or not isinstance(n_wells, int) or n_wells < 1:
        raise ValueError(f"n_wells: {n_wells!r} must be a positive integer")
    n = _samples(hours)
    _seed_seq(seed)
    validate_well_id(f"{prefix}-{seed}-00")
    first = DEFAULT_EPOCH + timedelta(hours=seed) if start is None else _utc(start, "start")
    plans = _fleet_plans(n_wells, n, seed)
    for i in range(n_wells):
        well_id = f"{prefix}-{seed}-{i:02d}"
        profile = random_profile(well_id, np.random.default_rng([seed, i, 1]))
        t0 = time.perf_counter()
        well = _run(profile, first, n, _well_seed(seed, i), plans[i])
        logger.info(
            "simulated %s (%d/%d): %.1f h, %d accidents, %.2f s",
            well_id, i + 1, n_wells, n / HOUR, len(well.accidents), time.perf_counter() - t0,
        )  # fmt: skip
        yield well


def simulate_fleet(
    n_wells: int,
    *,
    hours: float,
    seed: int,
    start: datetime | None = None,
    prefix: str = "SIM",
) -> list[SimWell]:
    """Deterministic fleet: same arguments -> identical frames.

    Well ids are f"{prefix}-{seed}-{i:02d}"; the default start is 2026-01-01T00:00Z plus
    ``seed`` hours. Accident types are dealt from shuffled decks across the fleet, so every
    type occurs once the fleet holds about 60 well-hours.
    """
    return list(_iter_fleet(n_wells, hours=hours, seed=seed, start=start, prefix=prefix))


def demo_fleet(
    n_wells: int, *, start: datetime, hours: float, seed: int, live_from: datetime
) -> list[SimWell]:
    """Wells for the live demo.

    Well 0 gets a kick with onset at live_from + 4 min (precursor from live_from), well 1
    (if any) a stuck pipe with onset at live_from + 9 min (precursor from live_from), the
    others normal operations only. Data run from ``start`` (moved back by less than 1 s
    if needed so that live_from falls on a whole second of the 1 s grid) to start + hours.
    Well ids are f"DEMO-{i:02d}".
    """
    if isinstance(n_wells, bool) or not isinstance(n_wells, int) or n_wells < 1:
        raise ValueError(f"n_wells: {n_wells!r} must be a positive integer")
    start = _utc(start, "start")
    live_from = _utc(live_from, "live_from")
    n = _samples(hours)
    _seed_seq(seed)
    lead = math.ceil((live_from - start).total_seconds())
    start = live_from - timedelta(seconds=lead)
    wells = []
    scenario = [("kick", 4 * MIN, 0.85), ("stuck_pipe", 9 * MIN, 0.8)]
    for i in range(n_wells):
        profile = random_profile(f"DEMO-{i:02d}", np.random.default_rng([seed, i, 2]))
        plans: list[_Plan] = []
        if i < len(scenario):
            kind, after, severity = scenario[i]
            onset = lead + after
            if not 0 <= onset < n:
                raise ValueError(
                    f"live_from: {kind} onset at live_from + {after // MIN} min is outside "
                    f"the data ({start.isoformat()} + {hours} h)"
                )
            plans.append(_Plan(kind, onset, min(after, onset), severity, "drill"))
        wells.append(_run(profile, start, n, _well_seed(seed, 1000 + i), plans))
    return wells


# --------------------------------------------------------------------------- files


def _iso_times(index: pd.DatetimeIndex) -> list[str]:
    idx = index.tz_convert("UTC")
    if (idx.microsecond == 0).all() and (idx.nanosecond == 0).all():
        return list(idx.strftime("%Y-%m-%dT%H:%M:%S+00:00"))
    return [ts.isoformat() for ts in idx]


def _write_well(well: SimWell, out_dir: Path, fmt: str) -> Path:
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


def _write_accidents(accidents: list[SimAccident], out_dir: Path) -> Path:
    path = out_dir / "accidents.csv"
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(["well", "type", "start", "end", "depth"])
        for acc in accidents:
            writer.writerow(
                [acc.well_id, acc.type, acc.start.isoformat(), acc.end.isoformat(), acc.depth_m]
            )
    return path


def _manifest_entry(w: SimWell) -> dict[str, Any]:
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


def _write_manifest(entries: list[dict[str, Any]], out_dir: Path) -> Path:
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
    paths = [_write_well(w, out_dir, fmt) for w in wells]
    paths.append(_write_accidents([a for w in wells for a in w.accidents], out_dir))
    if manifest:
        paths.append(_write_manifest([_manifest_entry(w) for w in wells], out_dir))
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


# --------------------------------------------------------------------------- CLI


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="drillwatch simulate",
        description=(
            "Simulate 1 Hz surface mud-logging telemetry for a fleet of wells, with drilling "
            "accidents (stuck pipe, pack-off, lost circulation, kick, washout, twist-off, bit "
            "balling) and their precursors. Writes one file per well plus accidents.csv. "
            "Deterministic: the same arguments give the same files."
        ),
        epilog="Example: drillwatch simulate --wells 12 --hours 24 --seed 7 --out var/sim",
    )
    parser.add_argument("--wells", type=int, required=True, help="number of wells (>= 1)")
    parser.add_argument("--hours", type=float, required=True, help="hours per well (> 0)")
    parser.add_argument("--seed", type=int, default=0, help="random seed (>= 0, default 0)")
    parser.add_argument("--out", type=Path, required=True, help="output directory (created)")
    parser.add_argument(
        "--format",
        choices=("csv", "parquet"),
        default="csv",
        help="file format per well (default csv)",
    )
    parser.add_argument(
        "--start",
        default=None,
        help="first sample time, ISO-8601 with offset (default 2026-01-01T00:00Z + seed h)",
    )
    parser.add_argument(
        "--prefix", default="SIM", help="well id prefix: <prefix>-<seed>-<nn> (default SIM)"
    )
    parser.add_argument(
        "--manifest",
        action="store_true",
        help="also write manifest.json (profiles, precursor starts, severities)",
    )
    return parser


def _fail(message: str) -> int:
    sys.stderr.write(f"drillwatch simulate: error: {message}\n")
    return 2


def _writable_dir(path: Path) -> str | None:
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        return f"--out {path}: cannot create directory ({exc.strerror or exc})"
    if not path.is_dir():
        return f"--out {path}: not a directory"
    try:
        with tempfile.TemporaryFile(dir=path):
            pass
    except OSError as exc:
        return f"--out {path}: not writable ({exc.strerror or exc})"
    return None


def main(argv: list[str] | None = None) -> int:
    """``drillwatch simulate --wells N --hours H --seed S --out DIR [--format csv|parquet]``."""
    parser = _parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse printed the usage and the reason
        return int(exc.code) if isinstance(exc.code, int) else 2
    if args.wells < 1:
        return _fail(f"--wells {args.wells}: need at least 1 well")
    if not math.isfinite(args.hours) or args.hours <= 0:
        return _fail(f"--hours {args.hours}: must be a positive number of hours")
    if round(args.hours * HOUR) < 1:
        return _fail(f"--hours {args.hours}: less than one second of data")
    if args.seed < 0:
        return _fail(f"--seed {args.seed}: must be >= 0")
    start = None
    if args.start is not None:
        try:
            start = datetime.fromisoformat(args.start)
        except ValueError:
            return _fail(f"--start {args.start!r}: not an ISO-8601 time")
        if start.tzinfo is None:
            return _fail(f"--start {args.start!r}: needs a UTC offset (add Z or +hh:mm)")
    try:
        validate_well_id(f"{args.prefix}-{args.seed}-00")
    except ValueError as exc:
        return _fail(f"--prefix {args.prefix!r}: {exc}")
    problem = _writable_dir(args.out)
    if problem:
        return _fail(problem)
    if not logging.getLogger().handlers:
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    out: Path = args.out
    accidents: list[SimAccident] = []
    entries: list[dict[str, Any]] = []
    try:
        for well in _iter_fleet(
            args.wells, hours=args.hours, seed=args.seed, start=start, prefix=args.prefix
        ):
            path = _write_well(well, out, args.format)
            logger.info("wrote %s", path)
            accidents.extend(well.accidents)
            if args.manifest:
                entries.append(_manifest_entry(well))
        path = _write_accidents(accidents, out)
        if args.manifest:
            _write_manifest(entries, out)
    except OSError as exc:
        return _fail(f"--out {out}: {exc}")
    logger.info("wrote %s (%d accidents)", path, len(accidents))
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
