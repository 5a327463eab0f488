"""The paper's pairwise similarity detector: pair rows, per-type scores, evidence."""

import numpy as np
import pytest

from models.pairwise import pair_feature_names, pair_rows, type_scores


def test_pair_rows_hold_both_windows_and_their_absolute_difference() -> None:
    q = np.array([[1.0, 2.0], [3.0, 5.0]])
    r = np.array([[0.0, 2.0], [4.0, 1.0], [1.0, 1.0]])
    rows = pair_rows(q, r)
    assert rows.shape == (6, 6)
    for i in range(2):
        for j in range(3):
            expected = np.concatenate([q[i], r[j], np.abs(q[i] - r[j])])
            np.testing.assert_allclose(rows[i * 3 + j], expected)
    assert pair_feature_names(["x", "y"]) == ["a:x", "a:y", "b:x", "b:y", "d:x", "d:y"]


def test_a_types_score_is_the_mean_of_its_best_similarities_and_normal_the_rest() -> None:
    rng = np.random.default_rng(0)
    sim = rng.random((7, 9))
    types = np.array(["kick"] * 4 + ["washout"] * 2 + ["stuck_pipe"] * 3, dtype=object)
    classes = ["normal", "kick", "washout", "stuck_pipe", "pack_off"]
    got = type_scores(sim, types, classes, top=3)
    for i in range(7):
        for j, c in enumerate(classes[1:4], start=1):
            own = np.sort(sim[i, types == c])[::-1][:3]
            assert got[i, j] == pytest.approx(own.mean())
        assert got[i, 4] == 0.0  # a type without references never scores
        assert got[i, 0] == pytest.approx(1.0 - got[i, 1:].max())


def test_the_pairwise_model_finds_its_own_type_more_similar_than_others(small_model) -> None:
    paper = small_model.with_detector("analogue")
    db, pairwise = paper.analogues, paper.pairwise
    refs = pairwise.references(db)
    assert set(refs.types) <= set(paper.classes[1:])
    # a reference compared with the references: its own type scores highest on average
    rows = db.vectors[refs.index].astype(np.float64) * db.scale + db.mean
    scores = pairwise.scores(rows, db)
    own = [paper.classes.index(t) for t in refs.types]
    hits = np.mean(np.argmax(scores[:, 1:], axis=1) + 1 == np.array(own))
    assert hits > 0.5


def test_the_evidence_of_the_analogue_detector_is_its_most_similar_accident_windows(
    small_model,
) -> None:
    paper = small_model.with_detector("analogue")
    db = paper.analogues
    row = db.vectors[paper.pairwise.references(db).index[0]].astype(np.float64) * db.scale
    row = row + db.mean
    found = paper.search(row, top=5)
    sims = [a["similarity"] for a in found]
    assert len(found) == 5 and sims == sorted(sims, reverse=True)
    assert all(a["type"] != "normal" and 0.0 <= a["similarity"] <= 1.0 for a in found)


def test_a_model_without_a_pairwise_detector_refuses_to_decide_by_analogues(small_model) -> None:
    from dataclasses import replace

    from models.artifact import ModelError

    with pytest.raises(ModelError, match="no pairwise"):
        replace(small_model, pairwise=None).with_detector("analogue")
    with pytest.raises(ModelError, match="detector 'rules'"):
        small_model.with_detector("rules")
