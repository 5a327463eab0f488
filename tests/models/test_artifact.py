import json
import shutil
from pathlib import Path

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
    assert size < 24 * 1024 * 1024  # 48 training wells: ~12,000 analogue windows, 21 MB


def test_a_few_rows_are_predicted_by_the_numpy_trees_exactly_as_by_xgboost(small_model) -> None:
    from models.artifact import NUMPY_TREES_MAX_ROWS

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
    from pipelines import verdicts

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
