import json
from pathlib import Path

import numpy as np
import pytest

from models.analogues import AnalogueDB, majority_type


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


def test_the_majority_type_is_weighted_by_similarity() -> None:
    found = [
        {"type": "kick", "similarity": 0.9},
        {"type": "washout", "similarity": 0.3},
        {"type": "washout", "similarity": 0.3},
    ]
    assert majority_type(found) == "kick"
    assert majority_type([]) is None


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
