"""Sensors: noise, slow drift, calibration, instrument resolution and dropouts."""

from __future__ import annotations

import numpy as np

from models.channels import CANONICAL
from pipelines.simulate.core import HOUR, MIN
from pipelines.simulate.profiles import WellProfile
from pipelines.simulate.signals import lp_noise, walk

# decimals each channel is recorded with (instrument resolution)
ROUND: dict[str, int] = {
    "DBTM": 2,
    "DMEA": 2,
    "BPOS": 2,
    "ROPA": 1,
    "HKLA": 1,
    "WOBA": 1,
    "TQA": 2,
    "RPMA": 1,
    "SPPA": 0,
    "CHKP": 0,
    "MFIA": 0,
    "MFOA": 0,
    "MFOP": 1,
    "TVA": 2,
    "GASA": 3,
    "ACTC": 0,
}


def measure(
    p: WellProfile, ideal: dict[str, np.ndarray], rng: np.random.Generator
) -> dict[str, np.ndarray]:
    """Sensors: noise (scaled by the well's noise), slow drift, calibration, resolution."""
    n = ideal["DBTM"].size
    k = p.noise

    def white(sd: float) -> np.ndarray:
        return rng.normal(0.0, sd * k, n)

    out: dict[str, np.ndarray] = {}
    out["DBTM"] = ideal["DBTM"]
    out["DMEA"] = ideal["DMEA"]
    out["BPOS"] = ideal["BPOS"] + white(0.01)
    rop = ideal["ROPA"]
    out["ROPA"] = np.where(rop > 0, rop * (1.0 + 0.12 * k * lp_noise(rng, n, 5.0)) + white(0.3), 0)
    hk = ideal["HKLA"]
    out["HKLA"] = hk * (1.0 + white(0.003)) + white(2.0) + walk(rng, n, 1800, 2.0 * k)
    out["WOBA"] = ideal["WOBA"] * (1.0 + 0.04 * k * lp_noise(rng, n, 4.0)) + white(2.0)
    tq = ideal["TQA"]
    out["TQA"] = tq * (1.0 + 0.04 * k * lp_noise(rng, n, 2.0)) + np.where(tq > 0.5, white(0.3), 0)
    rpm = ideal["RPMA"]
    out["RPMA"] = np.where(rpm > 0.5, rpm * (1.0 + white(0.01)) + white(0.5), 0.0)
    spp = ideal["SPPA"]
    out["SPPA"] = spp * (1.0 + white(0.008) + walk(rng, n, 3600, 0.002 * k)) + white(40.0)
    out["CHKP"] = ideal["CHKP"] + rng.uniform(0.0, 40.0) + white(8.0)
    out["MFIA"] = np.where(ideal["MFIA"] > 1.0, ideal["MFIA"] * (1.0 + white(0.004)) + white(4), 0)
    bias = p.flow_out_bias * (1.0 + walk(rng, n, 3600, 0.004 * k))
    q_out = ideal["MFOA"]
    out["MFOA"] = q_out * bias * (1.0 + 0.025 * k * lp_noise(rng, n, 3.0)) + white(15.0)
    paddle = np.clip(q_out * bias / (1.3 * p.flow_lpm), 0.0, 1.0) ** 0.8 * 100.0
    out["MFOP"] = paddle * (1.0 + 0.04 * k * lp_noise(rng, n, 4.0)) + white(1.0)
    slosh = 0.08 * np.sin(2 * np.pi * np.arange(n) / rng.uniform(40.0, 90.0))
    out["TVA"] = (
        ideal["TVA"] + slosh * (ideal["MFIA"] > 1) + white(0.04) + walk(rng, n, 3600, 0.1 * k)
    )
    out["GASA"] = ideal["GASA"] * np.exp(0.1 * k * lp_noise(rng, n, 10.0))
    out["ACTC"] = ideal["ACTC"]
    for name in ("ROPA", "TQA", "RPMA", "SPPA", "CHKP", "MFIA", "MFOA", "MFOP", "GASA"):
        out[name] = np.clip(out[name], 0.0, None)
    out["MFOP"] = np.clip(out["MFOP"], 0.0, 100.0)
    out["ROPA"] = np.where(ideal["ROPA"] > 0, out["ROPA"], 0.0)
    for name, digits in ROUND.items():
        out[name] = np.round(out[name], digits)
    out["DMEA"] = np.maximum.accumulate(out["DMEA"])
    out["DBTM"] = np.minimum(out["DBTM"], out["DMEA"])
    return out


def dropouts(p: WellProfile, data: dict[str, np.ndarray], rng: np.random.Generator) -> None:
    """Short NaN runs per channel, rare long channel gaps, and short link losses (all)."""
    n = data["DBTM"].size
    hours = n / HOUR
    for name in CANONICAL:
        if name == "ACTC":
            continue
        arr = data[name]
        for _ in range(rng.poisson(3.0 * p.dropout_rate * hours)):
            a = int(rng.integers(0, n))
            arr[a : a + int(rng.geometric(0.15))] = np.nan
        for _ in range(rng.poisson(0.015 * p.dropout_rate * hours)):
            a = int(rng.integers(0, n))
            arr[a : a + int(rng.uniform(5, 45) * MIN)] = np.nan
    for _ in range(rng.poisson(0.3 * p.dropout_rate * hours)):
        a = int(rng.integers(0, n))
        b = a + int(rng.uniform(5, 60))
        for name in CANONICAL:
            data[name][a:b] = np.nan
