"""The drillwatch command line as a user runs it: import history, backtest, refusals."""

import csv
import json
import os
from pathlib import Path

import pytest

from pipelines.cli import main
from pipelines.simulate import simulate_fleet, write_fleet


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    from service.settings import get_settings

    monkeypatch.setenv("DRILLWATCH_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("DATABASE_URL", raising=False)
    get_settings.cache_clear()
    yield tmp_path / "home"
    get_settings.cache_clear()


@pytest.fixture(scope="module")
def sim_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("sim")
    write_fleet(simulate_fleet(2, hours=6, seed=55), out)
    return out


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


def test_importing_the_same_file_twice_stores_it_once(
    home: Path, sim_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = next(sim_dir.glob("SIM-*.csv"))
    main(["import", "telemetry", str(path), "--well", "W1"])
    capsys.readouterr()
    main(["import", "telemetry", str(path), "--well", "W1"])
    assert ", 0 stored," in capsys.readouterr().out


def test_a_malformed_file_is_refused_with_its_line_and_nothing_is_stored(
    home: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("time,HKLA\n2026-01-01T00:00:00Z,1\n2026-01-01T00:00:01Z,heavy\n")
    assert main(["import", "telemetry", str(bad), "--well", "W1"]) == 2
    assert "line 3" in capsys.readouterr().err
    assert main(["backtest", "--wells", "W1", "--out", str(tmp_path / "o")]) == 2
    assert "unknown wells" in capsys.readouterr().err


def test_an_accident_type_that_is_not_a_name_is_refused(
    home: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "acc.csv"
    bad.write_text("well,type,start,end\nW1,Meteor Strike!,2026-01-01T00:00:00Z,\n")
    assert main(["import", "accidents", str(bad)]) == 2
    assert "Meteor Strike!" in capsys.readouterr().err


VOLVE = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "volve"


@pytest.fixture
def volve_gwd() -> Path:
    path = VOLVE / "F-9_GwdTime.xml"
    if not path.exists():
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"{path} is missing")
        pytest.skip(f"{path} is missing")
    return path


def test_a_real_volve_witsml_log_imports_exports_to_las_and_back_unchanged(
    home: Path, volve_gwd: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import numpy as np
    import pandas as pd

    assert main(["import", "telemetry", str(volve_gwd)]) == 0
    assert "well NO_15_9-F-9_A: 8084 samples read" in capsys.readouterr().out
    las = tmp_path / "volve.las"
    assert main(["export", "--well", "NO_15_9-F-9_A", "--out", str(las)]) == 0
    assert main(["import", "telemetry", str(las), "--well", "VOLVE-COPY"]) == 0
    for well, name in (("NO_15_9-F-9_A", "a.csv"), ("VOLVE-COPY", "b.csv")):
        assert main(["export", "--well", well, "--out", str(tmp_path / name)]) == 0
    a = pd.read_csv(tmp_path / "a.csv", index_col="time")
    b = pd.read_csv(tmp_path / "b.csv", index_col="time")
    b.columns = [{c.upper(): c for c in a.columns}.get(c, c) for c in b.columns]  # LAS is upper
    assert list(a.index) == list(b.index)
    for column in ("HKLA", "RPMA", "MFIA", "SPPA", "TQA", "WOBA", "DBTM"):
        np.testing.assert_allclose(b[column], a[column], rtol=1e-9, equal_nan=True)
    assert 300 < a["HKLA"].median() < 1500  # hundreds of kN
    assert a["RPMA"].between(0, 200).all()
    assert a["MFIA"].max() > 1000  # thousands of L/min
    assert a["SPPA"].max() > 1000  # thousands of kPa
    out = tmp_path / "bt"
    assert main(["backtest", "--wells", "NO_15_9-F-9_A", "--out", str(out)]) == 0
    assert (out / "timeline_NO_15_9-F-9_A.png").exists()


def test_a_truncated_witsml_file_is_refused_with_its_line(
    home: Path, volve_gwd: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text = volve_gwd.read_text()
    bad = tmp_path / "truncated.xml"
    bad.write_text(text[: len(text) // 2])
    assert main(["import", "telemetry", str(bad), "--well", "T1"]) == 2
    assert "line" in capsys.readouterr().err


@pytest.mark.parametrize("command", [["simulate"], ["evaluate"], ["features", "select"]])
def test_commands_with_their_own_options_show_their_help(
    command: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    try:
        code = main([*command, "--help"])
    except SystemExit as exit_:
        code = exit_.code
    assert code == 0
    assert f"usage: drillwatch {' '.join(command)}" in capsys.readouterr().out
