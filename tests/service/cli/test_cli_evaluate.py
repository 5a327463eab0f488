"""``drillwatch backtest`` and ``drillwatch evaluate``: stored or simulated wells replayed
through the live path."""

import csv
import json
from pathlib import Path

import pytest

from service.cli import main


def test_imported_history_can_be_backtested_into_alerts_metrics_and_pictures(
    home: Path, sim_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    wells = sorted(p.stem for p in sim_dir.glob("SIM-*.csv"))
    for well in wells:
        assert main(["import", "telemetry", str(sim_dir / f"{well}.csv"), "--well", well]) == 0
    assert main(["import", "accidents", str(sim_dir / "accidents.csv")]) == 0
    out = tmp_path / "bt"
    assert main(["backtest", "--wells", ",".join(wells), "--out", str(out)]) == 0
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["wells"] == wells
    assert "false_alarms_per_day" in metrics and "per_type" in metrics
    with (out / "alerts.csv").open() as fh:
        assert next(csv.reader(fh)) == ["well", "time", "type", "probability"]
    for well in wells:
        assert (out / f"timeline_{well}.png").stat().st_size > 10_000
    capsys.readouterr()


def test_evaluate_takes_seed_ranges_and_refuses_a_malformed_list(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["evaluate", "--seeds", "3-3", "--wells", "1", "--hours", "1", "--no-shifted"]) == 0
    assert "== fleet-3 (rule baseline)" in capsys.readouterr().out
    with pytest.raises(SystemExit) as exit_:
        main(["evaluate", "--seeds", "2-x"])
    assert exit_.value.code == 2
    assert "--seeds '2-x': expected seeds like 7,8,9 or 7-16" in capsys.readouterr().err
