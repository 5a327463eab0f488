"""Held-out evaluation through the live path, and what other thresholds would trade."""

import csv
import json

import pytest

from pipelines.training.backtest import POINT_KEYS, heldout_metrics


def test_operating_points_replay_the_same_decisions_through_the_same_alert_logic(
    small_model,
) -> None:
    out = heldout_metrics(
        small_model, seeds=(3,), wells=2, hours=8, shifted=False, offsets=(0.0, -0.2, 0.3)
    )
    same, lower, higher = out["operating_points"]
    # offset 0 is exactly what the live path alerted
    for key in POINT_KEYS:
        assert same[key] == pytest.approx(out["all"][key])
    # lower thresholds never find fewer accidents; higher ones never raise more false alarms
    assert lower["recall"] >= same["recall"] >= higher["recall"]
    assert (lower["false_alarms_per_day"] or 0) >= (higher["false_alarms_per_day"] or 0)


def test_the_rule_baseline_has_no_operating_points() -> None:
    out = heldout_metrics(None, seeds=(3,), wells=1, hours=4, shifted=False, offsets=(0.0,))
    assert "operating_points" not in out


def test_the_held_out_report_draws_every_set_pooled(small_model, tmp_path) -> None:
    out = heldout_metrics(small_model, seeds=(3,), wells=1, hours=6, report_dir=tmp_path)
    names = {p.name for p in tmp_path.iterdir()}
    assert {"alerts.csv", "metrics.json", "timeline_SIM-3-00.png", "timeline_SHIFT-3-00.png"} <= (
        names
    )
    written = json.loads((tmp_path / "metrics.json").read_text())
    assert written["all"] == json.loads(json.dumps(out["all"]))
    with (tmp_path / "alerts.csv").open() as fh:
        rows = list(csv.DictReader(fh))
    assert {r["well"] for r in rows} <= {"SIM-3-00", "SHIFT-3-00"}


def test_validation_calibration_spends_no_more_false_alarms_than_the_budget_allows(
    small_model,
) -> None:
    from pipelines.training.backtest import calibrate_on_validation

    out = calibrate_on_validation(small_model, seeds=(7,), wells=1, hours=6, budget_per_day=0.1)
    assert set(out["thresholds"]) == set(small_model.classes[1:])
    assert out["wells"] == ["SHIFT-7-00", "SIM-7-00"]
    # 0.1 per 24 h over half a day of validation wells rounds down to none at all
    days = out["after"]["monitored_days_outside_windows"]
    assert 0 < days < 1
    assert out["after"]["false_alarms"] == 0
    # "before" is the model's own thresholds on the same replay
    assert out["before"]["accidents"] == out["after"]["accidents"]


@pytest.mark.parametrize("seeds", [(2,), (7, 3)])
def test_validation_calibration_refuses_the_held_out_seeds(small_model, seeds) -> None:
    from pipelines.training.backtest import calibrate_on_validation

    with pytest.raises(ValueError, match="held-out seeds"):
        calibrate_on_validation(small_model, seeds=seeds, wells=1, hours=1)


def test_seeds_are_given_as_a_list_or_a_range() -> None:
    from pipelines.training.backtest import seeds_arg

    assert seeds_arg("7,8,9") == [7, 8, 9]
    assert seeds_arg("7-10,12") == [7, 8, 9, 10, 12]
    for bad in ("seven", "9-7", "7,", ""):
        with pytest.raises(ValueError, match="expected seeds"):
            seeds_arg(bad)
