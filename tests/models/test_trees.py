"""The numpy tree evaluator gives XGBoost's own predictions, row by row and in bulk."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import xgboost as xgb

from models.trees import TreeEnsemble, average_boosters

BUNDLED_MODEL = Path(__file__).resolve().parents[2] / "models" / "bundled" / "model.ubj"
N_FEATURES = 20
TOLERANCE = {"rtol": 1e-5, "atol": 1e-6}


def _assert_rows_equal_xgboost(
    ensemble: TreeEnsemble, booster: xgb.Booster, rows: np.ndarray, singles: int
) -> None:
    """All rows at once, then the first ``singles`` one at a time (as the live path)."""
    np.testing.assert_allclose(
        ensemble.predict(rows), booster.inplace_predict(rows, missing=np.nan), **TOLERANCE
    )
    for i in range(singles):
        row = rows[i : i + 1]
        np.testing.assert_allclose(
            ensemble.predict(row), booster.inplace_predict(row, missing=np.nan), **TOLERANCE
        )


def _features(seed: int, n_rows: int = 600) -> np.ndarray:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n_rows, N_FEATURES))
    x[rng.random(x.shape) < 0.2] = np.nan
    return x


def _train(params: dict, x: np.ndarray, y: np.ndarray, rounds: int) -> xgb.Booster:
    return xgb.train({"nthread": 1, "max_depth": 4, **params}, xgb.DMatrix(x, label=y), rounds)


@pytest.fixture(scope="module")
def multiclass() -> xgb.Booster:
    x = _features(1)
    # Labels depend on the features and on missingness, so trees split both ways on NaN.
    y = (np.nan_to_num(x[:, 0], nan=2.0) > 0).astype(int) + 2 * np.isnan(x[:, 1]).astype(int)
    return _train({"objective": "multi:softprob", "num_class": 4}, x, y, 30)


@pytest.fixture(scope="module")
def binary() -> xgb.Booster:
    x = _features(2)
    y = (np.nan_to_num(x[:, 2], nan=-1.0) + np.nan_to_num(x[:, 3], nan=1.0) > 0.3).astype(int)
    return _train({"objective": "binary:logistic"}, x, y, 30)


def _thresholds(booster: xgb.Booster) -> dict[int, np.ndarray]:
    """Split conditions used in the model, per feature (float32, as XGBoost stores them)."""
    model = json.loads(booster.save_raw("json"))
    found: dict[int, list[float]] = {}
    for tree in model["learner"]["gradient_booster"]["model"]["trees"]:
        for left, feature, condition in zip(
            tree["left_children"], tree["split_indices"], tree["split_conditions"], strict=True
        ):
            if left != -1:
                found.setdefault(feature, []).append(condition)
    return {f: np.unique(np.asarray(c, dtype=np.float32)) for f, c in found.items()}


def _rows_on_thresholds(
    booster: xgb.Booster, n_rows: int, seed: int, nudge: bool = False
) -> np.ndarray:
    """Rows whose every used feature sits exactly on one of its split thresholds (or,
    with ``nudge``, within 0.1% of one), with 20% NaN."""
    rng = np.random.default_rng(seed)
    rows = np.full((n_rows, booster.num_features()), np.nan)
    for feature, values in _thresholds(booster).items():
        rows[:, feature] = rng.choice(values, n_rows)
        if nudge:
            rows[:, feature] *= 1.0 + rng.choice([0.0, 1e-3, -1e-3], n_rows)
    rows[rng.random(rows.shape) < 0.2] = np.nan
    return rows


def test_probabilities_for_many_rows_equal_xgboost_on_a_multiclass_model_with_missing_values(
    multiclass: xgb.Booster,
) -> None:
    rows = _features(10, n_rows=300)
    expected = multiclass.inplace_predict(rows, missing=np.nan)
    got = TreeEnsemble.from_booster(multiclass).predict(rows)
    assert got.shape == expected.shape == (300, 4)
    assert got.dtype == np.float32
    np.testing.assert_allclose(got, expected, **TOLERANCE)


def test_one_row_probabilities_equal_xgboost_on_a_multiclass_model_with_missing_values(
    multiclass: xgb.Booster,
) -> None:
    ensemble = TreeEnsemble.from_booster(multiclass)
    rows = _features(11, n_rows=40)
    _assert_rows_equal_xgboost(ensemble, multiclass, rows, singles=len(rows))


def test_probabilities_equal_xgboost_on_a_binary_model_for_many_rows_and_for_single_rows(
    binary: xgb.Booster,
) -> None:
    ensemble = TreeEnsemble.from_booster(binary)
    rows = _features(12, n_rows=300)
    expected = binary.inplace_predict(rows, missing=np.nan)
    got = ensemble.predict(rows)
    assert got.shape == expected.shape == (300,)
    _assert_rows_equal_xgboost(ensemble, binary, rows, singles=30)


def test_a_row_of_only_missing_values_follows_the_default_branches_like_xgboost(
    multiclass: xgb.Booster, binary: xgb.Booster
) -> None:
    row = np.full((1, N_FEATURES), np.nan)
    for booster in (multiclass, binary):
        np.testing.assert_allclose(
            TreeEnsemble.from_booster(booster).predict(row),
            booster.inplace_predict(row, missing=np.nan),
            **TOLERANCE,
        )


def test_values_exactly_on_split_thresholds_go_right_like_xgboost(
    multiclass: xgb.Booster, binary: xgb.Booster
) -> None:
    for booster in (multiclass, binary):
        ensemble = TreeEnsemble.from_booster(booster)
        rows = _rows_on_thresholds(booster, 200, seed=3)
        _assert_rows_equal_xgboost(ensemble, booster, rows, singles=20)


def test_margins_equal_xgboost_raw_margins_including_the_base_score(
    multiclass: xgb.Booster, binary: xgb.Booster
) -> None:
    rows = _features(13, n_rows=100)
    for booster, groups in ((multiclass, 4), (binary, 1)):
        expected = booster.inplace_predict(rows, missing=np.nan, predict_type="margin")
        got = TreeEnsemble.from_booster(booster).margins(rows)
        assert got.shape == (100, groups)
        np.testing.assert_allclose(got, np.reshape(expected, (100, groups)), **TOLERANCE)


def test_infinite_values_compare_like_xgboost(binary: xgb.Booster) -> None:
    rows = _features(14, n_rows=50)
    rows[:25][np.random.default_rng(0).random((25, N_FEATURES)) < 0.5] = np.inf
    rows[25:][np.random.default_rng(1).random((25, N_FEATURES)) < 0.5] = -np.inf
    np.testing.assert_allclose(
        TreeEnsemble.from_booster(binary).predict(rows),
        binary.inplace_predict(rows, missing=np.nan),
        **TOLERANCE,
    )


def test_an_iteration_range_uses_the_same_trees_as_xgboost(multiclass: xgb.Booster) -> None:
    rows = _features(15, n_rows=50)
    for iterations in ((0, 10), (5, 30)):
        np.testing.assert_allclose(
            TreeEnsemble.from_booster(multiclass, iteration_range=iterations).predict(rows),
            multiclass.inplace_predict(rows, missing=np.nan, iteration_range=iterations),
            **TOLERANCE,
        )
    with pytest.raises(ValueError, match="iteration_range"):
        TreeEnsemble.from_booster(multiclass, iteration_range=(0, 31))


def test_rows_with_the_wrong_number_of_features_are_refused(binary: xgb.Booster) -> None:
    ensemble = TreeEnsemble.from_booster(binary)
    with pytest.raises(ValueError, match="shape"):
        ensemble.predict(np.zeros((1, N_FEATURES - 1)))
    with pytest.raises(ValueError, match="shape"):
        ensemble.predict(np.zeros(N_FEATURES))


def test_a_dart_booster_is_refused() -> None:
    x, y = _features(4, n_rows=200), np.arange(200) % 2
    booster = _train({"booster": "dart", "objective": "binary:logistic"}, x, y, 3)
    with pytest.raises(ValueError, match="dart"):
        TreeEnsemble.from_booster(booster)


def test_an_objective_it_cannot_reproduce_is_refused() -> None:
    x, y = _features(5, n_rows=200), np.arange(200) % 3
    booster = _train({"objective": "multi:softmax", "num_class": 3}, x, y, 3)
    with pytest.raises(ValueError, match="multi:softmax"):
        TreeEnsemble.from_booster(booster)


def test_a_model_with_categorical_splits_is_refused() -> None:
    rng = np.random.default_rng(6)
    frame = pd.DataFrame(
        {"kind": pd.Categorical(rng.integers(0, 4, 300)), "value": rng.normal(size=300)}
    )
    y = (frame["kind"].cat.codes.to_numpy() % 2).astype(int)
    booster = xgb.train(
        {"nthread": 1, "objective": "binary:logistic", "max_depth": 2},
        xgb.DMatrix(frame, label=y, enable_categorical=True),
        3,
    )
    with pytest.raises(ValueError, match="categorical"):
        TreeEnsemble.from_booster(booster)
    # Also the splits themselves, if the feature types were dropped from the model.
    model = json.loads(booster.save_raw("json"))
    model["learner"]["feature_types"] = ["float", "float"]
    with pytest.raises(ValueError, match="categorical splits"):
        TreeEnsemble.from_json(model)


def test_vector_leaf_trees_are_refused() -> None:
    x, y = _features(7, n_rows=200), np.arange(200) % 3
    booster = _train(
        {
            "objective": "multi:softprob",
            "num_class": 3,
            "multi_strategy": "multi_output_tree",
            "tree_method": "hist",
        },
        x,
        y,
        2,
    )
    with pytest.raises(ValueError, match="vector-leaf"):
        TreeEnsemble.from_booster(booster)


@pytest.mark.skipif(not BUNDLED_MODEL.exists(), reason="no bundled model")
def test_the_bundled_model_gives_xgboost_probabilities_near_its_split_thresholds() -> None:
    booster = xgb.Booster()
    booster.load_model(BUNDLED_MODEL)
    booster.set_param({"nthread": 1})
    ensemble = TreeEnsemble.from_booster(booster)
    rows = _rows_on_thresholds(booster, 50, seed=8, nudge=True)
    expected = booster.inplace_predict(rows, missing=np.nan)
    np.testing.assert_allclose(ensemble.predict(rows), expected, **TOLERANCE)
    for i in range(10):
        np.testing.assert_allclose(
            ensemble.predict(rows[i : i + 1]), expected[i : i + 1], **TOLERANCE
        )


def _seed_members(n: int) -> tuple[list[xgb.Booster], np.ndarray]:
    x = _features(3)
    y = (np.nan_to_num(x[:, 0], nan=2.0) > 0).astype(int) + 2 * np.isnan(x[:, 1]).astype(int)
    params = {"objective": "multi:softprob", "num_class": 4, "subsample": 0.7}
    members = [_train({**params, "seed": s, "colsample_bytree": 0.5}, x, y, 12) for s in range(n)]
    return members, x


def test_an_averaged_booster_gives_the_mean_of_its_members_margins() -> None:
    members, x = _seed_members(3)
    averaged = average_boosters(members)
    margins = [m.predict(xgb.DMatrix(x, missing=np.nan), output_margin=True) for m in members]
    got = averaged.predict(xgb.DMatrix(x, missing=np.nan), output_margin=True)
    np.testing.assert_allclose(got, np.mean(margins, axis=0), **TOLERANCE)
    assert averaged.num_boosted_rounds() == 3 * 12


def test_an_averaged_booster_is_walked_explained_and_saved_like_any_booster(
    tmp_path: Path,
) -> None:
    averaged = average_boosters(_seed_members(2)[0])
    rows = _features(4, 200)
    _assert_rows_equal_xgboost(TreeEnsemble.from_booster(averaged), averaged, rows, singles=5)
    contribs = averaged.predict(xgb.DMatrix(rows, missing=np.nan), pred_contribs=True)
    margins = averaged.predict(xgb.DMatrix(rows, missing=np.nan), output_margin=True)
    np.testing.assert_allclose(contribs.sum(axis=-1), margins, **TOLERANCE)
    averaged.save_model(tmp_path / "model.ubj")
    loaded = xgb.Booster(model_file=str(tmp_path / "model.ubj"))
    np.testing.assert_allclose(loaded.inplace_predict(rows), averaged.inplace_predict(rows))


def test_one_booster_averaged_is_itself_and_mismatched_members_are_refused(
    multiclass: xgb.Booster, binary: xgb.Booster
) -> None:
    assert average_boosters([multiclass]) is multiclass
    with pytest.raises(ValueError, match="multi:softprob"):
        average_boosters([binary, binary])
    three_classes = _train(
        {"objective": "multi:softprob", "num_class": 3}, _features(5), np.arange(600) % 3, 2
    )
    with pytest.raises(ValueError, match="number of classes"):
        average_boosters([multiclass, three_classes])
    with pytest.raises(ValueError, match="at least one"):
        average_boosters([])
