"""Stuck pipe: the string gets stuck in the hole and is worked free.

Precursor (10-60 min, while drilling, back-reaming or tripping out): torque trends up,
gets erratic, and every pick-up shows more drag and overpull. Event: rotation stalls at
the torque limit within seconds; the crew works the pipe with torque attempts and
overpull / set-down cycles (jars now and then), logged as circulating or static. Reaction:
back-ream, circulate and go back to bottom; drag and torque fade over the next 30 min.
"""

from __future__ import annotations

import numpy as np

from pipelines.simulate.accidents.base import AccidentType, Episode, Overlays
from pipelines.simulate.core import MIN, Activity
from pipelines.simulate.profiles import string_kn
from pipelines.simulate.rig import Rig
from pipelines.simulate.signals import span


def prepare(rig: Rig, ep: Episode) -> int:
    """Draws the drag, overpull and torque trends and the limits the crew works the pipe to."""
    s = ep.severity
    ep.prm["drag"] = 1.0 + rig.u(0.5, 2.0) * s
    ep.prm["overpull"] = rig.u(40.0, 200.0) * s
    ep.prm["tq"] = 1.0 + rig.u(0.15, 0.5) * s
    ep.prm["erratic"] = rig.u(0.04, 0.2) * s
    sw = float(string_kn(rig.p, rig.d_bit))
    # overpull limit above the free string weight, plus the drag of a pull
    ep.prm["op_max"] = min(rig.u(250.0, 600.0), 0.9 * sw) + rig.p.friction * ep.prm["drag"] * sw
    ep.prm["set_down"] = rig.u(50.0, 200.0)
    return 0


def react(rig: Rig, ep: Episode, until: int) -> None:
    """Rotation stops; the pipe is worked (logged as circulating or static), then back-reamed."""
    t = ep.t
    dur = rig.u(15, 55) * MIN
    t["rpm0"] = rig.w
    if rig.q > 1.0:
        rig.phase(dur, Activity.CIRCULATING, rpm=0.0, rpm_ramp=3, flow=rig.q * rig.u(0.7, 1.0))
    else:
        first = rig.u(2, 4) * MIN
        rig.phase(first, Activity.STATIC, rpm=0.0, rpm_ramp=3)
        rig.phase(dur - first, Activity.CIRCULATING, flow=rig.q_set * rig.u(0.4, 0.7), q_ramp=60)
    t["end"] = rig.t
    room = rig.headroom
    if rig.q < 1.0:
        rig.phase(rig.u(30, 60), Activity.CIRCULATING, flow=rig.q_set)
    rig.phase(
        rig.u(3, 6) * MIN, Activity.BACK_REAMING, flow=rig.q_set, rpm=rig.rpm_set * 0.6,
        dbit=-min(rig.u(3, 8), room),
    )  # fmt: skip
    rig.phase(rig.u(5, 10) * MIN, Activity.CIRCULATING)
    rig.to_bottom()
    t["recovered"] = rig.t


def _working_pipe(
    fx: Overlays, ep: Episode, rig: Rig, rng: np.random.Generator, a: int, b: int
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


def overlay(fx: Overlays, ep: Episode, rig: Rig, rng: np.random.Generator) -> None:
    """Torque and drag trends, then the stuck string being worked, then the trends fading."""
    n, t, prm = fx.n, ep.t, ep.prm
    pre, on, end = t["pre"], t["on"], t["end"]
    rec = t.get("recovered", end)
    sl, x = span(n, pre, on)
    g = x**1.5
    fx.drag[sl] *= 1.0 + (prm["drag"] - 1.0) * g
    fx.overpull[sl] += prm["overpull"] * g
    fx.tq_mult[sl] *= 1.0 + (prm["tq"] - 1.0) * g
    fx.erratic[sl] += prm["erratic"] * x
    sl, x = span(n, end, rec + 30 * MIN)
    fx.drag[sl] *= 1.0 + (prm["drag"] - 1.0) * (1.0 - x)
    fx.tq_mult[sl] *= 1.0 + (prm["tq"] - 1.0) * (1.0 - x)
    fx.erratic[sl] += prm["erratic"] * (1.0 - x)
    a, b = max(int(on), 0), min(int(end), n)
    if b > a:
        _working_pipe(fx, ep, rig, rng, a, b)


TYPE = AccidentType(
    name="stuck_pipe",
    precursor_s=(10 * MIN, 60 * MIN),
    event_max_s=60 * MIN,
    reaction_max_s=45 * MIN,
    onset_ops=(("drill", 0.5), ("back_ream", 0.25), ("trip_out", 0.25)),
    prepare=prepare,
    react=react,
    overlay=overlay,
    rotary_approach=True,
)
