"""The rig: renders operations second by second into the ideal operational state.

A state machine of normal operations (drilling stands with connections, reaming,
circulating, static periods, short trips), each unit starting and ending on bottom. The
accident modules drive the same primitives (``phase``, ``travel``, ``to_bottom``) for the
crew's reaction, so an accident and normal operations look alike to ``ACTC``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from pipelines.simulate.core import MIN, Activity
from pipelines.simulate.profiles import WellProfile
from pipelines.simulate.signals import move_profile, ramp

B_LOW = 0.5  # block height when the kelly is down (m)


class Rig:
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
        """Block height with a whole stand below it."""
        return B_LOW + self.stand + 0.3

    @property
    def headroom(self) -> float:
        """How far the string can still be picked up before the block reaches the top (m)."""
        return max(self.top - self.d_block - 0.3, 0.0)

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
            self.flow[i0:i1] = ramp(self.q, q1, k, q_ramp)
            self.rpm[i0:i1] = ramp(self.w, w1, k, rpm_ramp)
            self.act[i0:i1] = act
            self.wob[i0:i1] = 0.0
            self.rop[i0:i1] = 0.0
            self.hole[i0:i1] = self.d_hole
            self.slips[i0:i1] = slips
            if slips:
                self.bit[i0:i1] = self.d_bit
                move = min(d, max(20, int(abs(dblock) / 0.6)))
                self.block[i0:i1] = self.d_block + dblock * np.clip(
                    move_profile(np.minimum(k, move), move), 0.0, 1.0
                )
            else:
                s = np.clip(move_profile(k, d, decel=decel), 0.0, 1.0)
                self.bit[i0:i1] = self.d_bit + dbit * s
                self.block[i0:i1] = self.d_block - dbit * s
        self.q, self.w = q1, w1
        if slips:
            self.d_block += dblock
        else:
            if not decel:
                dbit = dbit * float(move_profile(np.array([float(d)]), d, decel=False)[0])
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
            q = ramp(self.q, self.q_set, ks, 40.0)
            if flow_change is not None:
                at = int(flow_change[0] * d)
                q[at:] = ramp(self.q_set, flow_change[1], ks[at:] - at, self.u(20.0, 50.0))
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
                self.rpm[lo:hi] = ramp(w_now, target, kk, 15.0)
                self.act[lo:hi] = Activity.SLIDE_DRILLING if slide else Activity.ROTARY_DRILLING
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
        self.phase(parts[0], Activity.CONNECTION, rpm=0.0, dbit=-pu)
        self.phase(parts[1], Activity.CONNECTION, flow=0.0, q_ramp=self.u(15, 30))
        if flow_check:
            self.phase(self.u(120, 240), Activity.FLOW_CHECK)
        self.phase(parts[2], Activity.CONNECTION, slips=True, dblock=new_stand)
        self.stand = new_stand
        self.phase(parts[3], Activity.CONNECTION, dbit=-0.3)
        self.phase(
            parts[4], Activity.CONNECTION, flow=self.q_set, q_ramp=min(parts[4], self.u(25, 50))
        )
        self.phase(parts[5], Activity.CONNECTION, rpm=self.rpm_set, dbit=self.d_hole - self.d_bit)
        self.d_bit = min(self.d_bit, self.d_hole)

    def travel(self, target: float, act: Activity, *, pumps: bool, rotate: bool) -> None:
        """Move the bit to ``target`` depth stand by stand (slips cycles when out of travel)."""
        going_up = target < self.d_bit
        speed = self.u(0.3, 0.6) if not pumps else self.u(0.03, 0.12)
        q_on = self.q_set * (0.7 if act in (Activity.TRIP_IN, Activity.TRIP_OUT) else 1.0)
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
                self.phase(self.u(20, 40), Activity.TRIP_IN, flow=0.0, rpm=0.0)
            self.travel(
                self.d_hole - self.u(10.0, 20.0), Activity.TRIP_IN, pumps=False, rotate=False
            )
            self.next_trip_gas = True
        if self.q < 1.0:
            self.phase(self.u(40, 80), Activity.REAMING, flow=self.q_set, q_ramp=self.u(30, 60))
        self.travel(self.d_hole, Activity.REAMING, pumps=True, rotate=True)
        self.d_bit = self.d_hole
        self.phase(self.u(10, 20), Activity.REAMING, rpm=self.rpm_set)

    def trip_out(self, stands: int) -> None:
        target = self.d_bit - (self.top - self.d_block) - (stands - 1) * self.stand
        target = max(target, 60.0)
        self.travel(target, Activity.TRIP_OUT, pumps=False, rotate=False)

    def pick_up_circulate(self, dur: float, *, flow: float | None = None) -> None:
        room = self.headroom
        pu = min(self.u(2.0, 6.0), room)
        rpm = self.u(40, 90) if self.rng.random() < 0.7 else 0.0
        self.phase(self.u(20, 40), Activity.CIRCULATING, rpm=rpm, dbit=-pu, flow=flow)
        self.phase(dur, Activity.CIRCULATING, flow=self.q_set if flow is None else flow)

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
        self.phase(self.u(3, 8) * MIN, Activity.BACK_REAMING, rpm=rpm, dbit=-dist)
        self.phase(self.u(2, 5) * MIN, Activity.REAMING, dbit=self.d_hole - self.d_bit)
        self.d_bit = self.d_hole

    def unit_circulate(self) -> None:
        flow = self.q_set * (self.u(1.0, 1.1) if self.rng.random() < 0.5 else 1.0)
        self.pick_up_circulate(self.u(15, 50) * MIN, flow=flow)
        if self.rng.random() < 0.3:
            self.phase(self.u(3, 6) * MIN, Activity.FLOW_CHECK, flow=0.0, rpm=0.0)
        self.to_bottom()

    def unit_static(self) -> None:
        room = self.headroom
        self.phase(self.u(20, 40), Activity.STATIC, rpm=0.0, dbit=-min(self.u(1.0, 4.0), room))
        self.phase(self.u(10, 45) * MIN, Activity.STATIC, flow=0.0, q_ramp=20)
        self.to_bottom()

    def unit_short_trip(self) -> None:
        stands = int(self.rng.integers(5, 16))
        stands = min(stands, int((self.d_bit - 200.0) / self.stand))
        if stands < 2:
            self.unit_circulate()
            return
        self.pick_up_circulate(self.u(10, 25) * MIN)
        self.phase(self.u(20, 40), Activity.FLOW_CHECK, flow=0.0, rpm=0.0)
        self.phase(self.u(2, 5) * MIN, Activity.FLOW_CHECK)
        self.trip_out(stands)
        if self.rng.random() < 0.4:
            self.phase(self.u(5, 25) * MIN, Activity.STATIC)
        self.to_bottom()
        self.phase(self.u(10, 25) * MIN, Activity.CIRCULATING, rpm=self.rpm_set * 0.5)

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
