"""Washout: a hole in the string lets mud bypass the bit.

Precursor (1-4 h, whatever the rig is doing): SPP declines slowly at constant flow, with
no pit or flow change. The onset is when the decline is noticed: a pump test at three
rates and a flow check. Reaction: a trip out to lay down the washed joint and a trip in,
after which SPP is restored.
"""

from __future__ import annotations

import numpy as np

from pipelines.simulate.accidents.base import AccidentType, Episode, Overlays
from pipelines.simulate.core import HOUR, MIN, Activity
from pipelines.simulate.rig import Rig
from pipelines.simulate.signals import span

# the long reaction (a trip) runs only if it fits before the next accident
REACTION_MAX_S = 110 * MIN


def prepare(rig: Rig, ep: Episode) -> int:
    """Draws how far SPP declines."""
    s = ep.severity
    ep.prm["decline"] = rig.u(0.08, 0.14) + 0.11 * s
    return int(rig.u(30, 120))


def react(rig: Rig, ep: Episode, until: int) -> None:
    """Pump test at three rates and a flow check; a trip to lay down the washed joint if it fits."""
    t = ep.t
    room = rig.headroom
    rig.phase(rig.u(20, 40), Activity.CIRCULATING, rpm=0.0, dbit=-min(rig.u(2, 4), room))
    for frac in (rig.u(0.5, 0.7), rig.u(0.75, 0.9), 1.0):
        rig.phase(rig.u(2, 4) * MIN, Activity.CIRCULATING, flow=rig.q_set * frac)
    rig.phase(rig.u(20, 40), Activity.FLOW_CHECK, flow=0.0, q_ramp=20)
    rig.phase(rig.u(2, 3) * MIN, Activity.FLOW_CHECK)
    rig.phase(rig.u(2, 5) * MIN, Activity.STATIC)
    t["end"] = rig.t
    stands = min(int(rig.rng.integers(5, 11)), int((rig.d_bit - 200.0) / rig.stand))
    if stands >= 2 and until - rig.t > REACTION_MAX_S:
        rig.trip_out(stands)
        rig.phase(rig.u(10, 20) * MIN, Activity.STATIC)
        rig.to_bottom()
        t["restore"] = rig.t
        rig.phase(rig.u(5, 10) * MIN, Activity.CIRCULATING, rpm=rig.rpm_set * 0.5)
    else:
        rig.phase(rig.u(40, 80), Activity.CIRCULATING, flow=rig.q_set)
        rig.to_bottom()


def overlay(fx: Overlays, ep: Episode, rig: Rig, rng: np.random.Generator) -> None:
    """SPP declining at constant flow until the trip restores it."""
    n, t, prm = fx.n, ep.t, ep.prm
    pre, on = t["pre"], t["on"]
    restore = t.get("restore", float(n))
    d = prm["decline"]
    sl, x = span(n, pre, on)
    fx.spp_mult[sl] *= 1.0 - d * x**1.3
    sl, x = span(n, on, restore)
    fx.spp_mult[sl] *= 1.0 - d * (1.0 + 0.1 * np.clip(x * (restore - on) / (2 * HOUR), 0, 1))


TYPE = AccidentType(
    name="washout",
    precursor_s=(60 * MIN, 240 * MIN),
    event_max_s=25 * MIN,
    reaction_max_s=REACTION_MAX_S,
    onset_ops=(("drill", 0.6), ("circulate", 0.4)),
    prepare=prepare,
    react=react,
    overlay=overlay,
    drilling_precursor=False,
)
