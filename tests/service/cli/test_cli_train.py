"""``drillwatch train`` and ``drillwatch calibrate``: options, and a re-calibrated model
written through its typed metadata."""

from pathlib import Path

import pytest

from service.cli import main


def test_train_help_states_the_budget_and_margin_the_training_config_uses(
    capsys: pytest.CaptureFixture[str],
) -> None:
    from pipelines.training.train import TrainConfig

    with pytest.raises(SystemExit) as exit_:
        main(["train", "--help"])
    assert exit_.value.code == 0
    help_text = " ".join(capsys.readouterr().out.split())  # argparse wraps lines
    cfg = TrainConfig()
    assert f"(default {cfg.false_alarm_budget_per_day:g})" in help_text
    assert f"to {cfg.calibration_margin:g} x this" in help_text


def test_train_heads_take_all_none_or_a_list_and_refuse_an_empty_name(
    capsys: pytest.CaptureFixture[str],
) -> None:
    from models.channels import ACCIDENT_TYPES
    from pipelines.training.train import TrainConfig
    from service.cli.train import head_types

    assert head_types("all") == tuple(ACCIDENT_TYPES) == TrainConfig().heads
    assert head_types("none") == ()
    assert head_types("pack_off, kick") == ("pack_off", "kick")
    with pytest.raises(SystemExit) as exit_:
        main(["train", "--data", "anywhere", "--heads", "kick,,washout"])
    assert exit_.value.code == 2
    assert "--heads: 'kick,,washout': an empty type name" in capsys.readouterr().err


def test_calibrate_writes_a_new_version_with_thresholds_from_validation_wells(
    small_model, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from models.artifact import META_FILE, load_model
    from models.metadata import ModelMetadata

    out = tmp_path / "recalibrated"
    before = (small_model.path / META_FILE).read_text()
    args = ["--seeds", "7", "--wells", "1", "--hours", "6", "--version", "test-recal"]
    code = main(["calibrate", "--model", str(small_model.path), *args, "--out", str(out)])
    assert code == 0
    printed = capsys.readouterr().out
    assert "== validation wells, test-small thresholds" in printed
    assert "wrote test-recal to" in printed
    model = load_model(out)  # the trees are the same files, sha256 checked
    assert model.version == "test-recal"
    cal = model.meta["calibration"]
    assert cal["seeds"] == [7] and cal["wells"] == ["SHIFT-7-00", "SIM-7-00"]
    assert cal["command"].startswith(f"drillwatch calibrate --model {small_model.path}")
    assert cal["previous"]["version"] == "test-small"
    assert cal["previous"]["thresholds"] == small_model.thresholds
    assert cal["false_alarms"] == 0
    assert set(model.thresholds) == set(small_model.thresholds)
    assert "heldout" not in model.meta.get("metrics", {})
    # the validation figures the models page shows are the new thresholds' on those wells;
    # training's out-of-fold ones stay beside the old thresholds
    validation = model.meta["metrics"]["validation"]
    assert validation["false_alarms"] == 0 and "seeds 7" in validation["method"]
    assert cal["previous"]["validation"] == small_model.meta["metrics"]["validation"]
    # the source model is left as it was, and its calibration wells are now off-limits
    assert (small_model.path / META_FILE).read_text() == before
    from pipelines.training.backtest import heldout_metrics

    with pytest.raises(ValueError, match="used to train the model"):
        heldout_metrics(model, seeds=(7,), wells=1, hours=1)
    # the paper's detector of the same model on the same wells, in place: its own record,
    # the classifier's kept
    more = ["--seeds", "7", "--wells", "1", "--hours", "6", "--detector", "analogue"]
    code = main(
        ["calibrate", "--model", str(out), *more, "--version", "test-recal2", "--out", str(out)]
    )
    assert code == 0
    both = load_model(out)
    assert both.version == "test-recal2"
    assert both.meta["calibration"] == cal
    assert (
        both.meta["calibration_analogue"]["previous"]["thresholds"]
        == (small_model.meta["pairwise"]["thresholds"])
    )
    assert both.thresholds == model.thresholds  # the classifier's, untouched
    # written through the typed metadata: it reads back as it was written
    metadata = ModelMetadata.load(out)
    assert metadata.to_json() == (out / META_FILE).read_text()
    assert metadata.calibration_analogue is not None
    assert metadata.calibration_analogue.previous.version == "test-recal"
    assert "heldout_analogue" not in metadata.metrics
    assert "seeds 7" in metadata.metrics["validation_analogue"]["method"]


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--seeds", "2-4"], "held-out seeds"),
        (["--seeds", "seven"], "--seeds 'seven': expected seeds"),
        (["--seeds", "7", "--out", "."], "exists"),
        (["--seeds", "7", "--model", "README.md"], "no metadata.json there"),
    ],
)
def test_calibrate_refuses_held_out_seeds_bad_seeds_and_an_existing_directory(
    small_model, extra: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["calibrate", "--model", str(small_model.path), "--version", "x", *extra])
    assert code == 2
    assert message in capsys.readouterr().err


def test_train_learns_from_imported_wells_and_their_recorded_accidents(
    home: Path, tmp_path: Path, sim_wells, capsys: pytest.CaptureFixture[str]
) -> None:
    import json

    from models.artifact import load_model
    from pipelines.simulate import write_fleet

    sim_dir = tmp_path / "fleet"
    write_fleet(sim_wells, sim_dir)

    files = sorted(p for p in sim_dir.glob("*.csv") if p.name != "accidents.csv")
    for path in files:
        assert main(["import", "telemetry", str(path)]) == 0
    assert main(["import", "accidents", str(sim_dir / "accidents.csv")]) == 0
    capsys.readouterr()
    wells = ",".join(p.stem for p in files)
    code = main(
        [
            "train",
            "--wells",
            wells,
            "--version",
            "from-db",
            "--trees",
            "5",
            "--folds",
            "2",
            "--heads",
            "none",
        ]
    )
    assert code == 0, capsys.readouterr().err
    printed = json.loads(capsys.readouterr().out)
    model = load_model(Path(printed["path"]))
    assert model.version == "from-db"
    assert model.meta["training"]["source"] == f"imported wells {wells}"
    assert main(["train", "--wells", "NOPE", "--version", "x"]) == 2
    assert "no stored well NOPE" in capsys.readouterr().err
    assert main(["train", "--version", "x"]) == 2
    assert "give --data DIR or imported --wells" in capsys.readouterr().err
