"""The field detector: trained on real-like background with signatures laid over it, carried
by a model, decided on the live path with its evidence."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from factories import T0, make_batch, to_ns

from models.artifact import load_model
from models.field import FieldDetector, onto
from pipelines.live.streaming import StreamEngine
from pipelines.telemetry import TelemetryBatch, chunks
from pipelines.training.field import GRID, FieldConfig, labels_at, train_field
from pipelines.training.inject import kick

NS = 1_000_000_000
PITS = ("TVA", "SPPA", "MFOP", "GASA")


def _well(seed: int, hours: float = 8.0) -> TelemetryBatch:
    return make_batch(T0, n=int(hours * 720), channels=PITS, step_s=5.0, seed=seed)


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory, small_model) -> tuple:
    wells = {f"REAL-{i}": _well(i) for i in range(3)}
    cfg = FieldConfig(per_type=6, check_per_type=3, transfers=4, rounds=20, budget_per_day=1.0)
    boosters, thresholds, summary = train_field((wells, []), None, cfg, folds=3)
    out = tmp_path_factory.mktemp("field") / "model"
    from models.artifact import attach_field

    attach_field(
        small_model,
        FieldDetector(boosters, thresholds),
        out,
        version="small-field",
        training=summary,
    )
    return boosters, thresholds, summary, load_model(out)


def test_the_mapping_sends_the_field_threshold_onto_the_classifiers() -> None:
    p = np.array([0.0, 0.45, 0.9, 0.95, 1.0])
    mapped = onto(p, 0.9, 0.6)
    np.testing.assert_allclose(mapped, [0.0, 0.3, 0.6, 0.8, 1.0])
    assert np.all(np.diff(mapped) > 0)


def test_rows_before_the_first_sign_are_left_out_and_the_accident_labelled() -> None:
    batch = _well(5)
    done = kick(batch, to_ns(T0) + 4 * 3600 * NS, "W", np.random.default_rng(0))
    t = batch.times_ns[::120]
    labels = labels_at(t, [done.accident])
    onset = to_ns(done.accident.precursor_start)
    assert all(
        label == "kick"
        for label, ti in zip(labels, t, strict=True)
        if onset <= ti <= to_ns(done.accident.end)
    )
    assert any(label is None for label in labels)
    assert labels[0] == "normal"


def test_training_gives_a_booster_per_type_the_wells_can_show_and_grid_thresholds(trained) -> None:
    boosters, thresholds, summary, _ = trained
    # pits, pressure, paddle and gas: kicks, losses and pack-offs show; a stuck pipe cannot
    assert sorted(boosters) == ["kick", "lost_circulation", "pack_off"]
    assert set(thresholds) >= set(boosters) and all(v in GRID for v in thresholds.values())
    assert summary["real_wells"] == ["REAL-0", "REAL-1", "REAL-2"]
    assert summary["out_of_fold"]["grid"]["kick"]["0.5"]["injected"] == 9


def test_a_model_carries_its_field_detector_through_save_and_load(trained) -> None:
    boosters, thresholds, _, model = trained
    assert model.version == "small-field"
    assert model.field_detector is not None
    assert model.field_detector.thresholds == {t: thresholds[t] for t in boosters}
    assert model.metadata.field is not None and model.metadata.field.training["folds"]


def test_the_live_path_decides_field_types_from_the_signs_and_says_why(trained) -> None:
    *_, model = trained
    batch = _well(9, hours=5.0)
    done = kick(batch, to_ns(T0) + 3 * 3600 * NS, "W", np.random.default_rng(3))
    engine = StreamEngine(model)
    alerts = [a for part in chunks(done.batch, 60.0) for a in engine.feed("W", part).alerts]
    decisions = engine.feed("W", TelemetryBatch(np.empty(0, np.int64), {})).decisions
    assert decisions == []
    for alert in alerts:
        assert isinstance(alert.evidence, list)
    kicks = [a for a in alerts if a.type == "kick"]
    assert kicks, "a kick of this size raises a kick alert"
    assert any("pit" in e for e in kicks[0].evidence), kicks[0].evidence
    assert to_ns(kicks[0].time) >= to_ns(done.accident.precursor_start)


def test_a_model_without_field_detector_decides_as_before(small_model) -> None:
    batch = make_batch(T0, n=1200, channels=("HKLA", "TQA", "SPPA", "MFIA"), seed=1)
    engine = StreamEngine(small_model)
    result = engine.feed("W", batch)
    assert small_model.field_detector is None
    assert all(a.evidence == [] for a in result.alerts)
    rows = np.zeros((1, len(small_model.spec.names())))
    np.testing.assert_array_equal(small_model.scores(rows), small_model.scores(rows, None))


def test_sign_rows_must_have_every_sign_column(trained) -> None:
    *_, model = trained
    with pytest.raises(ValueError, match="columns"):
        model.field_detector.predict(np.zeros((2, 3)))


def test_an_attached_model_keeps_the_classifier_files_byte_for_byte(trained, small_model) -> None:
    *_, model = trained
    for name in ("model.ubj",):
        assert (Path(model.path) / name).read_bytes() == (
            Path(small_model.path) / name
        ).read_bytes()


def _row(fa: int, caught: int, events: int = 10) -> dict:
    return {
        "false_alarms": fa,
        "real_detected": 0,
        "real_accidents": 0,
        "injected_detected": caught,
        "injected": events,
    }


def test_the_budget_buys_accidents_caught_and_a_type_with_no_evidence_stays_quietest() -> None:
    from pipelines.training.field import spend_budget

    # kick: every step down catches more, the last two cost a false alarm each
    kick = {str(g): _row(fa=max(0, 3 - i), caught=len(GRID) - i) for i, g in enumerate(GRID)}
    # loss: nothing caught anywhere (no held-out well could show it), never a false alarm
    loss = {str(g): _row(fa=0, caught=0) for g in GRID}
    table = {"kick": kick, "lost_circulation": loss}
    chosen = spend_budget(table, allowed=1.0, types=["kick", "lost_circulation"])
    assert chosen["lost_circulation"] == GRID[-1]
    assert chosen["kick"] == GRID[2]  # the lowest threshold costing at most one false alarm
    assert spend_budget(table, allowed=0.0, types=["kick"])["kick"] == GRID[3]
