"""Pack-off: cuttings pack around the string and choke the annulus.

Precursor (5-30 min): SPP spikes that come more and more often, SPP creeping up, erratic
torque, flow out slowly falling (mud lost downhole) and more drag. Event: SPP surges
(the pump relief caps it) and flow out drops; pumps off with trapped pressure bleeding
off, the pipe worked up and down with overpull, pumps staged back up.
"""

from __future__ import annotations

import numpy as np

from pipelines.simulate.accidents.base import AccidentType, Episode, Overlays
from pipelines.simulate.core import MIN, Activity
from pipelines.simulate.rig import Rig
from pipelines.simulate.signals import bump, smoothstep, span


def prepare(rig: Rig, ep: Episode) -> int:
    """Draws the SPP trend and spikes, erratic torque, downhole loss, drag and the surge."""
    s = ep.severity
    ep.prm["spp_trend"] = rig.u(0.03, 0.12) * (0.4 + 0.6 * s)
    ep.prm["spike"] = rig.u(0.06, 0.2) * (0.4 + 0.6 * s)
    ep.prm["erratic"] = rig.u(0.08, 0.25) * s
    ep.prm["loss_pre"] = rig.u(0.04, 0.15) * s
    ep.prm["drag"] = 1.0 + rig.u(0.3, 1.0) * s
    ep.prm["surge"] = rig.u(0.25, 0.5) * (0.6 + 0.4 * s)
    ep.prm["loss_on"] = rig.u(0.55, 0.9)
    return int(rig.u(75, 180))


def react(rig: Rig, ep: Episode, until: int) -> None:
    """Pumps off, the pipe worked up and down, pumps staged back up, circulate."""
    t = ep.t
    if ep.op == "back_ream":
        rig.phase(rig.u(75, 180), Activity.BACK_REAMING)
    t["stop"] = rig.t
    rig.phase(rig.u(15, 30), Activity.CIRCULATING, flow=0.0, rpm=0.0, q_ramp=10)
    for _ in range(int(rig.rng.integers(2, 5))):
        room = rig.headroom
        dp = min(rig.u(2.0, 5.0), room)
        rig.phase(rig.u(40, 90), Activity.STATIC, rpm=rig.u(30, 60), dbit=-dp)
        rig.phase(rig.u(40, 90), Activity.STATIC, dbit=dp)
    t["restart"] = rig.t
    for frac in (0.2, 0.4, 0.6, 0.8, 1.0):
        rig.phase(rig.u(90, 200), Activity.CIRCULATING, flow=frac * rig.q_set, rpm=rig.u(40, 80))
    t["end"] = rig.t
    rig.phase(rig.u(5, 12) * MIN, Activity.CIRCULATING)
    rig.to_bottom()


def overlay(fx: Overlays, ep: Episode, rig: Rig, rng: np.random.Generator) -> None:
    """SPP spikes and trend, then the surge with flow out dropping, trapped pressure, drag."""
    n, t, prm = fx.n, ep.t, ep.prm
    pre, on, stop, restart, end = t["pre"], t["on"], t["stop"], t["restart"], t["end"]
    sl, x = span(n, pre, on)
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
        ssl, xx = span(n, tt, tt + width)
        spikes[ssl] += prm["spike"] * rng.uniform(0.5, 1.0) * np.sin(np.pi * xx)
    fx.spp_mult *= 1.0 + spikes
    sl, x = span(n, on, stop)
    surge = prm["surge"]
    fx.spp_mult[sl] *= 1.0 + prm["spp_trend"] + surge * smoothstep(x * (stop - on) / 20.0)
    fast = smoothstep(x * (stop - on) / 10.0)
    fx.loss[sl] += prm["loss_pre"] + (prm["loss_on"] - prm["loss_pre"]) * fast
    fx.erratic[sl] += prm["erratic"] * 2.0
    fx.tq_mult[sl] *= 1.0 + 0.3 * bump(x, 0.3, 0.2)
    base = float(rig.p.spp_kpa)
    sl, x = span(n, stop, restart)
    fx.spp_add[sl] += base * surge * 0.6 * np.exp(-x * (restart - stop) / rng.uniform(60, 180))
    fx.drag[sl] *= prm["drag"] * 1.3
    fx.overpull[sl] += rng.uniform(80.0, 250.0) * ep.severity
    fx.erratic[sl] += prm["erratic"] * 2.0
    sl, x = span(n, restart, end)
    fx.spp_mult[sl] *= 1.0 + surge * 0.6 * (1.0 - x) ** 1.5
    fx.loss[sl] += 0.3 * prm["loss_on"] * (1.0 - x) ** 3
    fx.erratic[sl] += prm["erratic"] * (1.0 - x)


TYPE = AccidentType(
    name="pack_off",
    precursor_s=(5 * MIN, 30 * MIN),
    event_max_s=35 * MIN,
    reaction_max_s=25 * MIN,
    onset_ops=(("drill", 0.5), ("back_ream", 0.3), ("circulate", 0.2)),
    prepare=prepare,
    react=react,
    overlay=overlay,
)
