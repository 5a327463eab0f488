"""Kick: formation fluid flows into the well.

Precursor (5-30 min, while drilling): a drilling break (ROP up) and rising gas. Event: the
influx grows, flow out rises above flow in and the pit gains while the bit still drills;
the crew picks up and flow-checks (the well keeps flowing with the pumps off), shuts in
(CHKP builds, SIDPP shows on SPP) and kills the well at reduced rate (gas peak, flow-out
surge, CHKP bleeding to 0). Afterwards SPP stays a little higher: the mud is heavier.
"""

from __future__ import annotations

import numpy as np

from pipelines.simulate.accidents.base import AccidentType, Episode, Overlays
from pipelines.simulate.core import HOUR, MIN, Activity
from pipelines.simulate.rig import Rig
from pipelines.simulate.signals import bump, smoothstep, span


def prepare(rig: Rig, ep: Episode) -> int:
    """Draws the influx rate, gas and shut-in pressures; lays the drilling break on the ROP."""
    s = ep.severity
    ep.prm["break"] = 1.0 + rig.u(0.3, 1.0) * (0.3 + 0.7 * s)
    ep.prm["gas"] = rig.gas_level * (0.5 + rig.u(0.5, 4.5) * s) + 0.05
    ep.prm["qk"] = max(rig.p.flow_lpm * rig.u(0.05, 0.3) * s, 60.0)
    ep.prm["lead"] = rig.u(0.0, 120.0) * s
    ep.prm["sicp"] = rig.u(1000.0, 5000.0) * (0.4 + 0.6 * s)
    ep.prm["sidpp"] = ep.prm["sicp"] * rig.u(0.45, 0.8)
    ep.prm["mud_up"] = rig.u(0.02, 0.06)
    ep.prm["gas_peak"] = rig.u(5.0, 30.0) * s
    pre, on = ep.t["pre"], ep.t["on"]
    post = int(rig.u(60, 240) * (1.3 - 0.5 * s))
    sl, x = span(rig.n, pre, on)
    rig.rop_mult[sl] *= 1.0 + (ep.prm["break"] - 1.0) * smoothstep(x * 1.3)
    sl, _ = span(rig.n, on, on + post + 1)
    rig.rop_mult[sl] *= ep.prm["break"]
    return post


def react(rig: Rig, ep: Episode, until: int) -> None:
    """Pick up, flow check (the well flows), shut in, kill at reduced rate, flow check again."""
    t = ep.t
    t["notice"] = rig.t
    room = rig.headroom
    rig.phase(rig.u(20, 35), Activity.CIRCULATING, rpm=0.0, dbit=-min(rig.u(2, 4), room))
    rig.phase(rig.u(20, 30), Activity.FLOW_CHECK, flow=0.0, q_ramp=20)
    t["fc"] = rig.t
    rig.phase(rig.u(180, 300), Activity.FLOW_CHECK)
    t["shut"] = rig.t
    rig.phase(rig.u(8, 18) * MIN, Activity.STATIC)
    t["kill"] = rig.t
    ep.prm["kill_q"] = rig.q_set * rig.u(0.3, 0.45)
    rig.phase(rig.u(12, 30) * MIN, Activity.CIRCULATING, flow=ep.prm["kill_q"], q_ramp=90)
    t["end"] = rig.t
    rig.phase(rig.u(30, 60), Activity.STATIC, flow=0.0, q_ramp=30)
    rig.phase(rig.u(3, 5) * MIN, Activity.FLOW_CHECK)
    rig.transfers.append((rig.t, -rig.u(0.5, 1.0) * ep.prm["qk"] * 4.0 / 1000.0, 300))
    rig.phase(rig.u(10, 20) * MIN, Activity.CIRCULATING, flow=rig.q_set, rpm=rig.u(40, 90))
    rig.to_bottom()


def overlay(fx: Overlays, ep: Episode, rig: Rig, rng: np.random.Generator) -> None:
    """Rising gas; the influx in flow out and the pit; shut-in pressures; kill gas and surge."""
    n, t, prm = fx.n, ep.t, ep.prm
    pre, on, notice, shut, kill, end = (
        t["pre"],
        t["on"],
        t["notice"],
        t["shut"],
        t["kill"],
        t["end"],
    )
    sl, x = span(n, pre, on)
    fx.gas_add[sl] += prm["gas"] * x**1.5
    sl, x = span(n, on, shut)
    fx.gas_add[sl] += prm["gas"] * (1.0 + 0.8 * x)
    start = on - prm["lead"]
    sl, x = span(n, start, notice + 90)
    fx.gain[sl] += prm["qk"] * smoothstep(x) ** 1.5
    sl, _ = span(n, notice + 90, shut)
    fx.gain[sl] += prm["qk"]
    sl, x = span(n, shut, kill)
    build = 1.0 - np.exp(-(x * (kill - shut)) / rng.uniform(60.0, 150.0))
    fx.mfo_mult[sl] = 0.0
    fx.chkp[sl] += prm["sicp"] * build
    fx.spp_add[sl] += prm["sidpp"] * build
    sl, x = span(n, kill, end)
    fx.chkp[sl] += prm["sicp"] * (1.0 + 0.35 * bump(x, 0.55, 0.15)) * (1.0 - x) ** 0.7
    fx.spp_add[sl] += prm["sidpp"] * (1.0 - x)
    fx.gas_add[sl] += prm["gas"] + prm["gas_peak"] * bump(x, 0.55, 0.12)
    fx.mfo_add[sl] += prm["kill_q"] * rng.uniform(0.3, 0.8) * bump(x, 0.55, 0.08)
    sl, x = span(n, end, end + HOUR)
    fx.gas_add[sl] += prm["gas"] * (1.0 - x) ** 2
    sl, _ = span(n, end, n)
    fx.spp_mult[sl] *= 1.0 + prm["mud_up"]


TYPE = AccidentType(
    name="kick",
    precursor_s=(5 * MIN, 30 * MIN),
    event_max_s=60 * MIN,
    reaction_max_s=30 * MIN,
    onset_ops=(("drill", 1.0),),
    prepare=prepare,
    react=react,
    overlay=overlay,
)
