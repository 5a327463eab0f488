"""The boosters and databases a training run fits on rows of wells: the multiclass
classifier, the precursor heads, the analogue database and the paper's pairwise similarity
model on top of them."""

from __future__ import annotations

import logging
from collections import Counter
from datetime import datetime
from typing import Any

import numpy as np
import xgboost as xgb

from models.analogues import AnalogueDB, Snippets, depth_at
from models.artifact import NORMAL
from models.features import FeatureSpec
from models.pairwise import PairwiseDetector, References, fit_pairwise, top_columns
from models.rigstate import RigState
from models.trees import average_boosters
from pipelines.telemetry import LOOKBACK, Accident, TelemetryBatch, datetime_to_ns, ns_to_iso
from pipelines.training.config import NS, TrainConfig
from pipelines.training.rows import WellRows

log = logging.getLogger(__name__)


def fit_classifier(
    parts: list[WellRows], classes: list[str], spec: FeatureSpec, cfg: TrainConfig, rounds: int
) -> xgb.Booster:
    X = np.vstack([p.rows for p in parts])
    labels = [label for p in parts for label in p.labels]
    keep = np.array([label is not None for label in labels])
    y_labels = [label for label in labels if label is not None]
    X = X[keep]
    y = np.array([classes.index(label) for label in y_labels])
    counts = Counter(y_labels)
    # Balance: every accident class weighs as much in total as a fifth of the normal rows.
    weights = np.array(
        [
            1.0 if label == NORMAL else max(1.0, counts[NORMAL] / 5 / counts[label])
            for label in y_labels
        ]
    )
    log.info("fitting XGBoost on %d rows x %d features, classes %s", *X.shape, dict(counts))
    data = xgb.DMatrix(X, label=y, weight=weights, missing=np.nan, feature_names=spec.names())
    boosters = []
    for member in range(cfg.members):
        if cfg.members > 1:
            log.info("member %d/%d (seed %d)", member + 1, cfg.members, cfg.seed + member)
        params = {
            **booster_params(cfg, cfg.seed + member),
            "objective": "multi:softprob",
            "num_class": len(classes),
            "eval_metric": "mlogloss",
        }
        boosters.append(xgb.train(params, data, num_boost_round=rounds))
    return average_boosters(boosters)


def booster_params(cfg: TrainConfig, seed: int) -> dict[str, Any]:
    """XGBoost settings shared by the classifier and the precursor heads."""
    return {
        "max_depth": cfg.max_depth,
        "eta": cfg.learning_rate,
        "subsample": 0.8,
        "colsample_bytree": 0.5,
        "min_child_weight": 2.0,
        "tree_method": "hist",
        "nthread": 2,
        "seed": seed,
    }


def head_span(acc: Accident, cfg: TrainConfig) -> tuple[int, int]:
    """The times (ns) whose windows are positives of the precursor head of ``acc.type``: from
    its precursor's start (unknown: ``label_lead_s`` before its start), at most
    ``head_back_s`` before the start, to ``head_ahead_s`` before it."""
    start = datetime_to_ns(acc.start)
    lo = start - int(cfg.label_lead_s * NS)
    if acc.precursor_start is not None:
        lo = datetime_to_ns(acc.precursor_start)
    return max(lo, start - int(cfg.head_back_s * NS)), start - int(cfg.head_ahead_s * NS)


def head_labels(
    part: WellRows, accidents: list[Accident], accident_type: str, cfg: TrainConfig
) -> np.ndarray:
    """Per row of ``part``: 1 = early precursor of ``accident_type`` (``head_span``), 0 =
    normal, -1 = left out (other accidents, their ignore zones, the last minutes before a
    start and the accident itself)."""
    y = np.array([0 if label == NORMAL else -1 for label in part.labels], dtype=np.int8)
    for acc in accidents:
        if acc.well_id == part.well_id and acc.type == accident_type:
            lo, hi = head_span(acc, cfg)
            y[(part.times_ns >= lo) & (part.times_ns <= hi)] = 1
    return y


def fit_heads(
    parts: list[WellRows],
    accidents: list[Accident],
    types: list[str],
    spec: FeatureSpec,
    cfg: TrainConfig,
) -> dict[str, xgb.Booster]:
    """One precursor head per type of ``types`` that has precursor rows in ``parts``: a
    binary booster, early precursor rows against normal rows, the precursor rows weighing as
    much in total as a fifth of the normal ones (as an accident class does in
    ``fit_classifier``)."""
    X = np.vstack([p.rows for p in parts])
    heads: dict[str, xgb.Booster] = {}
    for accident_type in types:
        y = np.concatenate([head_labels(p, accidents, accident_type, cfg) for p in parts])
        keep = y >= 0
        positives = int((y == 1).sum())
        if positives == 0:
            continue
        negatives = int(keep.sum()) - positives
        weights = np.where(y[keep] == 1, max(1.0, negatives / 5 / positives), 1.0)
        log.info(
            "precursor head %s: %d precursor rows, %d normal", accident_type, positives, negatives
        )
        data = xgb.DMatrix(
            X[keep], label=y[keep], weight=weights, missing=np.nan, feature_names=spec.names()
        )
        params = {
            **booster_params(cfg, cfg.seed),
            "objective": "binary:logistic",
            "eval_metric": "logloss",
        }
        heads[accident_type] = xgb.train(params, data, num_boost_round=cfg.n_estimators)
    return heads


def _record(part: WellRows, i: int, type_: str, to_start_s: float | None) -> dict[str, Any]:
    """What the analogue database keeps about a window besides its features."""
    return {
        "well_id": part.well_id,
        "time": ns_to_iso(int(part.times_ns[i])),
        "type": type_,
        "time_to_start_s": to_start_s,
        "rig_state": RigState(int(part.states[i])).label,
    }


def analogue_database(
    parts: list[WellRows],
    accidents: list[Accident],
    cfg: TrainConfig,
    wells: dict[str, TelemetryBatch] | None = None,
) -> AnalogueDB:
    """Windows in [start - 2 h, end] of every accident (one per ``analogue_stride_s``), with
    type and time to start, plus ``analogue_normals`` windows sampled from normal rows.

    With ``wells`` (the raw telemetry per well), the key channels around every window go
    with it (``models.analogues.Snippets``, saved as ``analogues_snippets.npz``)."""
    rng = np.random.default_rng(cfg.seed)
    keep_rows: list[np.ndarray] = []
    records: list[dict[str, Any]] = []
    normal_pool: list[tuple[WellRows, int]] = []
    every = max(1, round(cfg.analogue_stride_s / cfg.stride_s))
    for part in parts:
        if part.augmented:
            continue
        taken = np.zeros(len(part.times_ns), dtype=bool)
        for acc in (a for a in accidents if a.well_id == part.well_id):
            start = datetime_to_ns(acc.start)
            end = datetime_to_ns(acc.end) if acc.end else start + 1800 * NS
            inside = np.flatnonzero(
                (part.times_ns >= start - int(LOOKBACK.total_seconds()) * NS)
                & (part.times_ns <= end)
            )
            for i in inside[::every]:
                taken[i] = True
                keep_rows.append(part.rows[i])
                records.append(_record(part, i, acc.type, float((start - part.times_ns[i]) / NS)))
        normal_pool.extend(
            (part, int(i))
            for i, label in enumerate(part.labels)
            if label == NORMAL and not taken[i]
        )
    chosen = rng.choice(
        len(normal_pool), size=min(cfg.analogue_normals, len(normal_pool)), replace=False
    )
    for j in sorted(chosen.tolist()):
        part, i = normal_pool[j]
        keep_rows.append(part.rows[i])
        records.append(_record(part, i, NORMAL, None))
    width = parts[0].rows.shape[1] if parts else 0
    rows = np.vstack(keep_rows) if keep_rows else np.empty((0, width))
    db = AnalogueDB.build(rows, records)
    if wells is not None:
        at: dict[str, list[int]] = {}
        for r in records:
            t = datetime_to_ns(datetime.fromisoformat(r["time"]))
            at.setdefault(r["well_id"], []).append(t)
            well = wells.get(r["well_id"])
            if well is not None:
                r["depth_m"] = depth_at(well.times_ns, well.channels, t)
        db.snippets = Snippets.around({w: (b.times_ns, b.channels) for w, b in wells.items()}, at)
    return db


def fit_pairwise_detector(
    parts: list[WellRows],
    booster: xgb.Booster,
    db: AnalogueDB,
    spec: FeatureSpec,
    classes: list[str],
    cfg: TrainConfig,
) -> PairwiseDetector:
    """The paper's similarity model on the classifier's most useful features, trained on
    pairs of training windows with the analogue database's accident windows."""
    names = spec.names()
    columns = top_columns(booster, names, cfg.pair_columns)
    index = np.array([names.index(c) for c in columns], dtype=np.int64)
    refs = References.from_db(db, index, lead_s=cfg.label_lead_s, per_type=cfg.pair_refs_per_type)
    rows = np.vstack([p.rows for p in parts])
    labels = [label for p in parts for label in p.labels]
    keep = np.array([label is not None for label in labels])
    normal = np.flatnonzero(keep & np.array([label == NORMAL for label in labels]))
    rng = np.random.default_rng(cfg.seed)
    if normal.size > cfg.pair_normal_rows:
        keep[normal] = False
        keep[rng.choice(normal, cfg.pair_normal_rows, replace=False)] = True
    chosen = np.flatnonzero(keep)
    z = db.standardise(rows[chosen])[:, index]
    log.info("pairwise similarity: %d windows x %d references", len(chosen), len(refs.types))
    pair_booster = fit_pairwise(
        z,
        [str(labels[i]) for i in chosen],
        refs,
        pairs_per_row=cfg.pairs_per_row,
        seed=cfg.seed,
        n_estimators=cfg.pair_estimators,
    )
    return PairwiseDetector(
        booster=pair_booster,
        columns=columns,
        column_index=index,
        classes=classes,
        top=cfg.pair_top,
        per_type=cfg.pair_refs_per_type,
        lead_s=cfg.label_lead_s,
    )
