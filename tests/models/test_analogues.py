import json
from pathlib import Path

import numpy as np
import pytest

from models.analogues import (
    SNIPPET_CHANNELS,
    SNIPPET_OFFSETS_S,
    AnalogueDB,
    Snippets,
    snippet_at,
    snippet_window,
)


def database(n: int = 200, d: int = 12, seed: int = 0) -> tuple[AnalogueDB, np.ndarray]:
    rng = np.random.default_rng(seed)
    rows = rng.normal(size=(n, d)) * rng.uniform(0.1, 100.0, d) + rng.normal(0, 50, d)
    rows[rng.random((n, d)) < 0.05] = np.nan
    records = [
        {"well_id": f"W{i % 7}", "time": f"t{i}", "type": ["kick", "normal"][i % 2]}
        for i in range(n)
    ]
    return AnalogueDB.build(rows, records), rows


def test_search_returns_the_nearest_windows_of_a_numpy_reference_in_order() -> None:
    db, rows = database()
    mean = np.nanmean(rows, axis=0)
    std = np.nanstd(rows, axis=0)
    z = np.nan_to_num((rows - mean) / std)
    query = rows[17] + 0.01
    qz = np.nan_to_num((query - mean) / std)
    expected = np.argsort(np.linalg.norm(z - qz, axis=1))[:5]
    found = db.search(query, top=5)
    assert [r["time"] for r in found] == [f"t{i}" for i in expected]
    similarities = [r["similarity"] for r in found]
    assert similarities == sorted(similarities, reverse=True)
    assert all(0.0 < s <= 1.0 for s in similarities)


def test_a_window_is_its_own_nearest_analogue() -> None:
    db, rows = database()
    assert db.search(rows[42], top=1)[0]["time"] == "t42"


def test_the_database_round_trips_through_npz_and_json_without_pickles(tmp_path: Path) -> None:
    db, rows = database()
    db.save(tmp_path)
    with np.load(tmp_path / "analogues.npz", allow_pickle=False) as data:
        assert set(data.files) == {"vectors", "mean", "scale"}
    assert json.loads((tmp_path / "analogues.json").read_text())[3]["time"] == "t3"
    loaded = AnalogueDB.load(tmp_path)
    assert len(loaded) == len(db)
    assert [r["time"] for r in loaded.search(rows[5], top=3)] == [
        r["time"] for r in db.search(rows[5], top=3)
    ]


def test_records_must_match_the_rows() -> None:
    with pytest.raises(ValueError, match="records"):
        AnalogueDB.build(np.zeros((3, 2)), [{}])


def test_a_trained_model_carries_an_analogue_database_with_accident_windows(
    small_model,
) -> None:
    db = small_model.analogues
    assert db is not None and len(db) > 0
    types = {r["type"] for r in db.records}
    assert "normal" in types and len(types) > 1
    precursors = [r for r in db.records if r["type"] != "normal"]
    assert any(r["time_to_start_s"] > 0 for r in precursors)  # windows before the onset
    found = db.search(db.vectors[0].astype(np.float64) * db.scale + db.mean, top=5)
    assert len(found) == 5
    assert {"well_id", "time", "type", "similarity", "rig_state"} <= set(found[0])


# -- run-time windows and channel snippets ---------------------------------------------------


def test_extended_windows_are_standardised_like_the_rest_and_found_at_once() -> None:
    db, rows = database()
    mean, scale, before = db.mean.copy(), db.scale.copy(), len(db)
    db.search(rows[0], top=3)  # caches the norms
    new = rows[:2] * 3.0 + 7.0
    db.extend(
        new,
        [
            {"well_id": "X", "time": f"x{i}", "type": "kick", "source": "confirmed"}
            for i in range(2)
        ],
    )
    assert len(db) == before + 2
    np.testing.assert_array_equal(db.mean, mean)
    np.testing.assert_array_equal(db.scale, scale)
    np.testing.assert_array_equal(db.vectors[-2:], db.standardise(new))
    assert db.search(new[1], top=1)[0]["time"] == "x1"


def test_removing_drops_only_windows_added_at_run_time() -> None:
    db, rows = database()
    before = len(db)
    db.extend(rows[:3] + 1.0, [{"time": f"x{i}", "type": "kick", "alert_id": 1} for i in range(3)])
    assert db.remove(lambda r: r.get("type") == "kick") == 3  # the model's kicks stay
    assert len(db) == before
    assert db.search(rows[42], top=1)[0]["time"] == "t42"


def test_extending_with_rows_of_another_width_is_refused() -> None:
    db, _ = database(d=12)
    with pytest.raises(ValueError, match="features"):
        db.extend(np.zeros((1, 5)), [{}])


def test_a_snippet_is_the_key_channels_every_30_s_from_30_min_before_to_10_min_after() -> None:
    ns = 1_000_000_000
    times = np.arange(0, 3600 * ns, 5 * ns, dtype=np.int64)  # every 5 s for an hour
    hookload = np.arange(times.size, dtype=np.float64)
    values = snippet_at(times, {"HKLA": hookload}, 2400 * ns)
    assert values.dtype == np.float16
    assert values.shape == (len(SNIPPET_CHANNELS), SNIPPET_OFFSETS_S.size)
    assert SNIPPET_OFFSETS_S[0] == -1800 and SNIPPET_OFFSETS_S[-1] == 600
    np.testing.assert_allclose(values[0], (2400 + SNIPPET_OFFSETS_S) / 5, rtol=1e-3)
    assert np.isnan(values[1:]).all()  # channels the well does not send
    late = snippet_at(times, {"HKLA": hookload}, 3500 * ns)
    assert np.isnan(late[0][SNIPPET_OFFSETS_S > 100]).all()  # past the end of the data
    window = snippet_window(values)
    assert list(window["channels"]) == ["HKLA"] and len(window["offsets_s"]) == 81


def test_a_model_trained_with_its_wells_ships_channel_snippets(small_model, sim_wells) -> None:
    from pipelines.telemetry import TelemetryBatch

    files = small_model.meta["analogues"]["sha256"]
    assert set(files) == {"analogues.npz", "analogues.json", "analogues_snippets.npz"}
    with np.load(small_model.path / "analogues_snippets.npz", allow_pickle=False) as data:
        assert data["values"].dtype == np.float16
        assert [str(c) for c in data["channels"]] == list(SNIPPET_CHANNELS)
    db = small_model.analogues
    wells = {w.profile.well_id: TelemetryBatch.from_frame(w.frame) for w in sim_wells}
    assert set(db.snippets.series) == {r["well_id"] for r in db.records}
    for record in (db.records[0], db.records[-1]):  # an accident window, a normal one
        batch = wells[record["well_id"]]
        at = _ns(record["time"])
        found = db.snippet(record["well_id"], at)
        assert found is not None and found["offsets_s"] == SNIPPET_OFFSETS_S.tolist()
        expected = snippet_window(snippet_at(batch.times_ns, batch.channels, at))
        assert found == expected
    assert db.snippet("NOT-A-WELL", _ns(db.records[0]["time"])) is None


def test_the_bundled_model_ships_snippets_and_loads_without_them_too(tmp_path: Path) -> None:
    import shutil

    from models.analogues import SNIPPETS_FILE
    from models.artifact import BUNDLED_DIR, META_FILE, load_model

    model = load_model(BUNDLED_DIR)
    assert model.analogues is not None and model.analogues.snippets is not None
    first = model.analogues.records[0]
    assert model.analogues.snippet(first["well_id"], _ns(first["time"])) is not None
    # a model from before snippets existed (no file, no sha256 for it) loads without them
    old = tmp_path / "old"
    shutil.copytree(BUNDLED_DIR, old)
    (old / SNIPPETS_FILE).unlink()
    meta = json.loads((old / META_FILE).read_text())
    del meta["analogues"]["sha256"][SNIPPETS_FILE]
    (old / META_FILE).write_text(json.dumps(meta))
    model = load_model(old)
    assert model.analogues is not None and model.analogues.snippets is None
    assert model.analogues.snippet(first["well_id"], _ns(first["time"])) is None


def test_snippets_round_trip_without_pickles_and_cover_only_their_span(tmp_path: Path) -> None:
    ns = 1_000_000_000
    times = np.arange(0, 7200 * ns, ns, dtype=np.int64)
    channels = {"HKLA": np.sin(np.arange(times.size) / 300.0) * 100.0}
    snippets = Snippets.around({"W": (times, channels)}, {"W": [3600 * ns, 4200 * ns]})
    db, _ = database(n=4)
    db.snippets = snippets
    assert [p.name for p in db.save(tmp_path)][-1] == "analogues_snippets.npz"
    loaded = AnalogueDB.load(tmp_path).snippets
    assert loaded is not None
    got = loaded.at("W", 3600 * ns)
    np.testing.assert_array_equal(got, snippet_at(times, channels, 3600 * ns))
    assert loaded.series["W"][1].shape[1] == (4800 - 1800) // 30 + 1
    early = loaded.at("W", 2000 * ns)
    assert early is not None and np.isnan(early[0][:50]).all()  # before the span
    assert loaded.at("W", 100_000 * ns) is None


def _ns(iso: str) -> int:
    from datetime import datetime

    from pipelines.telemetry import datetime_to_ns

    return datetime_to_ns(datetime.fromisoformat(iso))


# -- the learned (gain-weighted) distance ------------------------------------------------------


def weighted(db: AnalogueDB, seed: int = 1, zero: tuple[int, ...] = (3,)) -> np.ndarray:
    """Random distance weights with the ``zero`` features at 0, set on ``db``."""
    w = np.asarray(np.random.default_rng(seed).uniform(0.1, 3.0, db.vectors.shape[1]))
    w[list(zero)] = 0.0
    db.set_weights(w)
    assert db.weights is not None
    return db.weights


def reference_distances(db: AnalogueDB, row: np.ndarray) -> np.ndarray:
    w = np.ones(db.vectors.shape[1]) if db.weights is None else db.weights
    diff = db.standardise(row)[0].astype(np.float64) - db.vectors.astype(np.float64)
    return np.linalg.norm(w * diff, axis=1)


def test_the_weighted_distance_is_the_norm_of_the_weighted_standardised_differences() -> None:
    db, rows = database()
    w = weighted(db)
    np.testing.assert_allclose(w @ w, db.vectors.shape[1])  # squares sum to the feature count
    query = rows[17] * 1.1 + 0.3
    expected = reference_distances(db, query)
    np.testing.assert_allclose(db.distances(query), expected, rtol=1e-4, atol=1e-4)
    found = db.search(query, top=5)
    assert [r["time"] for r in found] == [f"t{i}" for i in np.argsort(expected)[:5]]
    assert all(0.0 < r["similarity"] <= 1.0 for r in found)


def test_unit_weights_search_exactly_like_the_unweighted_database() -> None:
    db, rows = database()
    before = db.distances(rows[3] + 1.0)
    db.set_weights(np.full(db.vectors.shape[1], 7.0))  # normalised to ones
    assert db.weights is not None
    np.testing.assert_array_equal(db.weights, 1.0)
    np.testing.assert_allclose(db.distances(rows[3] + 1.0), before, rtol=1e-5, atol=1e-5)


def test_a_feature_with_weight_zero_does_not_change_the_ranking() -> None:
    db, rows = database()
    weighted(db, zero=(3,))
    query = rows[17] + 0.01
    moved = query.copy()
    moved[3] = query[3] + 1e6  # far off in the ignored feature
    assert [r["time"] for r in db.search(moved, top=10)] == [
        r["time"] for r in db.search(query, top=10)
    ]
    np.testing.assert_allclose(db.distances(moved), db.distances(query), rtol=1e-6)
    db.set_weights(None)  # unweighted, the same move does change the ranking
    assert db.search(moved, top=10) != db.search(query, top=10)


def test_the_weights_do_not_change_the_stored_vectors_or_the_standardisation() -> None:
    db, rows = database()
    vectors, z = db.vectors.copy(), db.standardise(rows[:5])
    weighted(db)
    np.testing.assert_array_equal(db.vectors, vectors)
    np.testing.assert_array_equal(db.standardise(rows[:5]), z)


def test_weights_that_are_negative_all_zero_or_of_another_width_are_refused() -> None:
    db, _ = database(d=12)
    for bad in (np.full(12, -1.0), np.zeros(12), np.ones(5), np.full(12, np.nan)):
        with pytest.raises(ValueError, match="weights"):
            db.set_weights(bad)


def test_extended_windows_are_found_and_removed_ones_dropped_in_the_weighted_space() -> None:
    db, rows = database()
    weighted(db)
    db.search(rows[0], top=3)  # caches the weighted vectors and their norms
    new = rows[:2] * 3.0 + 7.0
    db.extend(new, [{"time": f"x{i}", "type": "kick", "source": "confirmed"} for i in range(2)])
    assert db.search(new[1], top=1)[0]["time"] == "x1"
    np.testing.assert_allclose(
        db.distances(new[0]), reference_distances(db, new[0]), rtol=1e-4, atol=1e-4
    )
    assert db.remove(lambda r: r.get("source") == "confirmed") == 2
    assert "x1" not in [r["time"] for r in db.search(new[1], top=len(db))]
    np.testing.assert_allclose(
        db.distances(new[0]), reference_distances(db, new[0]), rtol=1e-4, atol=1e-4
    )


def test_a_standardised_search_leaves_out_the_windows_not_among_the_candidates() -> None:
    db, _ = database()
    wells = np.array([r["well_id"] for r in db.records])
    found = db.search_standardised(db.vectors[42], top=5, candidates=wells != "W0")
    assert found[0]["time"] != "t42" and all(r["well_id"] != "W0" for r in found)
    assert db.search_standardised(db.vectors[42], top=1)[0]["time"] == "t42"
    with pytest.raises(ValueError, match="candidate"):
        db.search_standardised(db.vectors[0], candidates=np.ones(3, dtype=bool))


@pytest.mark.parametrize("named", [True, False])
def test_gain_weights_of_a_small_booster_are_zero_for_the_features_it_never_uses(
    named: bool,
) -> None:
    import xgboost as xgb

    from models.analogues import gain_weights

    rng = np.random.default_rng(0)
    x = rng.normal(size=(400, 6))
    x[:, [2, 4]] = 1.0  # constant: no split can use them
    y = (x[:, 0] + 0.3 * x[:, 1] > 0).astype(float)
    names = [f"feat{i}" for i in range(6)]
    dm = xgb.DMatrix(x, label=y, feature_names=names if named else None)
    booster = xgb.train(
        {"objective": "binary:logistic", "max_depth": 2, "nthread": 1}, dm, num_boost_round=10
    )
    w = gain_weights(booster, names, "share")
    assert w[2] == 0.0 and w[4] == 0.0
    assert w[0] > w[1] > 0.0  # the deciding feature weighs most
    np.testing.assert_allclose(w.sum(), 1.0)  # gain shares
    np.testing.assert_allclose(gain_weights(booster, names, "used")[[0, 1, 2, 4]], [1, 1, 0, 0])


def test_the_loaded_classifier_searches_by_its_gain_and_the_pairwise_search_is_unchanged() -> None:
    from models.analogues import gain_weights, normalise_weights
    from models.artifact import BUNDLED_DIR, load_model

    model = load_model(BUNDLED_DIR)
    db = model.analogues
    assert db is not None and db.weights is not None
    names = model.spec.names()
    expected = normalise_weights(gain_weights(model.booster, names), len(names))
    np.testing.assert_allclose(db.weights, expected)
    row = db.vectors[100].astype(np.float64) * db.scale + db.mean
    # |v|^2 - 2 v.q + |q|^2 in float32: ~1e-3 off at distance 0, distances here are ~20
    np.testing.assert_allclose(db.distances(row), reference_distances(db, row), atol=1e-2)
    assert model.search(row, top=5) == db.search(row, top=5)
    paper = model.with_detector("analogue")
    weighted_pairs = paper.search(row, top=5)
    db.set_weights(None)
    assert paper.search(row, top=5) == weighted_pairs
