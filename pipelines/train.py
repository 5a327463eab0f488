"""Training: window features of labelled wells → multiclass XGBoost → model artifact.

Rows come from ``models.features`` (the same code the live stream runs). Wells are split
into training and validation wells (never by time inside a well); the validation wells are
replayed through the live path to measure per-event metrics, which are stored with the model.
"""

from __future__ import annotations

import logging
from collections import Counter
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import xgboost as xgb

from models.artifact import NORMAL, ModelArtifact, load_model, save_model
from models.channels import ACCIDENT_TYPES
from models.features import FeatureSpec, decision_ends, features_at, prepare
from pipelines.alerting import AlertPolicy
from pipelines.backtest import backtest
from pipelines.batch import TelemetryBatch, datetime_to_ns
from pipelines.calibrate import alerts_from_decisions, calibrate_thresholds
from pipelines.evaluate import Accident, evaluate

log = logging.getLogger(__name__)
NS = 1_000_000_000


@dataclass(frozen=True)
class TrainConfig:
    stride_s: float = 30.0  # between training rows
    live_stride_s: float = 10.0  # between live decisions
    label_lead_s: float = 900.0  # windows ending this long before onset count as the accident
    ignore_before_s: float = 7200.0  # earlier precursor windows are left out, not "normal"
    ignore_after_s: float = 1200.0  # rig reaction after the end is left out
    n_estimators: int = 300
    max_depth: int = 6
    learning_rate: float = 0.1
    validation_fraction: float = 0.25
    threshold: float = 0.5  # before calibration
    false_alarm_budget_per_day: float = 0.1
    k: int = 3
    n: int = 5
    cooldown_s: float = 1800.0
    seed: int = 0


def label_rows(
    times_ns: np.ndarray, accidents: list[Accident], cfg: TrainConfig
) -> list[str | None]:
    """Class per decision time; None = left out of training (ambiguous)."""
    labels: list[str | None] = [NORMAL] * len(times_ns)
    for acc in accidents:
        start = datetime_to_ns(acc.start)
        end = datetime_to_ns(acc.end) if acc.end else start + 1800 * NS
        ignore = (times_ns >= start - cfg.ignore_before_s * NS) & (
            times_ns <= end + cfg.ignore_after_s * NS
        )
        positive = (times_ns >= start - cfg.label_lead_s * NS) & (times_ns <= end)
        for i in np.flatnonzero(ignore):
            labels[i] = acc.type if positive[i] else None
    return labels


def build_rows(
    batch: TelemetryBatch, accidents: list[Accident], spec: FeatureSpec, cfg: TrainConfig
) -> tuple[np.ndarray, list[str | None]]:
    prepared = prepare(batch.times_ns, batch.channels, spec)
    ends = decision_ends(batch.times_ns, cfg.stride_s)
    rows = features_at(prepared, ends, spec)
    return rows, label_rows(batch.times_ns[ends], accidents, cfg)


def split_wells(well_ids: list[str], fraction: float, seed: int) -> tuple[list[str], list[str]]:
    ids = sorted(well_ids)
    rng = np.random.default_rng(seed)
    rng.shuffle(ids)
    n_val = max(1, round(len(ids) * fraction)) if len(ids) > 1 else 0
    return sorted(ids[n_val:]), sorted(ids[:n_val])


def train_model(
    wells: dict[str, TelemetryBatch],
    accidents: list[Accident],
    out_dir: Path,
    *,
    cfg: TrainConfig | None = None,
    spec: FeatureSpec | None = None,
    version: str | None = None,
    data_summary: dict | None = None,
) -> ModelArtifact:
    cfg = cfg or TrainConfig()
    spec = spec or FeatureSpec()
    train_ids, val_ids = split_wells(list(wells), cfg.validation_fraction, cfg.seed)
    log.info("training wells %s; validation wells %s", train_ids, val_ids)
    X_parts, y_parts = [], []
    for i, well_id in enumerate(train_ids, start=1):
        rows, row_labels = build_rows(
            wells[well_id], [a for a in accidents if a.well_id == well_id], spec, cfg
        )
        X_parts.append(rows)
        y_parts.extend(row_labels)
        log.info("features %d/%d wells (%s: %d rows)", i, len(train_ids), well_id, len(rows))
    X = np.vstack(X_parts)
    keep = np.array([label is not None for label in y_parts])
    labels: list[str] = [label for label in y_parts if label is not None]
    X = X[keep]
    seen = set(labels) - {NORMAL}
    present = [t for t in ACCIDENT_TYPES if t in seen] + sorted(seen - set(ACCIDENT_TYPES))
    classes = [NORMAL, *present]
    y = np.array([classes.index(label) for label in labels])
    counts = Counter(labels)
    # Balance: every accident class weighs as much in total as a fifth of the normal rows.
    weights = np.array(
        [
            1.0 if label == NORMAL else max(1.0, counts[NORMAL] / 5 / counts[label])
            for label in labels
        ]
    )
    log.info("fitting XGBoost on %d rows x %d features, classes %s", *X.shape, dict(counts))
    booster = xgb.train(
        {
            "objective": "multi:softprob",
            "num_class": len(classes),
            "max_depth": cfg.max_depth,
            "eta": cfg.learning_rate,
            "subsample": 0.8,
            "colsample_bytree": 0.5,
            "min_child_weight": 2.0,
            "tree_method": "hist",
            "nthread": 2,
            "seed": cfg.seed,
            "eval_metric": "mlogloss",
        },
        xgb.DMatrix(X, label=y, weight=weights, missing=np.nan, feature_names=spec.names()),
        num_boost_round=cfg.n_estimators,
    )
    version = version or datetime.now(UTC).strftime("clf-%Y%m%dT%H%M%SZ")
    meta = {
        "version": version,
        "detector": "classifier",
        "features": spec.names(),
        "channels": list(spec.channels),
        "windows_s": list(spec.windows),
        "classes": classes,
        "thresholds": {c: cfg.threshold for c in present},
        "stride_seconds": cfg.live_stride_s,
        "training": {
            **(data_summary or {}),
            "train_wells": train_ids,
            "validation_wells": val_ids,
            "rows": int(X.shape[0]),
            "rows_per_class": dict(counts),
            "config": asdict(cfg),
        },
        "metrics": {},
    }
    save_model(booster, meta, out_dir)
    model = load_model(out_dir)
    if val_ids:
        log.info("replaying %d validation wells through the live path", len(val_ids))
        val_accidents = [a for a in accidents if a.well_id in val_ids]
        result = backtest(model, {w: wells[w] for w in val_ids}, val_accidents)
        thresholds = calibrate_thresholds(
            result.decisions,
            val_accidents,
            result.monitored,
            present,
            budget_per_day=cfg.false_alarm_budget_per_day,
            k=cfg.k,
            n=cfg.n,
            cooldown_s=cfg.cooldown_s,
        )
        meta["thresholds"] = thresholds
        policy = AlertPolicy(
            thresholds=thresholds, k=cfg.k, n=cfg.n, cooldown_s=cfg.cooldown_s
        )
        metrics = evaluate(
            alerts_from_decisions(result.decisions, policy),
            val_accidents,
            result.monitored,
            cooldown=timedelta(seconds=cfg.cooldown_s),
        )
        meta["metrics"] = {"validation": metrics}
        save_model(booster, meta, out_dir)
        model = load_model(out_dir)
        log.info(
            "validation (thresholds calibrated on it): recall %s, type accuracy %s, "
            "false alarms/day %s",
            metrics["recall"],
            metrics["type_accuracy"],
            metrics["false_alarms_per_day"],
        )
    return model
