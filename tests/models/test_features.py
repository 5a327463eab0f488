import numpy as np
import pandas as pd
import pytest

from models.features import (
    BASELINE_TAU_S,
    CALCULATORS,
    MAX_STEP_S,
    RETURNS_TRUST_S,
    SCALES,
    Baseline,
    FeatureSpec,
    ReturnsTrust,
    RowBuffer,
    decision_ends,
    features_at,
    prepare,
)
from models.window_stats import EDGE_SECONDS

NS = 1_000_000_000


def irregular_well(n: int = 3000, seed: int = 0) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    rng = np.random.default_rng(seed)
    steps = rng.uniform(0.5, 6.0, n)
    times = (1_767_225_600 * NS + np.cumsum(steps) * NS).astype(np.int64)
    channels = {
        "HKLA": 900 + np.cumsum(rng.normal(0, 2, n)),
        "SPPA": 15000 + rng.normal(0, 100, n),
        "MFIA": np.full(n, 2500.0) + rng.normal(0, 10, n),
        "MFOA": np.full(n, 2480.0) + rng.normal(0, 30, n),
        "TQA": 10 + rng.normal(0, 1, n),
    }
    channels["HKLA"][rng.random(n) < 0.1] = np.nan  # dropouts
    return times, channels


def reference(times: np.ndarray, values: np.ndarray, end: int, window: int, scale: float) -> dict:
    """The same statistics with pandas, straight from their definitions."""
    t = pd.to_datetime(times[: end + 1], unit="ns")
    s = pd.Series(values[: end + 1], index=t)
    s = s[s.index > t[-1] - pd.Timedelta(seconds=window)]
    nanshare = float(s.isna().mean())
    s = s.dropna()
    secs = (s.index - t[-1]).total_seconds().to_numpy()
    slope = np.polyfit(secs, s.to_numpy(), 1)[0] * 60
    last = s[secs > secs[-1] - EDGE_SECONDS].mean() if len(s) else np.nan
    t0 = (s.index[0] - t[-1]).total_seconds()
    first = s[secs < t0 + EDGE_SECONDS].mean()
    return {
        "mean": s.mean(),
        "std": s.std(ddof=0),
        "min": s.min(),
        "max": s.max(),
        "slope": slope,
        "change": last - first,
        "rchange": (last - first) / (abs(s.mean()) + scale),
        "meanabschange": s.diff().abs().mean(),
        "nanshare": nanshare,
        "flat": float(s.std(ddof=0) < 1e-9),
    }


@pytest.mark.parametrize("channel", ["HKLA", "SPPA", "FLOWDIFF"])
def test_window_statistics_match_pandas_on_irregular_samples(channel: str) -> None:
    times, channels = irregular_well()
    # nested windows, one shorter than the edges (its own first and last edge)
    spec = FeatureSpec(calculators=CALCULATORS, windows=(300, 25, 1800))
    prepared = prepare(times, channels, spec)
    ends = np.array([2000, 2999])
    rows = features_at(prepared, ends, spec)
    names = spec.names()
    values = channels["MFOA"] - channels["MFIA"] if channel == "FLOWDIFF" else channels[channel]
    for r, end in enumerate(ends):
        for window in spec.windows:
            ref = reference(times, values, int(end), window, SCALES[channel])
            for calc, expected in ref.items():
                got = rows[r, names.index(f"{channel}__{calc}__window_{window}")]
                assert got == pytest.approx(expected, rel=1e-9, abs=1e-9), (calc, window)


def test_a_flat_lined_or_missing_sensor_shows_in_the_quality_features() -> None:
    times, channels = irregular_well()
    channels["TQA"][1500:] = 12.5  # the torque sensor freezes
    channels["SPPA"][:] = np.nan  # no standpipe pressure at all
    spec = FeatureSpec(calculators=CALCULATORS, windows=(300,))
    row = dict(
        zip(spec.names(), features_at(prepare(times, channels, spec), [2999], spec)[0], strict=True)
    )
    assert row["TQA__flat__window_300"] == 1.0
    assert row["HKLA__flat__window_300"] == 0.0
    assert row["SPPA__nanshare__window_300"] == 1.0
    assert np.isnan(row["SPPA__flat__window_300"])
    assert 0.0 < row["HKLA__nanshare__window_300"] < 0.3


def test_missing_channels_give_missing_features_not_errors() -> None:
    times, channels = irregular_well()
    spec = FeatureSpec(calculators=CALCULATORS)
    rows = features_at(prepare(times, {"TQA": channels["TQA"]}, spec), np.array([2500]), spec)
    names = spec.names()
    assert np.isnan(rows[0, names.index("SPPA__mean__window_300")])
    assert np.isfinite(rows[0, names.index("TQA__mean__window_300")])


def test_feature_names_are_the_specification() -> None:
    spec = FeatureSpec(calculators=CALCULATORS, windows=(60, 600))
    assert FeatureSpec.from_names(spec.names()) == spec
    with pytest.raises(ValueError, match="not <channel>"):
        FeatureSpec.from_names(["bogus"])


def test_decisions_fall_on_an_absolute_stride_grid() -> None:
    times = (np.arange(0, 25) * NS + 7 * NS).astype(np.int64)  # 7 s .. 31 s
    assert times[decision_ends(times, 10.0)].tolist() == [7 * NS, 10 * NS, 20 * NS, 30 * NS]
    assert decision_ends(times, 10.0, after_ns=20 * NS).tolist() == [23]  # 30 s


def test_flow_out_is_used_once_it_has_agreed_with_flow_in_for_five_minutes() -> None:
    times, channels = irregular_well()  # pumping ~2500 L/min, returns ~2480 L/min
    trust = ReturnsTrust()
    trust.update(times, channels)
    agreed = np.cumsum(np.clip(np.diff(times, prepend=times[0]) / NS, 0, MAX_STEP_S))
    first = int(np.flatnonzero(agreed >= RETURNS_TRUST_S)[0])
    assert trust.trusted_from_ns == times[first]
    masked = trust.mask(times, channels)["MFOA"]
    assert np.isnan(masked[:first]).all()
    np.testing.assert_array_equal(masked[first:], channels["MFOA"][first:])
    # fed in pieces, as the live path does, the trust starts at the same sample
    live = ReturnsTrust()
    for lo in range(0, times.size, 37):
        live.update(times[lo : lo + 37], {k: v[lo : lo + 37] for k, v in channels.items()})
    assert live.trusted_from_ns == trust.trusted_from_ns


def test_a_flow_out_sensor_in_the_wrong_unit_stays_out_of_detection() -> None:
    times, channels = irregular_well()
    channels["MFOA"] = channels["MFOA"] / 60_000.0  # m3/s sent as if L/min
    spec = FeatureSpec(calculators=CALCULATORS, windows=(300,))
    row = dict(
        zip(spec.names(), features_at(prepare(times, channels, spec), [2999], spec)[0], strict=True)
    )
    assert np.isnan(row["MFOA__mean__window_300"])
    assert np.isnan(row["FLOWDIFF__mean__window_300"])
    assert row["MFOA__nanshare__window_300"] == 1.0
    assert np.isfinite(row["MFIA__mean__window_300"])


def test_the_channel_baseline_is_pandas_time_weighted_ewm_and_equal_when_fed_in_pieces() -> None:
    times, channels = irregular_well()
    times = times.copy()
    times[1500:] += 5 * 3600 * NS  # a five-hour gap in the data
    spec = FeatureSpec(calculators=CALCULATORS, windows=(300,))
    prepared = prepare(times, channels, spec)
    assert prepared.baseline is not None
    col = spec.channels.index("HKLA")
    series = pd.Series(channels["HKLA"], index=pd.to_datetime(times, unit="ns"))
    expected = series.ewm(
        halflife=pd.Timedelta(seconds=BASELINE_TAU_S * np.log(2)), times=series.index
    ).mean()
    np.testing.assert_allclose(prepared.baseline[:, col], expected.to_numpy(), rtol=1e-9)
    live = Baseline(spec.channels)
    pieces = [
        live.update(times[lo : lo + 37], prepared.matrix[lo : lo + 37])
        for lo in range(0, times.size, 37)
    ]
    np.testing.assert_allclose(np.vstack(pieces), prepared.baseline, rtol=1e-12, atol=1e-12)


def test_a_buffer_prepared_piece_by_piece_equals_the_whole_well_prepared_at_once() -> None:
    times, channels = irregular_well()
    channels["DBTM"] = np.linspace(1000.0, 1100.0, times.size)  # moving: rig states look back
    spec = FeatureSpec(calculators=CALCULATORS, windows=(300,))
    whole = prepare(times, channels, spec)
    trust, baseline = ReturnsTrust(), Baseline(spec.channels)
    live = None
    for lo in range(0, times.size, 37):
        piece = slice(lo, lo + 37)
        part = {k: v[piece] for k, v in channels.items()}
        trust.update(times[piece], part)
        live = prepare(times[piece], part, spec, trust, baseline, after=live, keep_ns=900 * NS)
    assert live is not None
    tail = slice(times.size - live.times_ns.size, None)
    np.testing.assert_array_equal(live.times_ns, times[tail])
    np.testing.assert_array_equal(live.states, whole.states[tail])
    for name in ("matrix", "baseline", "steps", "step_baseline"):  # OVERPULL: ~1e3 kN - base
        np.testing.assert_allclose(
            getattr(live, name), getattr(whole, name)[tail], rtol=1e-12, atol=1e-9
        )
    end = times.size - 1
    np.testing.assert_allclose(
        features_at(live, [live.times_ns.size - 1], spec),
        features_at(whole, [end], spec),
        rtol=1e-9,
        atol=1e-12,
    )


def test_basedev_is_the_window_mean_against_the_baseline_at_the_window_start() -> None:
    times, channels = irregular_well()
    spec = FeatureSpec(calculators=CALCULATORS, windows=(300,))
    prepared = prepare(times, channels, spec)
    row = dict(zip(spec.names(), features_at(prepared, [2999], spec)[0], strict=True))
    start = int(np.searchsorted(times, times[2999] - 300 * NS, side="right"))
    base = prepared.baseline[start, spec.channels.index("SPPA")]
    mean = channels["SPPA"][start:3000].mean()
    expected = (mean - base) / (abs(base) + SCALES["SPPA"])
    assert row["SPPA__basedev__window_300"] == pytest.approx(expected, rel=1e-9)


def test_a_row_buffer_holds_the_same_rows_as_concatenating_and_slicing() -> None:
    rng = np.random.default_rng(4)
    reference = rng.normal(size=(3, 4))
    buffer = RowBuffer(reference)
    for _ in range(300):  # enough appends to compact and to grow the storage several times
        rows = rng.normal(size=(int(rng.integers(0, 40)), 4))
        drop = int(rng.integers(0, 30))
        buffer.extend(rows)
        buffer.drop(drop)
        reference = np.vstack([reference, rows])[drop:]
        np.testing.assert_array_equal(buffer.values, reference)
    assert len(buffer) == reference.shape[0]
    assert buffer.values.strides[0] == buffer.values.itemsize  # each column contiguous


def test_overpull_is_hookload_minus_pandas_ewm_of_the_hookload_in_the_same_rig_state() -> None:
    times, channels = irregular_well()
    channels["MFIA"][800:1400] = 0.0  # pumps off: another rig state
    channels["HKLA"][2000:2100] = 300.0  # in slips: a connection
    spec = FeatureSpec(calculators=CALCULATORS, windows=(300,))
    prepared = prepare(times, channels, spec)
    states = prepared.states
    assert len(set(states.tolist())) >= 3
    frame = pd.DataFrame(
        {"h": channels["HKLA"], "state": states}, index=pd.to_datetime(times, unit="ns")
    )
    halflife = pd.Timedelta(seconds=BASELINE_TAU_S * np.log(2))
    expected = frame.groupby("state")["h"].transform(
        lambda g: g.ewm(halflife=halflife, times=g.index).mean()
    )
    got = prepared.matrix[:, spec.channels.index("OVERPULL")]
    np.testing.assert_allclose(got, (frame["h"] - expected).to_numpy(), rtol=1e-9, atol=1e-9)
    assert np.nanmax(np.abs(got)) > 1.0  # the hookload wanders: not trivially zero


def test_the_default_features_carry_no_channel_levels_only_their_changes() -> None:
    names = FeatureSpec().names()
    assert not [n for n in names if n.split("__")[1] in ("mean", "min", "max")]
    assert "SPPFLOW__basedev__window_1800" in names and "OVERPULL__change__window_300" in names


def test_roughdev_is_the_window_roughness_against_pandas_ewm_of_the_absolute_steps() -> None:
    times, channels = irregular_well()  # SPPA has no dropouts; HKLA has 10 %
    channels["SPPA"][2700:] += np.random.default_rng(9).normal(0, 400, 300)  # rougher at the end
    spec = FeatureSpec(calculators=CALCULATORS, windows=(300,))
    prepared = prepare(times, channels, spec)
    row = dict(zip(spec.names(), features_at(prepared, [2999], spec)[0], strict=True))
    start = int(np.searchsorted(times, times[2999] - 300 * NS, side="right"))
    for name in ("SPPA", "HKLA"):
        series = pd.Series(channels[name], index=pd.to_datetime(times, unit="ns"))
        steps = series.dropna().diff().abs().reindex(series.index)  # NaN where missing
        steps.iloc[0] = 0.0
        halflife = pd.Timedelta(seconds=BASELINE_TAU_S * np.log(2))
        base = steps.ewm(halflife=halflife, times=steps.index).mean().iloc[start]
        window = series.iloc[start:3000].dropna()
        rough = window.diff().abs().mean()
        expected = (rough - base) / (base + SCALES[name] * 1e-3)
        assert row[f"{name}__roughdev__window_300"] == pytest.approx(expected, rel=1e-9)
    assert row["SPPA__roughdev__window_300"] > 1.0  # rougher than usual on this well
