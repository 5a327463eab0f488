"""The paper's detector: a gradient-boosted similarity of two windows, and analogue voting.

Gurina et al. (docs/domain.md §1) learn whether two intervals belong to the same accident type and
compare the current interval with the stored accident intervals. Here:

* a **pair row** is ``[a, b, |a - b|]`` over ``columns`` of the standardised window features
  (the analogue database's standardisation; ``columns`` are the features the classifier found
  most useful), ``a`` the current window and ``b`` a stored accident window;
* a binary XGBoost model gives P(same accident type) for a pair; it is trained on pairs of
  training windows: accident windows paired with references of their own type (1) and of
  other types (0), and normal windows paired with every type (0);
* the **references** are the analogue database's accident windows from ``label_lead_s``
  before the start to the end (at most ``per_type`` per type, spread over the event, plus
  every window added from confirmed alerts);
* the score of type T for a window is the mean of its ``top`` highest pair probabilities
  against T's references; ``normal`` is 1 − the highest type score. These scores take the
  place of the classifier's probabilities in the same alert logic, with thresholds
  calibrated the same way.

Saved as ``pairwise.ubj`` (XGBoost UBJSON) beside the classifier; its settings and sha256 are
in the model metadata under ``pairwise``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import xgboost as xgb

from models.analogues import AnalogueDB

PAIR_FILE = "pairwise.ubj"
NORMAL = "normal"


def pair_rows(query: np.ndarray, refs: np.ndarray) -> np.ndarray:
    """Pair features of every query row with every reference row:
    ((queries x refs) x 3F) as [a, b, |a - b|], queries outer, references inner."""
    q = np.atleast_2d(query).astype(np.float32, copy=False)
    r = np.atleast_2d(refs).astype(np.float32, copy=False)
    a = np.repeat(q, r.shape[0], axis=0)
    b = np.tile(r, (q.shape[0], 1))
    return np.hstack([a, b, np.abs(a - b)])


def pair_feature_names(columns: list[str]) -> list[str]:
    return [f"a:{c}" for c in columns] + [f"b:{c}" for c in columns] + [f"d:{c}" for c in columns]


@dataclass
class References:
    """The accident windows a query is compared with: standardised columns and types."""

    vectors: np.ndarray  # (refs x columns) standardised
    types: np.ndarray  # (refs,) object
    index: np.ndarray  # (refs,) positions in the analogue database

    @classmethod
    def from_db(
        cls, db: AnalogueDB, columns: np.ndarray, *, lead_s: float, per_type: int
    ) -> References:
        """Accident windows from ``lead_s`` before the start onwards, at most ``per_type``
        per type (evenly spread) from the model's own windows, plus every added window."""
        picked: list[int] = []
        by_type: dict[str, list[int]] = {}
        for i, rec in enumerate(db.records):
            t = rec.get("type")
            to_start = rec.get("time_to_start_s")
            if t in (None, NORMAL) or to_start is None or float(to_start) > lead_s:
                continue
            if rec.get("source") in ("confirmed",):
                picked.append(i)
            else:
                by_type.setdefault(str(t), []).append(i)
        for idx in by_type.values():
            take = np.linspace(0, len(idx) - 1, num=min(per_type, len(idx))).round().astype(int)
            picked.extend(idx[j] for j in sorted(set(take.tolist())))
        picked.sort()
        vectors = db.vectors[picked][:, columns] if picked else np.empty((0, len(columns)))
        types = np.array([str(db.records[i]["type"]) for i in picked], dtype=object)
        return cls(vectors.astype(np.float32), types, np.array(picked, dtype=np.int64))


@dataclass
class PairwiseDetector:
    booster: xgb.Booster
    columns: list[str]  # model feature names used in pair rows
    column_index: np.ndarray  # their positions in the model's feature rows
    classes: list[str]  # normal first, then accident types (the classifier's order)
    top: int = 3
    per_type: int = 40
    lead_s: float = 900.0
    _refs: References | None = field(default=None, repr=False)
    _refs_size: int = field(default=-1, repr=False)

    def references(self, db: AnalogueDB) -> References:
        """References from ``db``; rebuilt when windows were added to it."""
        if self._refs is None or self._refs_size != len(db):
            self._refs = References.from_db(
                db, self.column_index, lead_s=self.lead_s, per_type=self.per_type
            )
            self._refs_size = len(db)
        return self._refs

    def similarities(self, z: np.ndarray, refs: References) -> np.ndarray:
        """P(same type) of every (standardised) query row against every reference."""
        if refs.vectors.shape[0] == 0 or z.shape[0] == 0:
            return np.zeros((z.shape[0], refs.vectors.shape[0]))
        out = np.empty((z.shape[0], refs.vectors.shape[0]))
        step = max(1, 200_000 // refs.vectors.shape[0])
        for lo in range(0, z.shape[0], step):
            q = z[lo : lo + step]
            p = self.booster.inplace_predict(pair_rows(q, refs.vectors))
            out[lo : lo + step] = np.asarray(p).reshape(q.shape[0], -1)
        return out

    def scores(self, rows: np.ndarray, db: AnalogueDB) -> np.ndarray:
        """Per-class scores (rows x classes) of feature rows, in ``classes`` order."""
        refs = self.references(db)
        z = db.standardise(rows)[:, self.column_index]
        sim = self.similarities(z, refs)
        return type_scores(sim, refs.types, self.classes, self.top)

    def search(self, row: np.ndarray, db: AnalogueDB, top: int = 5) -> list[dict[str, Any]]:
        """The ``top`` references most similar to one feature row (pair probability)."""
        refs = self.references(db)
        if refs.vectors.shape[0] == 0:
            return []
        sim = self.similarities(db.standardise(row)[:, self.column_index], refs)[0]
        k = min(top, sim.size)
        best = np.argsort(-sim, kind="stable")[:k]
        return [{**db.records[int(refs.index[j])], "similarity": float(sim[j])} for j in best]

    def meta(self) -> dict[str, Any]:
        return {
            "file": PAIR_FILE,
            "columns": self.columns,
            "top": self.top,
            "per_type": self.per_type,
            "lead_s": self.lead_s,
        }


def type_scores(sim: np.ndarray, ref_types: np.ndarray, classes: list[str], top: int) -> np.ndarray:
    """Mean of the ``top`` highest similarities per type; normal = 1 - the best type."""
    out = np.zeros((sim.shape[0], len(classes)))
    for j, c in enumerate(classes):
        if c == NORMAL:
            continue
        cols = np.flatnonzero(ref_types == c)
        if cols.size == 0:
            continue
        k = min(top, cols.size)
        part = np.partition(sim[:, cols], cols.size - k, axis=1)[:, cols.size - k :]
        out[:, j] = part.mean(axis=1)
    if NORMAL in classes:
        out[:, classes.index(NORMAL)] = 1.0 - out.max(axis=1)
    return out


def fit_pairwise(
    z: np.ndarray,
    labels: list[str],
    refs: References,
    *,
    pairs_per_row: int,
    seed: int,
    n_estimators: int = 200,
    nthread: int = 2,
) -> xgb.Booster:
    """Train P(same type) on (training window, reference) pairs.

    ``z``: standardised columns of the training windows, ``labels`` their classes. Every
    accident window meets ``pairs_per_row`` references of its own type and as many of
    other types; every normal window meets ``pairs_per_row`` references of any type.
    """
    rng = np.random.default_rng(seed)
    by_type = {t: np.flatnonzero(refs.types == t) for t in set(refs.types.tolist())}
    all_refs = np.arange(len(refs.types))
    qi: list[np.ndarray] = []
    ri: list[np.ndarray] = []
    for i, label in enumerate(labels):
        own = by_type.get(label)
        if label != NORMAL and own is not None and own.size:
            others = all_refs[refs.types != label]
            qi.append(np.full(2 * pairs_per_row, i))
            ri.append(rng.choice(own, pairs_per_row))
            ri.append(rng.choice(others if others.size else own, pairs_per_row))
        elif label == NORMAL:
            qi.append(np.full(pairs_per_row, i))
            ri.append(rng.choice(all_refs, pairs_per_row))
    q = np.concatenate(qi)
    r = np.concatenate(ri)
    a = z[q].astype(np.float32)
    b = refs.vectors[r]
    X = np.hstack([a, b, np.abs(a - b)])
    y = np.array([labels[i] == refs.types[j] for i, j in zip(q, r, strict=True)], dtype=float)
    # positives and negatives weigh the same in total
    pos = max(1.0, float(y.sum()))
    neg = max(1.0, float(len(y) - y.sum()))
    w = np.where(y > 0, neg / pos, 1.0)
    return xgb.train(
        {
            "objective": "binary:logistic",
            "max_depth": 6,
            "eta": 0.1,
            "subsample": 0.8,
            "colsample_bytree": 0.6,
            "min_child_weight": 2.0,
            "tree_method": "hist",
            "nthread": nthread,
            "seed": seed,
        },
        xgb.DMatrix(X, label=y, weight=w),
        num_boost_round=n_estimators,
    )


def top_columns(booster: xgb.Booster, names: list[str], count: int) -> list[str]:
    """The ``count`` features with the largest total gain in ``booster`` (model order)."""
    gain = booster.get_score(importance_type="total_gain")

    def total(name: str) -> float:
        value = gain.get(name, 0.0)
        return float(sum(value)) if isinstance(value, list) else float(value)

    ranked = sorted(names, key=lambda n: -total(n))
    chosen = set(ranked[:count])
    return [n for n in names if n in chosen]
