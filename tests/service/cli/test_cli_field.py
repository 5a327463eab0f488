"""``drillwatch field`` and ``drillwatch evaluate`` on real-like wells: from files and from
the database, with the errors a user meets."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from factories import T0, make_batch

from models.artifact import load_model
from service.cli import main

PITS = ("TVA", "SPPA", "MFOP", "GASA")


def _write_wells(out: Path, n: int = 3) -> Path:
    out.mkdir(parents=True, exist_ok=True)
    for i in range(n):
        batch = make_batch(T0, n=5 * 720, channels=PITS, step_s=5.0, seed=10 + i)
        frame = batch.to_frame()
        frame.index.name = "time"
        frame.to_csv(out / f"REAL-{i}.csv", date_format="%Y-%m-%dT%H:%M:%SZ")
    (out / "accidents.csv").write_text("well,type,start,end\n")
    return out


def test_field_trains_from_files_and_the_new_version_evaluates_on_them(
    home: Path, tmp_path: Path, small_model, capsys: pytest.CaptureFixture[str]
) -> None:
    data = _write_wells(tmp_path / "wells")
    out = tmp_path / "with-field"
    code = main(
        [
            "field",
            "--data",
            str(data),
            "--model",
            str(small_model.path),
            "--version",
            "f-1",
            "--out",
            str(out),
            "--rounds",
            "10",
            "--per-type",
            "3",
        ]
    )
    assert code == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed["version"] == "f-1" and set(printed["thresholds"]) >= {"kick", "pack_off"}
    model = load_model(out)
    assert model.field_detector is not None and model.version == "f-1"
    code = main(
        ["evaluate", "--data", str(data), "--model", str(out), "--json", str(tmp_path / "m.json")]
    )
    assert code == 0
    tables = capsys.readouterr().out
    assert "== f-1" in tables and "== pit totalizer" in tables and "== rule baseline" in tables
    metrics = json.loads((tmp_path / "m.json").read_text())
    assert set(metrics) == {"f-1", "rule baseline", "pit totalizer"}


def test_field_and_evaluate_read_imported_wells_and_refuse_unknown_ones(
    home: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = _write_wells(tmp_path / "wells", n=1)
    assert main(["import", "telemetry", str(data / "REAL-0.csv")]) == 0
    capsys.readouterr()
    assert main(["evaluate", "--wells", "REAL-0,NOPE"]) == 2
    assert "no stored well NOPE" in capsys.readouterr().err
    assert main(["field", "--wells", "NOPE", "--version", "x"]) == 2
    assert "no stored well NOPE" in capsys.readouterr().err
    assert main(["field", "--data", str(tmp_path / "none"), "--version", "x"]) == 2
    assert "is not a directory" in capsys.readouterr().err


def test_evaluate_with_a_count_of_wells_still_means_simulated_held_out_sets() -> None:
    from service.cli.evaluate import _real_wells_asked

    assert not _real_wells_asked(["--seeds", "2", "--wells", "8"])
    assert not _real_wells_asked(["--wells=4"])
    assert _real_wells_asked(["--wells", "KICK-17,TSPP1"])
    assert _real_wells_asked(["--data", "dir"])
