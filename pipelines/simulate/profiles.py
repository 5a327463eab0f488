"""Well profiles: the static differences between wells, and how a random one is drawn."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from pipelines.telemetry import validate_well_id


@dataclass(frozen=True)
class WellProfile:
    """Static differences between wells. Only the first six fields are required."""

    well_id: str
    start_depth_m: float  # hole depth at t0
    string_weight_kn: float  # hookload off bottom at t0 (block + buoyed string)
    flow_lpm: float  # pump rate while drilling
    spp_kpa: float  # standpipe pressure while drilling at flow_lpm
    noise: float  # noise multiplier (0.5-2)
    block_weight_kn: float = 300.0  # travelling block + top drive (hookload in slips)
    bha_weight_kn: float = 200.0  # buoyed weight of the bottom-hole assembly (lowest 150 m)
    rpm: float = 120.0  # rotary speed while drilling
    rop_mph: float = 30.0  # typical rate of penetration
    wob_kn: float = 120.0  # weight on bit while drilling
    torque_off_knm: float = 10.0  # rotating off-bottom torque at start depth and rpm
    bit_torque_knm_per_kn: float = 0.05  # extra torque per kN of weight on bit
    torque_limit_knm: float = 35.0  # top-drive torque limit (stalls at it)
    friction: float = 0.12  # axial drag as a share of the buoyed string weight
    motor_dp_kpa: float = 1500.0  # extra SPP on bottom at wob_kn (motor / bit)
    pit_m3: float = 50.0  # active pit volume at t0
    gas_pct: float = 0.5  # background total gas
    annulus_l_per_m: float = 20.0  # annular capacity: sets the bottoms-up lag of gas
    hole_m3_per_m: float = 0.03  # mud needed per metre of new hole
    stand_m: float = 28.5  # length of a stand
    slide_share: float = 0.2  # share of stands with a slide section
    flow_out_bias: float = 1.0  # calibration of the flow-out sensor
    return_lag_s: float = 20.0  # transport delay of flow out behind flow in
    dropout_rate: float = 1.0  # multiplier of sensor dropout frequency


def random_profile(well_id: str, rng: np.random.Generator) -> WellProfile:
    """A plausible, randomly drawn well (depth, string, hydraulics, noise)."""
    validate_well_id(well_id)
    u = rng.uniform
    depth = float(u(800.0, 4500.0))
    block = float(u(220.0, 380.0))
    bha = float(u(120.0, 280.0))
    string = float(np.clip(block + bha + u(0.2, 0.3) * max(depth - 150.0, 0.0), 550.0, 1900.0))
    flow = float(u(1500.0, 4000.0))
    spp = float(
        np.clip(
            u(0.75, 1.25) * 13000.0 * (flow / 2500.0) ** 1.4 * (0.7 + depth / 6000.0),
            8000.0,
            28000.0,
        )
    )
    wob = float(u(60.0, 190.0))
    torque_off = float(u(2.5, 5.5) * depth / 1000.0 + u(1.0, 3.0))
    bit_tq = float(u(0.03, 0.07))
    on_bottom_tq = torque_off + bit_tq * wob
    return WellProfile(
        well_id=well_id,
        start_depth_m=round(depth, 1),
        string_weight_kn=round(string, 1),
        flow_lpm=round(flow, 0),
        spp_kpa=round(spp, 0),
        noise=float(u(0.5, 2.0)),
        block_weight_kn=round(block, 1),
        bha_weight_kn=round(bha, 1),
        rpm=float(u(70.0, 170.0)),
        rop_mph=float(u(10.0, 60.0)),
        wob_kn=wob,
        torque_off_knm=torque_off,
        bit_torque_knm_per_kn=bit_tq,
        torque_limit_knm=float(min(max(on_bottom_tq * u(1.3, 1.7), on_bottom_tq + 4.0), 48.0)),
        friction=float(u(0.06, 0.2)),
        motor_dp_kpa=float(u(0.04, 0.12) * spp),
        pit_m3=float(u(35.0, 75.0)),
        gas_pct=float(np.exp(u(np.log(0.1), np.log(2.0)))),
        annulus_l_per_m=float(u(12.0, 30.0)),
        hole_m3_per_m=float(u(0.015, 0.04)),
        stand_m=float(u(27.5, 29.3)),
        slide_share=float(u(0.0, 0.4)),
        flow_out_bias=float(u(0.95, 1.05)),
        return_lag_s=float(u(8.0, 30.0)),
        dropout_rate=float(u(0.5, 2.0)),
    )


def string_kn(p: WellProfile, bit: np.ndarray | float) -> np.ndarray:
    """Buoyed string weight hanging below the block at a bit depth (kN)."""
    bha_len = 150.0
    per_m = max(
        (p.string_weight_kn - p.block_weight_kn - p.bha_weight_kn)
        / max(p.start_depth_m - bha_len, 1.0),
        0.05,
    )
    b = np.asarray(bit, dtype=np.float64)
    return p.bha_weight_kn * np.clip(b / bha_len, 0.0, 1.0) + per_m * np.clip(
        b - bha_len, 0.0, None
    )
