"""Training: channel dropout, grouped folds, labelling, precursor heads and robustness of the
trained model to missing channels and coarse irregular sampling (calibration:
test_calibrate.py)."""

import math
from datetime import timedelta

import numpy as np
import pytest

from pipelines.live.streaming import StreamEngine
from pipelines.telemetry import TelemetryBatch, datetime_to_ns
from pipelines.training.train import channel_dropout, grouped_folds

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


def test_out_of_fold_false_alarms_stay_within_the_budget_less_the_calibration_margin(
    small_model,
) -> None:
    from pipelines.training.train import TrainConfig

    cfg = TrainConfig()
    validation = small_model.meta["metrics"]["validation"]
    budget = cfg.false_alarm_budget_per_day * cfg.calibration_margin
    assert validation["calibrated_to_per_day"] == pytest.approx(budget)
    allowed = math.floor(budget * validation["monitored_days_outside_windows"])
    assert validation["false_alarms"] <= allowed


def test_thresholds_are_calibrated_on_the_wells_and_their_dropout_copies(
    small_model, sim_wells
) -> None:
    from pipelines.telemetry import Accident
    from pipelines.training.evaluate import evaluate

    frames = {w.profile.well_id: w.frame for w in sim_wells}
    monitored = {
        w: (f.index[0].to_pydatetime(), f.index[-1].to_pydatetime()) for w, f in frames.items()
    }
    accidents = [
        Accident(a.well_id, a.type, a.start, a.end) for w in sim_wells for a in w.accidents
    ]
    wells_alone = evaluate([], accidents, monitored)["monitored_days_outside_windows"]
    validation = small_model.meta["metrics"]["validation"]
    assert "channel-dropout copies" in validation["method"]
    # every well once as recorded and once as its copy: twice the days, twice the accidents
    assert validation["monitored_days_outside_windows"] == pytest.approx(2 * wells_alone, rel=0.01)
    assert validation["accidents"] == 2 * len(accidents)


def test_feature_screening_windows_cover_accidents_and_normal_operation(sim_wells) -> None:
    from pipelines.telemetry import Accident
    from pipelines.training.feature_select import labelled_windows

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
    from pipelines.training.train import sample_noise

    rng = np.random.default_rng(0)
    values = np.linspace(0, 500, 20000) + rng.normal(0, 3.0, 20000)
    assert sample_noise(values) == pytest.approx(3.0, rel=0.05)


def test_noise_augmentation_adds_noise_in_proportion_to_each_channel() -> None:
    from pipelines.training.train import sample_noise

    rng = np.random.default_rng(1)
    n = 20000
    batch = TelemetryBatch(
        (np.arange(n) * NS).astype(np.int64),
        {"A": rng.normal(0, 1.0, n), "B": rng.normal(0, 100.0, n)},
    )
    noisy = channel_dropout(batch, rng, share=0.0, resample=False, noise=1.0)
    for name, sd in (("A", 1.0), ("B", 100.0)):
        assert sample_noise(noisy.channels[name]) == pytest.approx(sd * np.sqrt(2), rel=0.08)


def test_rows_near_a_dismissed_alert_are_normal_but_accident_labels_stay() -> None:
    from datetime import UTC, datetime

    from pipelines.telemetry import Accident
    from pipelines.training.train import TrainConfig, label_rows

    start = datetime(2024, 3, 1, 6, 0, tzinfo=UTC)
    accident = Accident("W-1", "kick", start, start + timedelta(minutes=30))
    times = datetime_to_ns(start) + np.arange(-7200, 3600, 60, dtype=np.int64) * NS
    cfg = TrainConfig()
    plain = label_rows(times, [accident], cfg)
    dismissed = start - timedelta(hours=1)  # inside the ignore zone before the onset
    onset = start  # inside the positive span: never overridden
    labels = label_rows(times, [accident], cfg, normals=[("W-1", dismissed), ("W-1", onset)])

    def at(t: datetime) -> int:
        return int(np.flatnonzero(times == datetime_to_ns(t))[0])

    for minutes in range(-5, 6):
        i = at(dismissed + timedelta(minutes=minutes))
        assert plain[i] is None and labels[i] == "normal"
    assert labels[at(dismissed + timedelta(minutes=6))] is None  # beyond ±5 min
    assert labels[at(onset)] == plain[at(onset)] == "kick"
    assert labels[at(onset - timedelta(minutes=5))] == "kick"
    assert label_rows(times, [accident], cfg, normals=[]) == plain


def test_a_known_precursor_is_labelled_as_the_accident_back_to_its_cap() -> None:
    from datetime import UTC, datetime

    from pipelines.telemetry import Accident
    from pipelines.training.train import TrainConfig, label_rows

    start = datetime(2026, 1, 1, 12, tzinfo=UTC)
    times = np.array(
        [datetime_to_ns(start + timedelta(minutes=m)) for m in range(-180, 40, 5)], np.int64
    )
    minutes = np.arange(-180, 40, 5)
    cfg = TrainConfig(label_lead_s=900.0, precursor_max_s=3600.0, ignore_before_s=7200.0)
    plain = Accident("W", "kick", start, start + timedelta(minutes=30))
    labels = label_rows(times, [plain], cfg)
    assert {m for m, lab in zip(minutes, labels, strict=True) if lab == "kick"} == set(
        range(-15, 31, 5)
    )
    early = Accident(
        "W", "kick", start, start + timedelta(minutes=30), start - timedelta(minutes=25)
    )
    labels = label_rows(times, [early], cfg)
    assert min(m for m, lab in zip(minutes, labels, strict=True) if lab == "kick") == -25
    very_early = Accident(
        "W", "washout", start, start + timedelta(minutes=30), start - timedelta(hours=3)
    )
    labels = label_rows(times, [very_early], cfg)
    assert min(m for m, lab in zip(minutes, labels, strict=True) if lab == "washout") == -60
    # before the labelled span: left out up to 2 h before the start, normal before that
    assert labels[list(minutes).index(-90)] is None
    assert labels[list(minutes).index(-125)] == "normal"


def test_precursor_starts_and_crew_reactions_come_from_the_simulators_manifest(tmp_path) -> None:
    from pipelines.formats.files import read_dataset
    from pipelines.simulate import simulate_fleet, with_precursors, write_fleet
    from pipelines.telemetry import Accident

    wells = simulate_fleet(1, hours=6, seed=5)
    write_fleet(wells, tmp_path, manifest=True)
    _, accidents = read_dataset(tmp_path)
    assert accidents and all(a.precursor_start is None for a in accidents)
    found = with_precursors(accidents, tmp_path)
    truth = {(a.well_id, a.type, a.start): a for a in wells[0].accidents}
    for acc in found:
        assert isinstance(acc, Accident)
        assert acc.precursor_start == truth[(acc.well_id, acc.type, acc.start)].precursor_start
        # and when the crew noticed, where the simulator knows
        assert acc.noticed == truth[(acc.well_id, acc.type, acc.start)].noticed


def test_a_model_of_two_members_holds_both_boosters_averaged_and_predicts_like_xgboost(
    seed_ensemble_model,
) -> None:
    model = seed_ensemble_model
    assert model.meta["training"]["config"]["members"] == 2
    assert model.booster.num_boosted_rounds() == 2 * 5
    rows = np.random.default_rng(0).normal(size=(20, len(model.spec.names())))
    probs = np.vstack([model.predict_proba(rows[i : i + 1]) for i in range(len(rows))])
    np.testing.assert_allclose(probs, model.booster.inplace_predict(rows), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(probs.sum(axis=1), 1.0, rtol=1e-6)


def test_a_precursor_head_learns_from_early_precursor_rows_against_normal_rows_only() -> None:
    from datetime import UTC, datetime

    from pipelines.telemetry import Accident
    from pipelines.training.train import TrainConfig, WellRows, head_labels, label_rows

    start = datetime(2026, 1, 1, 12, tzinfo=UTC)
    minutes = np.arange(-180, 40, 1)
    times = datetime_to_ns(start) + minutes * 60 * NS
    cfg = TrainConfig(head_ahead_s=300.0, head_back_s=1800.0, label_lead_s=900.0)
    kick = Accident("W", "kick", start, start + timedelta(minutes=30), start - timedelta(hours=1))
    losses = Accident("W", "lost_circulation", start + timedelta(hours=3))  # after the window
    accidents = [kick, losses]
    part = WellRows(
        "W",
        times,
        np.zeros((times.size, 1)),
        label_rows(times, accidents, cfg),
        np.zeros(times.size),
        [],
    )

    def positive(y: np.ndarray) -> set[int]:
        return set(minutes[y == 1].tolist())

    y = head_labels(part, accidents, "kick", cfg)
    # known precursor 60 min long: capped at 30 min back, ending 5 min before the start
    assert positive(y) == set(range(-30, -4))
    # the last minutes, the kick itself and the reaction after it: left out
    assert (y[(minutes >= -4) & (minutes <= 32)] == -1).all()
    assert (y[minutes >= 33] == 0).all()
    assert (y[minutes <= -125] == 0).all()  # normal drilling long before
    assert (y[(minutes > -120) & (minutes < -30)] == -1).all()  # the ignore zone stays out
    unknown = Accident("W", "kick", start, start + timedelta(minutes=30))
    assert positive(head_labels(part, [unknown], "kick", cfg)) == set(range(-15, -4))
    assert positive(head_labels(part, accidents, "lost_circulation", cfg)) == set()


def test_a_precursor_head_is_kept_when_it_warns_earlier_without_false_alarms() -> None:
    from datetime import UTC, datetime

    from pipelines.telemetry import Accident
    from pipelines.training.train import TrainConfig, WellRows, select_heads

    t0 = datetime(2026, 1, 1, tzinfo=UTC)
    times = datetime_to_ns(t0) + np.arange(10 * 2880) * 30 * NS  # 10 days, every 30 s
    hours = (times - times[0]) / 3.6e12
    starts = (30.0, 100.0, 170.0)
    classifier = np.zeros(times.size)
    early_head = np.zeros(times.size)
    noisy_head = np.zeros(times.size)
    for h in starts:
        classifier[(hours >= h) & (hours < h + 0.5)] = 0.9  # the onset only
        early_head[(hours >= h - 0.3) & (hours < h - 0.1)] = 0.8  # 18-6 min before
        noisy_head[(hours >= h - 0.3) & (hours < h - 0.1)] = 0.8
    noisy_head[(hours >= 200.0) & (hours < 200.2)] = 0.95  # fires on normal drilling
    accidents = [
        Accident("W", "kick", t0 + timedelta(hours=h), t0 + timedelta(hours=h + 0.5))
        for h in starts
    ]
    monitored = {"W": (t0, t0 + timedelta(days=10))}
    part = WellRows(
        "W", times, np.empty((times.size, 0)), [], np.zeros(times.size), [frozenset()] * times.size
    )
    probs = np.column_stack([1.0 - classifier, classifier])

    def select(head: np.ndarray) -> dict:
        return select_heads(
            [part], probs, ["normal", "kick"], {"kick": head}, accidents, monitored, TrainConfig()
        )

    report = select(early_head)
    assert report["kick"] == {"without": 3.0, "with": 4.5, "kept": True}
    report = select(noisy_head)
    # without a false alarm the threshold must clear the normal bump's 0.95: nothing caught
    assert report["kick"] == {"without": 3.0, "with": 0.0, "kept": False}


def test_the_trained_model_keeps_only_the_precursor_heads_it_reports_as_kept(small_model) -> None:
    report = small_model.meta["metrics"]["precursor_heads"]
    assert set(report) == set(small_model.classes) - {"normal"}
    assert set(small_model.heads) == {t for t, row in report.items() if row["kept"]}
    assert set(small_model.meta.get("heads", {})) == set(small_model.heads)
