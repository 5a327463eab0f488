import json
import shutil
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from models.artifact import BUNDLED_DIR, META_FILE, MODEL_FILE, ModelError, load_model


def test_a_trained_model_carries_its_specification_and_metrics(small_model) -> None:
    meta = json.loads((small_model.path / META_FILE).read_text())
    assert meta["features"] == small_model.spec.names()
    assert meta["classes"][0] == "normal"
    assert set(meta["thresholds"]) == set(meta["classes"][1:])
    assert meta["training"]["validation_wells"]
    assert "recall" in meta["metrics"]["validation"]
    assert len(meta["sha256"]) == 64


def test_probabilities_sum_to_one_even_with_missing_features(small_model) -> None:
    rows = np.full((3, len(small_model.spec.names())), np.nan)
    p = small_model.predict_proba(rows)
    assert p.shape == (3, len(small_model.classes))
    np.testing.assert_allclose(p.sum(axis=1), 1.0, rtol=1e-6)


def test_a_tampered_model_file_is_refused(small_model, tmp_path: Path) -> None:
    copy = tmp_path / "copy"
    shutil.copytree(small_model.path, copy)
    with (copy / MODEL_FILE).open("a") as fh:
        fh.write(" ")
    with pytest.raises(ModelError, match="sha256"):
        load_model(copy)


def test_the_bundled_model_loads_and_was_trained_on_every_accident_type() -> None:
    model = load_model(BUNDLED_DIR)
    assert set(model.classes) == {
        "normal",
        "stuck_pipe",
        "pack_off",
        "lost_circulation",
        "kick",
        "washout",
        "twist_off",
        "bit_balling",
    }
    assert (BUNDLED_DIR / MODEL_FILE).read_bytes()[:1] == b"{"  # XGBoost UBJSON, not a pickle


def test_a_tampered_analogue_database_is_refused(small_model, tmp_path: Path) -> None:
    copy = tmp_path / "copy"
    shutil.copytree(small_model.path, copy)
    with (copy / "analogues.json").open("a") as fh:
        fh.write(" ")
    with pytest.raises(ModelError, match="sha256"):
        load_model(copy)


def test_a_model_without_its_analogue_files_still_loads_without_analogues(
    small_model, tmp_path: Path
) -> None:
    copy = tmp_path / "copy"
    shutil.copytree(small_model.path, copy)
    (copy / "analogues.npz").unlink()
    model = load_model(copy)
    assert model.analogues is None
    assert model.classes == small_model.classes


def test_the_bundled_model_ships_analogues_and_held_out_metrics() -> None:
    model = load_model(BUNDLED_DIR)
    assert model.analogues is not None and len(model.analogues) > 1000
    assert "recall" in model.meta["metrics"]["heldout"]["all"]
    size = sum(p.stat().st_size for p in BUNDLED_DIR.iterdir())
    assert size < 52 * 1024 * 1024  # 144 training wells: ~33,000 analogue windows, 47 MB


def test_a_few_rows_are_predicted_by_the_numpy_trees_exactly_as_by_xgboost(small_model) -> None:
    from models.trees import NUMPY_TREES_MAX_ROWS

    rng = np.random.default_rng(3)
    analogues = small_model.analogues
    assert analogues is not None
    rows = analogues.vectors[:40].astype(np.float64) * analogues.scale + analogues.mean
    rows[rng.random(rows.shape) < 0.2] = np.nan
    assert rows.shape[0] <= NUMPY_TREES_MAX_ROWS
    expected = small_model.booster.inplace_predict(rows, missing=np.nan)
    np.testing.assert_allclose(small_model.predict_proba(rows), expected, rtol=1e-5, atol=1e-6)
    for row in rows[:5]:  # one row at a time, as the live path decides
        np.testing.assert_allclose(
            small_model.predict_proba(row[None, :])[0],
            small_model.booster.inplace_predict(row[None, :], missing=np.nan)[0],
            rtol=1e-5,
            atol=1e-6,
        )
    assert small_model._trees is not None  # the numpy path was taken


def test_verdict_windows_of_a_model_shipped_without_analogues_are_searched_by_its_gain(
    small_model,
) -> None:
    from dataclasses import replace
    from datetime import UTC, datetime

    from models.analogues import feature_digest
    from service import verdicts

    assert small_model.analogue_weights is not None
    bare = replace(small_model, analogues=None)
    rows = small_model.analogues.vectors[:3].astype(np.float64) * small_model.analogues.scale
    cases = [
        {
            "feature_sha256": feature_digest(small_model.spec.names()),
            "features": (row + small_model.analogues.mean).astype(np.float32).tobytes(),
            "well_id": "W1",
            "time": datetime(2026, 1, 1, 0, i, tzinfo=UTC),
            "type": "kick",
            "time_to_start_s": 0.0,
            "rig_state": "rotary_drilling",
            "source": "confirmed",
        }
        for i, row in enumerate(rows)
    ]
    assert verdicts.apply_cases(bare, 7, cases) == 3
    assert bare.analogues is not None and bare.analogues.weights is not None
    expected = small_model.analogues.weights  # the same gain weights, normalised alike
    np.testing.assert_allclose(bare.analogues.weights, expected)


def test_combining_heads_raises_only_the_headed_types_to_their_head_scores() -> None:
    from models.artifact import combine_heads

    rng = np.random.default_rng(3)
    probs = rng.dirichlet(np.ones(3), size=6)
    head = rng.uniform(size=6)
    out = combine_heads(probs, ["normal", "kick", "washout"], {"kick": head})
    expected = probs.copy()
    expected[:, 1] = np.where(head > probs[:, 1], head, probs[:, 1])
    np.testing.assert_array_equal(out, expected)
    assert not np.shares_memory(out, probs)


def _binary_head(n_features: int) -> tuple[Any, np.ndarray]:
    """A tiny real binary booster that splits on feature 0 only, and the rows it saw."""
    import xgboost as xgb

    rng = np.random.default_rng(4)
    rows = rng.normal(size=(300, n_features))
    data = xgb.DMatrix(rows, label=(rows[:, 0] > 0).astype(float))
    params = {"objective": "binary:logistic", "max_depth": 2, "colsample_bytree": 1.0}
    params["interaction_constraints"] = "[[0]]"
    booster = xgb.train({**params, "seed": 0}, data, num_boost_round=8)
    return booster, rows


def test_a_precursor_head_is_saved_checked_loaded_and_scores_with_the_classifier(
    small_model, tmp_path: Path
) -> None:
    from models.artifact import combine_heads, head_file, save_model

    head, rows = _binary_head(len(small_model.spec.names()))
    kind = small_model.classes[1]
    out = save_model(small_model.booster, small_model.meta, tmp_path / "m", heads={kind: head})
    model = load_model(out)
    assert set(model.heads) == {kind}
    assert len(model.meta["heads"][kind]["sha256"]) == 64
    for batch in (rows[:3], rows[:100]):  # the live path's numpy trees, then XGBoost
        expected = combine_heads(
            model.predict_proba(batch), model.classes, {kind: head.inplace_predict(batch)}
        )
        np.testing.assert_allclose(model.scores(batch), expected, rtol=1e-6, atol=1e-7)
    # the explanation of a row the head scores higher than the classifier is the head's
    row = rows[0].copy()
    row[0] = 3.0
    assert model.head_scores(row[None])[kind][0] > model.predict_proba(row[None])[0, 1]
    assert [c["feature"] for c in model.contributions(row, 1)] == [small_model.spec.names()[0]]
    with (out / head_file(kind)).open("ab") as fh:
        fh.write(b" ")
    with pytest.raises(ModelError, match="sha256"):
        load_model(out)
    (out / head_file(kind)).unlink()
    with pytest.raises(ModelError, match="precursor head file missing"):
        load_model(out)
    again = save_model(small_model.booster, model.meta, tmp_path / "m")  # saved without heads
    assert not list(again.glob(head_file("*"))) and load_model(again).heads == {}


def test_a_precursor_head_of_a_type_the_model_does_not_know_is_refused(
    small_model, tmp_path: Path
) -> None:
    from models.artifact import save_model

    head, _ = _binary_head(len(small_model.spec.names()))
    out = save_model(small_model.booster, small_model.meta, tmp_path / "m", heads={"gas": head})
    with pytest.raises(ModelError, match="precursor head 'gas' is not a class"):
        load_model(out)


# -- metadata.json, typed --------------------------------------------------------------------


def test_the_bundled_metadata_loads_typed_and_writes_back_byte_for_byte(tmp_path: Path) -> None:
    from models.metadata import ModelMetadata

    metadata = ModelMetadata.load(BUNDLED_DIR)
    assert metadata.version == load_model(BUNDLED_DIR).version
    assert metadata.pairwise is not None and metadata.pairwise.thresholds
    assert metadata.calibration is not None and metadata.calibration.detector == "classifier"
    assert metadata.heads is not None and all(len(h.sha256) == 64 for h in metadata.heads.values())
    text = (BUNDLED_DIR / META_FILE).read_text()
    assert metadata.to_json() == text
    metadata.save(tmp_path)
    assert (tmp_path / META_FILE).read_text() == text
    assert ModelMetadata.load(tmp_path) == metadata


def test_a_saved_model_loads_with_the_same_metadata_and_unknown_keys_are_kept(
    small_model, tmp_path: Path
) -> None:
    from models.artifact import save_model
    from models.metadata import ModelMetadata

    assert small_model.pairwise is not None
    meta = {**small_model.meta, "reviewed_by": {"who": "dsv"}}
    out = save_model(
        small_model.booster,
        meta,
        tmp_path / "m",
        analogues=small_model.analogues,
        pairwise=small_model.pairwise.booster,
        heads=small_model.heads,
    )
    model = load_model(out)  # sha256 of every file checked
    assert model.meta.pop("reviewed_by") == {"who": "dsv"}
    digests = ("analogues", "pairwise", "heads", "sha256")  # of the files just written
    assert {k: v for k, v in model.meta.items() if k not in digests} == {
        k: v for k, v in small_model.meta.items() if k not in digests
    }
    pairwise = model.metadata.pairwise
    assert pairwise is not None and pairwise.columns == small_model.pairwise.columns
    assert pairwise.thresholds == small_model.meta["pairwise"]["thresholds"]
    assert set(model.heads) == set(small_model.heads)
    metadata = ModelMetadata.load(out)
    assert metadata.to_json() == (out / META_FILE).read_text()
    assert metadata.model_extra == {"reviewed_by": {"who": "dsv"}}


def test_recording_held_out_metrics_and_a_calibration_keeps_one_record_per_detector() -> None:
    from models.metadata import ModelMetadata

    metadata = ModelMetadata.load(BUNDLED_DIR)
    before = metadata.model_copy(deep=True)
    metadata.record_heldout("analogue", {"all": {"recall": 0.5}, "command": "x"})
    assert metadata.metrics["heldout_analogue"]["all"]["recall"] == 0.5
    assert metadata.metrics["heldout"] == before.metrics["heldout"]
    calibration = metadata.record_calibration(
        version="v-next",
        detector="analogue",
        thresholds={"kick": 0.912345},
        validation={"recall": 0.7, "method": "replay"},
        seeds=[7],
        wells=["SIM-7-00"],
        budget_per_day=0.1,
        mistype_share=0.3,
        days_outside_windows=1.5,
        false_alarms=0,
        command="drillwatch calibrate ...",
    )
    assert calibration.previous.version == before.version
    assert calibration.previous.thresholds == before.thresholds_of("analogue")
    assert calibration.previous.validation == before.metrics["validation_analogue"]
    assert metadata.version == "v-next"
    assert metadata.thresholds_of("analogue") == {"kick": 0.9123}
    assert metadata.thresholds == before.thresholds  # the classifier's, untouched
    assert metadata.calibration == before.calibration
    assert "heldout_analogue" not in metadata.metrics and "heldout" in metadata.metrics
    assert metadata.metrics["validation_analogue"] == {"recall": 0.7, "method": "replay"}


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"format": "other/1"}, "format 'other/1' is not 'drillwatch-model/1'"),
        ({"classes": ["kick"]}, "classes must include 'normal'"),
        ({"detector": "rules"}, "detector: Input should be 'classifier' or 'analogue'"),
        ({"thresholds": {"kick": "high"}}, "thresholds.kick: Input should be a valid number"),
        ({"version": None}, "version: Input should be a valid string"),
    ],
)
def test_malformed_metadata_is_refused_naming_the_field(
    tmp_path: Path, change: dict[str, Any], message: str
) -> None:
    meta = json.loads((BUNDLED_DIR / META_FILE).read_text())
    (tmp_path / META_FILE).write_text(json.dumps({**meta, **change}))
    with pytest.raises(ModelError, match=message.replace(".", r"\.").replace("(", r"\(")):
        load_model(tmp_path)
