"""Training: channel dropout, grouped folds, the fast calibration path and robustness of the
trained model to missing channels and coarse irregular sampling."""

from datetime import timedelta

import numpy as np
import pytest

from pipelines.alerting import AlertPolicy, AlertState, step
from pipelines.batch import TelemetryBatch, datetime_to_ns
from pipelines.calibrate import type_alert_times
from pipelines.streaming import StreamEngine
from pipelines.train import channel_dropout, grouped_folds

NS = 1_000_000_000


def test_grouped_folds_put_every_well_in_exactly_one_fold() -> None:
    wells = [f"W{i}" for i in range(10)]
    folds = grouped_folds(wells, 4, seed=0)
    assert len(folds) == 4
    assert sorted(w for fold in folds for w in fold) == sorted(wells)
    assert grouped_folds(wells, 4, seed=0) == folds


def test_channel_dropout_removes_half_the_channels_and_can_resample_to_about_5_s() -> None:
    n = 3000
    times = (np.arange(n) * NS).astype(np.int64)
    batch = TelemetryBatch(times, {f"C{i}": np.arange(n, dtype=float) for i in range(10)})
    rng = np.random.default_rng(0)
    copy = channel_dropout(batch, rng, share=0.5, resample=False)
    assert len(copy.channels) == 5 and len(copy) == n
    coarse = channel_dropout(batch, rng, share=0.5, resample=True)
    gaps = np.diff(coarse.times_ns) / NS
    assert 4.0 < gaps.mean() < 6.0 and gaps.min() >= 3 and gaps.max() <= 7


@pytest.mark.parametrize("k,n", [(1, 1), (2, 3), (3, 5)])
def test_vectorised_alert_times_equal_the_alert_logic_step_by_step(k: int, n: int) -> None:
    rng = np.random.default_rng(k)
    m = 3000
    times = (np.arange(m) * 10 * NS).astype(np.int64)
    p = np.clip(np.cumsum(rng.normal(0, 0.08, m)) % 1.0, 0, 1)
    allowed = rng.random(m) < 0.9
    policy = AlertPolicy(thresholds={"kick": 0.7}, k=k, n=n, cooldown_s=600.0, gating={})
    state = AlertState()
    expected = []
    for i in range(m):
        # A gated-out decision votes for nothing, as alerting.candidate does.
        probs = {"normal": 1 - p[i], "kick": p[i] if allowed[i] else 0.0}
        if step(state, policy, time_ns=int(times[i]), probabilities=probs, rig_state="x"):
            expected.append(int(times[i]))
    got = type_alert_times(times, p, allowed, 0.7, k=k, n=n, cooldown_s=600.0)
    assert got.tolist() == expected


def _accident_contrast(model, batch: TelemetryBatch, accidents) -> tuple[float, float]:
    """Mean probability of the accident types inside [start - 15 min, end] and elsewhere."""
    engine = StreamEngine(model, stride_s=30.0)
    decisions = engine.feed("W", batch).decisions
    times = np.array([d.time_ns for d in decisions])
    risk = np.array([1.0 - d.probabilities["normal"] for d in decisions])
    inside = np.zeros(len(times), dtype=bool)
    for acc in accidents:
        lo = datetime_to_ns(acc.start - timedelta(minutes=15))
        inside |= (times >= lo) & (times <= datetime_to_ns(acc.end))
    return float(risk[inside].mean()), float(risk[~inside].mean())


def test_a_well_missing_half_its_channels_still_shows_its_accidents(small_model, sim_wells) -> None:
    well = sim_wells[0]
    batch = channel_dropout(well.to_batch(), np.random.default_rng(3), share=0.5, resample=False)
    assert len(batch.channels) <= len(well.frame.columns) // 2 + 1
    inside, outside = _accident_contrast(small_model, batch, well.accidents)
    assert np.isfinite(inside) and inside > 2 * outside


def test_a_well_sampled_every_5_s_with_jitter_still_shows_its_accidents(
    small_model, sim_wells
) -> None:
    well = sim_wells[1]
    batch = channel_dropout(well.to_batch(), np.random.default_rng(4), share=0.0, resample=True)
    inside, outside = _accident_contrast(small_model, batch, well.accidents)
    assert np.isfinite(inside) and inside > 2 * outside


def test_the_trained_model_records_out_of_fold_metrics_and_its_folds(small_model) -> None:
    meta = small_model.meta
    folds = meta["training"]["folds"]
    assert sorted(w for fold in folds for w in fold) == sorted(meta["training"]["wells"])
    validation = meta["metrics"]["validation"]
    assert "out-of-fold" in validation["method"]
    assert {"recall", "type_accuracy", "false_alarms_per_day", "per_type"} <= set(validation)
    assert meta["training"]["augmentation"]["dropout_copies"] >= 1


def test_feature_screening_windows_cover_accidents_and_normal_operation(sim_wells) -> None:
    from pipelines.evaluate import Accident
    from pipelines.feature_select import labelled_windows

    wells = {w.well_id: w.to_batch() for w in sim_wells[:2]}
    accidents = [Accident(a.well_id, a.type, a.start, a.end) for w in sim_wells[:2]
                 for a in w.accidents]  # fmt: skip
    windows, labels = labelled_windows(
        wells, accidents, window_s=300, stride_s=600, normals_per_well=5, seed=0
    )
    assert (labels == "normal").sum() == 10
    assert set(labels) - {"normal"} == {a.type for a in accidents}
    assert not windows.isna().any().any()
    assert set(windows["id"]) == set(labels.index)


def test_sample_noise_recovers_the_sd_of_white_noise_on_a_trend() -> None:
    from pipelines.train import sample_noise

    rng = np.random.default_rng(0)
    values = np.linspace(0, 500, 20000) + rng.normal(0, 3.0, 20000)
    assert sample_noise(values) == pytest.approx(3.0, rel=0.05)


def test_noise_augmentation_adds_noise_in_proportion_to_each_channel() -> None:
    from pipelines.train import sample_noise

    rng = np.random.default_rng(1)
    n = 20000
    batch = TelemetryBatch(
        (np.arange(n) * NS).astype(np.int64),
        {"A": rng.normal(0, 1.0, n), "B": rng.normal(0, 100.0, n)},
    )
    noisy = channel_dropout(batch, rng, share=0.0, resample=False, noise=1.0)
    for name, sd in (("A", 1.0), ("B", 100.0)):
        assert sample_noise(noisy.channels[name]) == pytest.approx(sd * np.sqrt(2), rel=0.08)
