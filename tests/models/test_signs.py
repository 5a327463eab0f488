"""The transferable signs, against a plain pandas reference on irregular random streams."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from models.signs import BIN_S, NAMES, SIGNS, SPAN_S, describe, sign_rows

NS = 1_000_000_000


def _stream(seed: int, n: int = 900, step_s: float = 4.0):
    rng = np.random.default_rng(seed)
    gaps = rng.uniform(0.5, 2.0, n) * step_s
    times = (1_700_000_000 * NS + np.cumsum(gaps) * NS).astype(np.int64)
    channels = {
        "TVA": 50 + np.cumsum(rng.normal(0, 0.02, n)),
        "GASA": np.abs(rng.normal(0.3, 0.1, n)),
        "SPPA": 15000 + rng.normal(0, 100, n),
        "MFIA": 3000 + rng.normal(0, 10, n),
        "MFOA": 2900 + rng.normal(0, 30, n),
        "TQA": 8 + rng.normal(0, 0.5, n),
        "RPMA": 120 + rng.normal(0, 2, n),
        "HKLA": 1200 + rng.normal(0, 10, n),
    }
    channels["TVA"][rng.random(n) < 0.05] = np.nan
    return times, channels


def _bins(times: np.ndarray, values: np.ndarray, t_end: int) -> pd.Series:
    """Reference: 30-s bin means over the last SPAN_S before t_end, oldest first."""
    age = (t_end - times) / NS
    inside = (age >= 0) & (age < SPAN_S)
    k = (SPAN_S / BIN_S - 1 - np.floor(age[inside] / BIN_S)).astype(int)
    frame = pd.DataFrame({"k": k, "v": values[inside]})
    return frame.groupby("k")["v"].mean().reindex(range(int(SPAN_S / BIN_S)))


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_pit_gain_and_gas_ratio_match_a_pandas_reference(seed: int) -> None:
    times, channels = _stream(seed)
    ends = np.array([len(times) - 1, len(times) - 200])
    rows = sign_rows(times, channels, ends)
    for r, end in enumerate(ends):
        t_end = int(times[end])
        pit = _bins(times, channels["TVA"], t_end)
        expected_d10 = pit.iloc[-2:].mean() - pit.iloc[-22:-20].mean()
        assert rows[r, SIGNS.index("pit_d10")] == pytest.approx(expected_d10, rel=1e-9)
        gas = _bins(times, channels["GASA"], t_end).dropna().to_numpy()
        quiet = np.sort(gas)[int((gas.size - 1) * 0.25)]
        floor = max(0.02, 0.1 * np.sort(gas)[int((gas.size - 1) * 0.5)])
        now = _bins(times, channels["GASA"], t_end).iloc[-6:].mean()
        expected = math.log((now + floor) / (quiet + floor))
        assert rows[r, SIGNS.index("gas_ratio")] == pytest.approx(expected, rel=1e-9)


def test_signs_are_missing_exactly_where_their_channels_are() -> None:
    times, channels = _stream(3)
    pits_only = {"TVA": channels["TVA"], "GASA": channels["GASA"]}
    row = sign_rows(times, pits_only, np.array([len(times) - 1]))[0]
    assert np.isfinite(row[SIGNS.index("pit_d10")])
    assert np.isfinite(row[SIGNS.index("gas_ratio")])
    for name in ("tq_peak", "rpm_lost", "hk_over", "spp_rel", "fdiff_rel"):
        assert math.isnan(row[SIGNS.index(name)]), name
    assert len(NAMES) == len(SIGNS) and all(n.startswith("sign__") for n in NAMES)


def test_a_steady_pit_gain_with_gas_reads_as_evidence() -> None:
    times, channels = _stream(4, n=900, step_s=2.0)
    t_s = (times - times[-1]) / NS
    gain = np.clip((t_s + 600) / 600, 0, 1) * 1.5  # +1.5 m³ over the last 10 min
    channels["TVA"] = 50 + gain
    channels["GASA"] = np.where(t_s > -300, 2.0, 0.3)
    row = sign_rows(times, channels, np.array([len(times) - 1]))[0]
    assert row[SIGNS.index("pit_d10")] == pytest.approx(1.5, abs=0.1)
    assert row[SIGNS.index("pit_steady10")] > 0.9
    words = describe(row)
    assert any(w.startswith("pit +1.") and "10 min" in w for w in words), words
    assert any(w.startswith("gas ×") for w in words), words


def test_rows_at_any_decision_depend_only_on_the_span_before_it() -> None:
    times, channels = _stream(5, n=2000)
    end = len(times) - 1
    whole = sign_rows(times, channels, np.array([end]))
    lo = int(np.searchsorted(times, times[end] - int(SPAN_S * NS), side="right"))
    cut = {k: v[lo:] for k, v in channels.items()}
    part = sign_rows(times[lo:], cut, np.array([end - lo]))
    np.testing.assert_array_equal(whole, part)


def test_zero_and_negative_readings_give_missing_signs_not_errors() -> None:
    times, channels = _stream(6)
    channels["GASA"] = channels["GASA"] * 0 - 0.05  # a gas sensor reading below zero
    channels["SPPA"] = np.zeros_like(channels["SPPA"])  # pumps off all the time
    channels["TQA"] = np.zeros_like(channels["TQA"])
    row = sign_rows(times, channels, np.array([len(times) - 1]))[0]
    assert math.isnan(row[SIGNS.index("gas_ratio")])
    assert math.isnan(row[SIGNS.index("spp_rel")])  # no pumping level to compare against
    assert row[SIGNS.index("tq_rel")] == 0.0
