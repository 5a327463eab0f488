"""Held-out evaluation through the live path, and what other thresholds would trade."""

import csv
import json

import pytest

from pipelines.backtest import POINT_KEYS, heldout_metrics


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
