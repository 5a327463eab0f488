"""Bringing the rig to an accident's onset in the wanted operation, then running it."""

from __future__ import annotations

import math

import numpy as np

from pipelines.simulate.accidents import TYPES, Episode
from pipelines.simulate.core import HOUR, MIN, Activity
from pipelines.simulate.plans import Plan
from pipelines.simulate.rig import B_LOW, Rig


def approach(rig: Rig, on: int, op: str, ep: Episode, post: int) -> None:
    """Drill stands (with connections) so that the onset falls in the wanted operation.

    ``op == "drill"``: the onset falls inside a drilling stand and drilling goes on
    ``post`` s after it. Otherwise a stand ends exactly before a tail (circulate,
    back-ream, trip out) whose operation is in progress at the onset.
    """
    p, rng = rig.p, rig.rng
    t_a = rig.t
    if t_a >= on + post:  # the previous accident's reaction ran over: no approach
        ep.op = "reaction"
        return
    if op != "drill" and on - t_a < 10 * MIN:
        op = "drill"
    tail = plan_tail(rig, op)
    x = sum(d for d, _ in tail)  # tail time before the onset
    if op != "drill" and on - t_a - x < 2 * MIN:
        op, tail, x = "drill", [], 0.0
    ep.op = op
    rotary_only = TYPES[ep.type].rotary_approach
    dists = [max(rig.d_block - B_LOW, 0.05)]
    stands = [rig.stand]
    conns: list[float] = []
    nat: list[float] = []
    pieces: list[list[tuple[float, bool]]] = []
    a = float(t_a)
    rop = p.rop_mph * rig.form
    for k in range(200):
        if k:
            s = p.stand_m + rig.u(-0.4, 0.4)
            stands.append(s)
            dists.append(s)
        pc: list[tuple[float, bool]] = [(1.0, False)]
        if not rotary_only and k and rng.random() < p.slide_share:
            share = rig.u(0.3, 0.8)
            pc = [(share, True), (1.0 - share, False)]
        pieces.append(pc)
        slide = sum(s for s, sl in pc if sl)
        T = dists[k] / max(rop * (1.0 - 0.4 * slide), 1.0) * 3600.0
        for _ in range(3):
            lo, hi = int(a), min(int(a + T) + 1, rig.n)
            mean = float(rig.rop_mult[lo:hi].mean()) if hi > lo else 1.0
            T = dists[k] / max(rop * (1.0 - 0.4 * slide) * mean, 0.5) * 3600.0
        nat.append(max(T, 1.0))
        conns.append(rig.u(190, 420))
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
        rig.drill(nat[k] * f, dists[k], pieces[k])
        rig.connection(new_stand=stands[k + 1], total=conns[k])
    if op == "drill":
        # drill the onset stand only partly, at the approach's speed and precursor trend
        dur = on + post - rig.t
        lo, hi = rig.t, min(max(on + post, rig.t + 1), rig.n)
        mean = float(rig.rop_mult[lo:hi].mean()) if hi > lo else 1.0
        slide = sum(s for s, sl in pieces[j] if sl)
        rate = rop * (1.0 - 0.4 * slide) * mean / f / 3600.0  # m/s
        rig.drill(dur, min(rate * dur, max(dists[j] - 0.05, 0.0)), pieces[j])
        return
    rig.drill(on - x - rig.t, dists[j], pieces[j])
    run_tail(rig, op, tail, on, post)


def plan_tail(rig: Rig, op: str) -> list[tuple[float, str]]:
    """Durations of the pieces of the operation that holds the onset."""
    if op == "circulate":
        return [(rig.u(20, 40), "pickup"), (rig.u(3, 12) * MIN, "circulate")]
    if op == "back_ream":
        return [(rig.u(4, 10) * MIN * rig.u(0.2, 0.8), "back_ream")]
    if op == "trip_out":
        pieces = [
            (rig.u(20, 40), "pickup"),
            (rig.u(5, 12) * MIN, "circulate"),
            (rig.u(20, 40), "pumps_off"),
            (rig.u(2, 4) * MIN, "flow_check"),
        ]
        for _ in range(int(rig.rng.integers(1, 6))):
            pieces.append((rig.u(45, 90), "pull"))
            pieces.append((rig.u(60, 110), "slips"))
        pieces.append((rig.u(45, 90) * rig.u(0.2, 0.8), "pull_onset"))
        return pieces
    return []


def run_tail(rig: Rig, op: str, tail: list[tuple[float, str]], on: int, post: int) -> None:
    pull_speed = rig.u(0.35, 0.6)
    for dur, kind in tail:
        if kind == "pickup":
            room = rig.headroom
            rig.phase(dur, Activity.CIRCULATING, rpm=rig.u(40, 90), dbit=-min(3.0, room))
        elif kind == "circulate":
            end = on + post if op == "circulate" else rig.t + dur
            rig.phase(end - rig.t, Activity.CIRCULATING)
        elif kind == "pumps_off":
            rig.phase(dur, Activity.FLOW_CHECK, flow=0.0, rpm=0.0)
        elif kind == "flow_check":
            rig.phase(dur, Activity.FLOW_CHECK)
        elif kind == "back_ream":
            speed = (rig.stand - 1.0) / rig.u(4, 10) / MIN
            d = on - rig.t
            room = rig.headroom
            rpm = rig.rpm_set * rig.u(0.6, 0.9)
            rig.phase(
                d, Activity.BACK_REAMING, rpm=rpm, flow=rig.q_set, dbit=-min(speed * d, room),
                decel=False,
            )  # fmt: skip
        elif kind == "pull":
            room = max(rig.top - rig.d_block, 0.0)
            rig.phase(dur, Activity.TRIP_OUT, dbit=-room)
        elif kind == "slips":
            rig.phase(dur, Activity.TRIP_OUT, slips=True, dblock=B_LOW - rig.d_block)
        elif kind == "pull_onset":
            d = on - rig.t
            room = rig.headroom
            rig.phase(d, Activity.TRIP_OUT, dbit=-min(pull_speed * d, room), decel=False)


def run_accident(rig: Rig, plan: Plan, until: int) -> Episode:
    """Simulate one accident from the rig's present state to the end of its reaction.

    ``until`` is where the next accident's precursor starts (or the end of the well).
    """
    spec = TYPES[plan.type]
    sev = plan.severity if plan.severity is not None else rig.u(0.25, 1.0)
    ops = spec.onset_ops
    if plan.op is not None:
        op = plan.op
    else:
        weights = np.array([w for _, w in ops])
        op = ops[int(rig.rng.choice(len(ops), p=weights / weights.sum()))][0]
    ep = Episode(plan.type, float(sev), op)
    on = plan.onset
    ep.t["pre"] = on - plan.precursor
    ep.t["on"] = on
    post = spec.prepare(rig, ep)
    approach(rig, on, op, ep, post)
    spec.react(rig, ep, until)
    return ep
