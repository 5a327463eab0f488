"""Lost circulation: mud flows into the formation instead of back to surface.

Precursor (5-20 min): a loss rate growing to a share of the flow, or (step losses) only a
faint seepage. Event: losses of a large share of flow in, flow out below flow in, the pit
falling and SPP dropping a little. Reaction: flow reduced, pumps off, an LCM pill pumped
at reduced rate until the losses heal, then a pit refill transfer.
"""

from __future__ import annotations

import numpy as np

from pipelines.simulate.accidents.base import AccidentType, Episode, Overlays
from pipelines.simulate.core import HOUR, MIN, Activity
from pipelines.simulate.rig import Rig
from pipelines.simulate.signals import smoothstep, span


def prepare(rig: Rig, ep: Episode) -> int:
    """Draws the loss profile: gradual or step, the worst loss rate and what remains after."""
    s = ep.severity
    ep.prm["step"] = float(rig.rng.random() < 0.3)
    ep.prm["l_on"] = rig.u(0.05, 0.2) * (0.5 + 0.5 * s)
    ep.prm["l_max"] = min(rig.u(0.12, 0.3) + 0.6 * s * rig.u(0.4, 1.0), 0.85)
    ep.prm["resid"] = rig.u(0.0, 0.05)
    ep.prm["k_spp"] = rig.u(0.03, 0.09)
    return int(rig.u(60, 300) * (1.3 - 0.5 * s))


def react(rig: Rig, ep: Episode, until: int) -> None:
    """Pick up, reduce the flow, pumps off, pump an LCM pill; then refill the pit."""
    t = ep.t
    t["notice"] = rig.t
    if rig.d_bit >= rig.d_hole - 0.1:
        room = rig.headroom
        rig.phase(rig.u(20, 40), Activity.CIRCULATING, rpm=0.0, dbit=-min(rig.u(2, 5), room))
    t["reduce"] = rig.t
    rig.phase(rig.u(5, 10) * MIN, Activity.CIRCULATING, flow=rig.q_set * rig.u(0.5, 0.7), q_ramp=30)
    t["off"] = rig.t
    rig.phase(rig.u(4, 9) * MIN, Activity.STATIC, flow=0.0, rpm=0.0, q_ramp=25)
    t["lcm"] = rig.t
    rig.phase(rig.u(10, 20) * MIN, Activity.CIRCULATING, flow=rig.q_set * rig.u(0.45, 0.65))
    t["end"] = rig.t
    rig.transfers.append((rig.t, rig.u(6.0, 15.0) * ep.severity + 2.0, int(rig.u(5, 10) * MIN)))
    rig.phase(rig.u(5, 10) * MIN, Activity.CIRCULATING, flow=rig.q_set, rpm=rig.u(40, 90))
    rig.to_bottom()


def overlay(fx: Overlays, ep: Episode, rig: Rig, rng: np.random.Generator) -> None:
    """The share of flow lost downhole over time, and the small SPP drop it causes."""
    n, t, prm = fx.n, ep.t, ep.prm
    pre, on, lcm, end = t["pre"], t["on"], t["lcm"], t["end"]
    loss = np.zeros(n)
    sl, x = span(n, pre, on)
    if prm["step"]:
        loss[sl] = 0.03 * ep.severity * x
        ramp = rng.uniform(5.0, 20.0)
        start_level = 0.03 * ep.severity
    else:
        loss[sl] = prm["l_on"] * x**1.5
        ramp = rng.uniform(30.0, 120.0)
        start_level = prm["l_on"]
    sl, x = span(n, on, on + ramp)
    loss[sl] = start_level + (prm["l_max"] - start_level) * x
    sl, _ = span(n, on + ramp, lcm)
    loss[sl] = prm["l_max"]
    sl, x = span(n, lcm, end)
    loss[sl] = prm["l_max"] + (prm["resid"] - prm["l_max"]) * smoothstep(x)
    sl, x = span(n, end, end + HOUR)
    loss[sl] = prm["resid"] * (1.0 - x)
    fx.loss += loss
    fx.spp_mult *= 1.0 - prm["k_spp"] * loss / max(prm["l_max"], 1e-6)


TYPE = AccidentType(
    name="lost_circulation",
    precursor_s=(5 * MIN, 20 * MIN),
    event_max_s=45 * MIN,
    reaction_max_s=20 * MIN,
    onset_ops=(("drill", 0.7), ("circulate", 0.3)),
    prepare=prepare,
    react=react,
    overlay=overlay,
)
