"""Twist-off: the string parts downhole and the lower part is left in the hole.

Precursor (none in 30 % of cases, else 5-30 min, rotary drilling): torque cycling
(stick-slip) with RPM oscillating. Event: torque, hookload (the string lost below the
break) and SPP drop, RPM kicks up, ROP stops; the crew picks up, flow-checks and waits.
Reaction: a trip out with the reduced weight, fishing and a trip in, which restore the
weight.
"""

from __future__ import annotations

import numpy as np

from pipelines.simulate.accidents.base import AccidentType, Episode, Overlays
from pipelines.simulate.core import MIN, Activity
from pipelines.simulate.profiles import string_kn
from pipelines.simulate.rig import Rig
from pipelines.simulate.signals import span

# the long reaction (a trip) runs only if it fits before the next accident
REACTION_MAX_S = 120 * MIN


def prepare(rig: Rig, ep: Episode) -> int:
    """Draws the stick-slip precursor (or none) and how much string, torque and SPP are lost."""
    s = ep.severity
    ep.prm["osc"] = rig.u(0.1, 0.4) * s if rig.rng.random() < 0.7 else 0.0
    if ep.prm["osc"] == 0.0:
        ep.t["pre"] = ep.t["on"]  # no visible precursor
    sw = float(string_kn(rig.p, rig.d_hole))
    wob = rig.wob_set * rig.u(1.0, 1.2)
    ep.prm["lost"] = min(max(rig.u(0.12, 0.4), (wob + rig.u(80.0, 250.0)) / sw), 0.65)
    ep.prm["tq_after"] = rig.u(0.3, 0.6)
    ep.prm["spp_after"] = 1.0 - rig.u(0.15, 0.45)
    return 0


def react(rig: Rig, ep: Episode, until: int) -> None:
    """Drilling on briefly, pick up (lighter), flow check, static; a fishing trip if it fits."""
    t = ep.t
    rig.phase(rig.u(15, 60), Activity.ROTARY_DRILLING)
    t["notice"] = rig.t
    room = rig.headroom
    rig.phase(rig.u(20, 30), Activity.CIRCULATING, rpm=0.0, dbit=-min(rig.u(3, 6), room))
    rig.phase(rig.u(20, 30), Activity.FLOW_CHECK, flow=0.0, q_ramp=20)
    rig.phase(rig.u(2, 4) * MIN, Activity.FLOW_CHECK)
    rig.phase(rig.u(5, 15) * MIN, Activity.STATIC)
    t["end"] = rig.t
    stands = min(int(rig.rng.integers(5, 11)), int((rig.d_bit - 200.0) / rig.stand))
    if stands >= 2 and until - rig.t > REACTION_MAX_S:
        rig.trip_out(stands)
        rig.phase(rig.u(20, 40) * MIN, Activity.STATIC)
        gap = rig.d_hole - rig.d_bit
        rig.travel(
            rig.d_hole - min(gap, rig.u(10.0, 20.0)), Activity.TRIP_IN, pumps=False, rotate=False
        )
        rig.phase(rig.u(40, 80), Activity.CIRCULATING, flow=rig.q_set * 0.5)
    else:
        rig.phase(rig.u(3, 6) * MIN, Activity.STATIC)
    t["restore"] = rig.t
    rig.to_bottom()


def overlay(fx: Overlays, ep: Episode, rig: Rig, rng: np.random.Generator) -> None:
    """Torque cycling, then torque, hookload and SPP down and an RPM kick until restored."""
    n, t, prm = fx.n, ep.t, ep.prm
    pre, on, notice = t["pre"], t["on"], t["notice"]
    restore = t.get("restore", float(n))
    sl, x = span(n, pre, on)
    fx.tq_osc[sl] += prm["osc"] * x
    sl, _ = span(n, on, restore)
    fx.tq_mult[sl] *= prm["tq_after"]
    fx.tq_bit[sl] = 0.0
    fx.str_wt[sl] *= 1.0 - prm["lost"]
    fx.spp_mult[sl] *= prm["spp_after"]
    lost_kn = prm["lost"] * float(string_kn(rig.p, rig.hole[min(int(on), n - 1)]))
    sl, _ = span(n, on, notice)
    fx.wob_add[sl] += min(0.6 * lost_kn, 300.0)
    sl, x = span(n, on, on + 8)
    fx.rpm_set[sl] = rig.rpm[sl] * (1.0 + 0.2 * np.sin(np.pi * x))


TYPE = AccidentType(
    name="twist_off",
    precursor_s=(5 * MIN, 30 * MIN),
    event_max_s=25 * MIN,
    reaction_max_s=REACTION_MAX_S,
    onset_ops=(("drill", 1.0),),
    prepare=prepare,
    react=react,
    overlay=overlay,
    rotary_approach=True,
)
