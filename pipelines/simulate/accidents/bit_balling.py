"""Bit balling: sticky cuttings clog the bit and it stops cutting.

Precursor (20-90 min, while drilling): ROP falls while WOB holds or rises, bit torque
falls and SPP creeps up. Event: off bottom, circulating at high flow and RPM to clean the
bit, SPP back to normal; ROP recovers over the next hour.
"""

from __future__ import annotations

import numpy as np

from pipelines.simulate.accidents.base import AccidentType, Episode, Overlays
from pipelines.simulate.core import HOUR, MIN, Activity
from pipelines.simulate.rig import Rig
from pipelines.simulate.signals import smoothstep, span


def prepare(rig: Rig, ep: Episode) -> int:
    """Draws the ROP loss, WOB rise, bit torque loss and SPP creep; lays ROP and WOB trends."""
    s = ep.severity
    ep.prm["rop_low"] = 1.0 - rig.u(0.55, 0.8) * (0.5 + 0.5 * s)
    ep.prm["wob_up"] = 1.0 + rig.u(0.0, 0.3) * s
    ep.prm["tq_bit"] = 1.0 - rig.u(0.4, 0.7) * (0.4 + 0.6 * s)
    ep.prm["spp_up"] = rig.u(0.02, 0.1) * s + 0.01
    ep.prm["recover"] = rig.u(0.7, 1.0)
    pre, on = ep.t["pre"], ep.t["on"]
    post = int(rig.u(30, 120))
    sl, x = span(rig.n, pre, on)
    rig.rop_mult[sl] *= 1.0 - (1.0 - ep.prm["rop_low"]) * x**1.2
    rig.wob_mult[sl] *= 1.0 + (ep.prm["wob_up"] - 1.0) * smoothstep(x)
    sl, _ = span(rig.n, on, on + post + 1)
    rig.rop_mult[sl] *= ep.prm["rop_low"]
    rig.wob_mult[sl] *= ep.prm["wob_up"]
    return post


def react(rig: Rig, ep: Episode, until: int) -> None:
    """Off bottom, circulating at high flow and RPM to clean the bit; ROP recovers over an hour."""
    t = ep.t
    room = rig.headroom
    rig.phase(rig.u(20, 40), Activity.CIRCULATING, rpm=0.0, dbit=-min(rig.u(1, 3), room))
    t["clean"] = rig.t
    rig.phase(
        rig.u(10, 25) * MIN, Activity.CIRCULATING, flow=rig.q_set * rig.u(1.05, 1.2),
        rpm=min(rig.rpm_set * rig.u(1.2, 1.4), 200.0),
    )  # fmt: skip
    t["end"] = rig.t
    sl, x = span(rig.n, rig.t, rig.t + HOUR)
    rig.rop_mult[sl] *= ep.prm["recover"] + (1.0 - ep.prm["recover"]) * x
    rig.phase(rig.u(20, 40), Activity.CIRCULATING, flow=rig.q_set, rpm=rig.rpm_set)
    rig.to_bottom()


def overlay(fx: Overlays, ep: Episode, rig: Rig, rng: np.random.Generator) -> None:
    """Bit torque falling and SPP creeping up until the bit is cleaned."""
    n, t, prm = fx.n, ep.t, ep.prm
    pre, on, clean, end = t["pre"], t["on"], t["clean"], t["end"]
    sl, x = span(n, pre, on)
    fx.tq_bit[sl] *= 1.0 - (1.0 - prm["tq_bit"]) * x
    fx.spp_mult[sl] *= 1.0 + prm["spp_up"] * x**1.2
    sl, _ = span(n, on, clean)
    fx.tq_bit[sl] *= prm["tq_bit"]
    fx.spp_mult[sl] *= 1.0 + prm["spp_up"]
    sl, x = span(n, clean, end)
    fx.spp_mult[sl] *= 1.0 + prm["spp_up"] * (1.0 - x) ** 2


TYPE = AccidentType(
    name="bit_balling",
    precursor_s=(20 * MIN, 90 * MIN),
    event_max_s=30 * MIN,
    reaction_max_s=5 * MIN,
    onset_ops=(("drill", 1.0),),
    prepare=prepare,
    react=react,
    overlay=overlay,
)
