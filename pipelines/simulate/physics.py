"""Physics: ideal surface channels from the operational state and the accident overlays."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from pipelines.simulate.accidents import Overlays
from pipelines.simulate.core import HOUR, MIN
from pipelines.simulate.profiles import WellProfile, string_kn
from pipelines.simulate.rig import Rig
from pipelines.simulate.signals import lag, lag_kernel, lp_noise, span, walk


def physics(
    p: WellProfile,
    rig: Rig,
    fx: Overlays,
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
    sw = string_kn(p, bit) * fx.str_wt
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
    tq *= 1.0 + fx.tq_osc * saw + fx.erratic * lp_noise(rng, n, 3.0)
    lim = p.torque_limit_knm  # the top drive stalls at its limit: soft cap above 80 %
    over = np.clip(tq - 0.8 * lim, 0.0, None)
    tq = np.where(over > 0, 0.8 * lim + 0.18 * lim * np.tanh(over / (0.18 * lim)), tq)
    tq = np.where(np.isnan(fx.tq_set), tq, fx.tq_set)

    # standpipe pressure ~ flow^1.8 (string share grows with depth) + motor/bit on bottom
    qr = np.clip(q / p.flow_lpm, 0.0, None)
    mud = 1.0 + walk(rng, n, 1800, 0.004)
    base = (p.spp_kpa - p.motor_dp_kpa) * qr**1.8 * (0.75 + 0.25 * bit / p.start_depth_m)
    motor = p.motor_dp_kpa * (wob / p.wob_kn) * np.clip(qr, 0.0, 1.2)
    spp = (base + motor) * fx.spp_mult * mud + fx.spp_add
    relief = min(1.45 * p.spp_kpa, 38000.0)  # pump pop-off: soft cap on the surge
    over = np.clip(spp - 0.85 * relief, 0.0, None)
    spp = np.where(over > 0, 0.85 * relief + 0.15 * relief * np.tanh(over / (0.15 * relief)), spp)

    # flows: returns lag the pumps; losses leave, influx adds; shut-in closes the flowline
    tau = rng.uniform(8.0, 20.0)
    kernel = lag_kernel(p.return_lag_s, tau)
    q_ret = q * (1.0 - np.clip(fx.loss, 0.0, 1.0)) + fx.gain
    q_out = lag(q_ret, kernel) * fx.mfo_mult + fx.mfo_add

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
        sl, x = span(n, start, start + dur)
        add[sl] += volume * x
        add[sl.stop :] += volume
    tva = tva + add
    # crews keep the active pit above a working level: refill from the reserve (big losses)
    for _ in range(20):
        low = np.flatnonzero(tva < 12.0)
        if not low.size:
            break
        sl, x = span(n, max(low[0] - 60, 0), max(low[0] - 60, 0) + rng.uniform(4, 8) * MIN)
        volume = rng.uniform(15.0, 25.0)
        tva[sl] += volume * x
        tva[sl.stop :] += volume

    # gas: formation background, connection/trip gas after bottoms-up, accident gas;
    # the trap reads only while mud returns
    steps = rig.gas_steps
    idx = np.searchsorted([s for s, _ in steps], tsec, side="right") - 1
    bg = np.array([lv for _, lv in steps])[idx] * np.exp(walk(rng, n, 900, 0.08))
    peaks = np.zeros(n)
    for centre, amp, width in rig.gas_peaks:
        sl, x = span(n, centre - 3 * width, centre + 3 * width)
        peaks[sl] += amp * np.exp(-0.5 * ((x - 0.5) * 6.0) ** 2)
    gas_true = bg + peaks + fx.gas_add
    returns = np.clip(q_out / (0.3 * p.flow_lpm), 0.0, 1.0)
    ret = lag(returns, lag_kernel(0, 120.0))
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
