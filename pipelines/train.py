"""Training: window features of labelled wells → multiclass XGBoost → model artifact.

Rows come from ``models.features`` (the same code the live stream runs). The steps:

1. Feature rows every ``stride_s`` for every well, labelled by ``label_rows``; each well is
   also copied with channel dropout (a random half of its channels removed, sometimes
   resampled every ~5 s with jitter) so the model learns to use whatever a rig sends.
2. Grouped-by-well cross-validation: each fold's model predicts the wells it never saw;
   the per-type alert thresholds are calibrated on these out-of-fold decisions to the false
   alarm budget, and the out-of-fold per-event metrics are stored with the model.
3. The final model is trained on every well; an analogue database (precursor and onset
   windows of every accident plus sampled normal windows) is saved beside it.
"""

from __future__ import annotations

import logging
from collections import Counter
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import xgboost as xgb

from models.analogues import AnalogueDB
from models.artifact import NORMAL, ModelArtifact, load_model, save_model
from models.channels import ACCIDENT_TYPES
from models.features import DERIVED_CHANNELS, FeatureSpec, decision_ends, features_at, prepare
from models.rigstate import RigState
from pipelines.alerting import DEFAULT_GATING
from pipelines.batch import TelemetryBatch, datetime_to_ns, ns_to_iso
from pipelines.calibrate import calibrate_fast
from pipelines.evaluate import LOOKBACK, Accident, evaluate

log = logging.getLogger(__name__)
NS = 1_000_000_000
DETECTORS = ("classifier", "analogue")


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
    folds: int = 4  # grouped-by-well cross-validation for calibration and metrics
    validation_fraction: float = 0.25  # kept for callers; folds replace the single split
    threshold: float = 0.5  # before calibration
    false_alarm_budget_per_day: float = 0.1
    k: int = 3
    n: int = 5
    cooldown_s: float = 1800.0
    dropout_copies: int = 1  # channel-dropout copies of every training well
    dropout_share: float = 0.5  # share of channels removed in a copy
    dropout_stride_s: float = 60.0  # rows of the copies are this far apart
    dropout_noise: float = 0.0  # extra sensor noise in copies, x each channel's own noise
    analogue_stride_s: float = 120.0  # accident windows kept in the analogue database
    analogue_normals: int = 1500
    seed: int = 0
    extra: dict[str, Any] = field(default_factory=dict)


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


@dataclass
class WellRows:
    """Feature rows of one well (or one augmented copy) with what training needs of them."""

    well_id: str
    times_ns: np.ndarray
    rows: np.ndarray
    labels: list[str | None]
    states: np.ndarray  # rig state code at each row
    augmented: bool = False


def build_rows(
    batch: TelemetryBatch, accidents: list[Accident], spec: FeatureSpec, cfg: TrainConfig
) -> tuple[np.ndarray, list[str | None]]:
    rows = well_rows("", batch, accidents, spec, cfg)
    return rows.rows, rows.labels


def well_rows(
    well_id: str,
    batch: TelemetryBatch,
    accidents: list[Accident],
    spec: FeatureSpec,
    cfg: TrainConfig,
    *,
    stride_s: float | None = None,
    augmented: bool = False,
) -> WellRows:
    prepared = prepare(batch.times_ns, batch.channels, spec)
    ends = decision_ends(batch.times_ns, stride_s or cfg.stride_s)
    times = batch.times_ns[ends]
    return WellRows(
        well_id,
        times,
        features_at(prepared, ends, spec),
        label_rows(times, accidents, cfg),
        prepared.states[ends],
        augmented,
    )


def sample_noise(values: np.ndarray) -> float:
    """A channel's sample-to-sample noise: robust SD of first differences / sqrt(2)."""
    diff = np.diff(values[np.isfinite(values)])
    if diff.size < 2:
        return 0.0
    mad = float(np.median(np.abs(diff - np.median(diff))))
    return 1.4826 * mad / np.sqrt(2.0)


def channel_dropout(
    batch: TelemetryBatch,
    rng: np.random.Generator,
    *,
    share: float,
    resample: bool,
    noise: float = 0.0,
) -> TelemetryBatch:
    """A copy of the well with a random ``share`` of its channels removed, with ``resample``
    only one sample every ~5 s kept (irregular: 3-7 s apart), and with ``noise`` > 0 extra
    Gaussian noise of ``noise`` x each channel's own sample noise added."""
    names = sorted(batch.channels)
    drop = set(rng.choice(names, size=round(len(names) * share), replace=False).tolist())
    channels = {k: v for k, v in batch.channels.items() if k not in drop}
    if noise > 0:
        channels = {
            k: v + rng.normal(0.0, noise * sample_noise(v) + 1e-12, v.shape)
            for k, v in channels.items()
        }
    out = TelemetryBatch(batch.times_ns, channels)
    if resample and len(batch) > 2:
        step = rng.integers(3, 8, size=len(batch) // 3 + 1)
        idx = np.cumsum(step)
        idx = idx[idx < len(batch)]
        out = out.select(idx)
    return out


def _fit(
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
    return xgb.train(
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
        num_boost_round=rounds,
    )


def grouped_folds(well_ids: list[str], folds: int, seed: int) -> list[list[str]]:
    """Wells dealt into ``folds`` groups (shuffled, deterministic); never split inside a well."""
    ids = sorted(well_ids)
    rng = np.random.default_rng(seed)
    rng.shuffle(ids)
    k = max(1, min(folds, len(ids)))
    return [sorted(ids[i::k]) for i in range(k)]


def split_wells(well_ids: list[str], fraction: float, seed: int) -> tuple[list[str], list[str]]:
    ids = sorted(well_ids)
    rng = np.random.default_rng(seed)
    rng.shuffle(ids)
    n_val = max(1, round(len(ids) * fraction)) if len(ids) > 1 else 0
    return sorted(ids[n_val:]), sorted(ids[:n_val])


def analogue_database(
    parts: list[WellRows], accidents: list[Accident], cfg: TrainConfig
) -> AnalogueDB:
    """Windows in [start - 2 h, end] of every accident (one per ``analogue_stride_s``), with
    type and time to start, plus ``analogue_normals`` windows sampled from normal rows."""
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
                records.append(
                    {
                        "well_id": part.well_id,
                        "time": ns_to_iso(int(part.times_ns[i])),
                        "type": acc.type,
                        "time_to_start_s": float((start - part.times_ns[i]) / NS),
                        "rig_state": RigState(int(part.states[i])).label,
                    }
                )
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
        records.append(
            {
                "well_id": part.well_id,
                "time": ns_to_iso(int(part.times_ns[i])),
                "type": NORMAL,
                "time_to_start_s": None,
                "rig_state": RigState(int(part.states[i])).label,
            }
        )
    width = parts[0].rows.shape[1] if parts else 0
    rows = np.vstack(keep_rows) if keep_rows else np.empty((0, width))
    return AnalogueDB.build(rows, records)


def _decisions_by_well(
    parts: list[WellRows], probs: np.ndarray, classes: list[str]
) -> dict[str, tuple[np.ndarray, dict[str, np.ndarray], np.ndarray]]:
    out = {}
    at = 0
    for part in parts:
        p = probs[at : at + len(part.times_ns)]
        at += len(part.times_ns)
        states = np.array([RigState(int(s)).label for s in part.states], dtype=object)
        out[part.well_id] = (part.times_ns, {c: p[:, j] for j, c in enumerate(classes)}, states)
    return out


def train_model(
    wells: dict[str, TelemetryBatch],
    accidents: list[Accident],
    out_dir: Path,
    *,
    cfg: TrainConfig | None = None,
    spec: FeatureSpec | None = None,
    version: str | None = None,
    data_summary: dict | None = None,
    detector: str = "classifier",
) -> ModelArtifact:
    """Train, calibrate on out-of-fold predictions, save to ``out_dir`` and load it back.

    ``detector``: ``classifier`` (multiclass XGBoost over window features) or ``analogue``
    (the same classifier's alerts typed by the majority of the nearest analogues).
    """
    if detector not in DETECTORS:
        raise ValueError(f"detector {detector!r} is not one of {DETECTORS}")
    cfg = cfg or TrainConfig()
    spec = spec or FeatureSpec()
    rng = np.random.default_rng(cfg.seed)
    well_ids = sorted(wells)
    parts: list[WellRows] = []
    for i, well_id in enumerate(well_ids, start=1):
        own = [a for a in accidents if a.well_id == well_id]
        parts.append(well_rows(well_id, wells[well_id], own, spec, cfg))
        for _ in range(cfg.dropout_copies):
            copy = channel_dropout(
                wells[well_id],
                rng,
                share=cfg.dropout_share,
                resample=bool(rng.random() < 0.5),
                noise=cfg.dropout_noise,
            )
            parts.append(
                well_rows(
                    well_id, copy, own, spec, cfg, stride_s=cfg.dropout_stride_s, augmented=True
                )
            )
        log.info("features %d/%d wells (%s)", i, len(well_ids), well_id)
    all_labels = {label for p in parts for label in p.labels if label is not None}
    seen = all_labels - {NORMAL}
    present = [t for t in ACCIDENT_TYPES if t in seen] + sorted(seen - set(ACCIDENT_TYPES))
    classes = [NORMAL, *present]

    # Grouped-by-well cross-validation: out-of-fold decisions for calibration and metrics.
    folds = grouped_folds(well_ids, cfg.folds, cfg.seed) if len(well_ids) > 1 else []
    oof_parts: list[WellRows] = []
    oof_probs: list[np.ndarray] = []
    for f, held in enumerate(folds, start=1):
        train_parts = [p for p in parts if p.well_id not in held]
        log.info("fold %d/%d: holding out %s", f, len(folds), held)
        booster = _fit(train_parts, classes, spec, cfg, cfg.n_estimators)
        for p in parts:
            if p.well_id in held and not p.augmented:
                oof_parts.append(p)
                pred = booster.inplace_predict(p.rows, missing=np.nan)
                oof_probs.append(np.asarray(pred).reshape(len(p.rows), len(classes)))
    thresholds = {c: cfg.threshold for c in present}
    metrics: dict[str, Any] = {}
    if oof_parts:
        decisions = _decisions_by_well(oof_parts, np.vstack(oof_probs), classes)
        monitored = {w: (wells[w].start, wells[w].end) for w in well_ids if len(wells[w]) > 0}
        # Training rows are cfg.stride_s apart; the live k-of-n over live_stride_s spans
        # about the same time as one training row, so calibration alerts on one vote.
        thresholds, oof_alerts = calibrate_fast(
            decisions,
            accidents,
            monitored,
            present,
            budget_per_day=cfg.false_alarm_budget_per_day,
            k=1,
            n=1,
            cooldown_s=cfg.cooldown_s,
            gating=DEFAULT_GATING,
        )
        oof = evaluate(oof_alerts, accidents, monitored, cooldown=timedelta(seconds=cfg.cooldown_s))
        oof["method"] = (
            f"grouped {len(folds)}-fold cross-validation by well, out-of-fold decisions every "
            f"{cfg.stride_s:g} s, thresholds calibrated on them (optimistic)"
        )
        metrics["validation"] = oof
        log.info(
            "out-of-fold: recall %s, type accuracy %s, false alarms/day %s",
            oof["recall"],
            oof["type_accuracy"],
            oof["false_alarms_per_day"],
        )
    booster = _fit(parts, classes, spec, cfg, cfg.n_estimators)
    analogues = analogue_database(parts, accidents, cfg)
    version = version or datetime.now(UTC).strftime("clf-%Y%m%dT%H%M%SZ")
    counts = Counter(label for p in parts for label in p.labels if label is not None)
    meta = {
        "version": version,
        "detector": detector,
        "features": spec.names(),
        "channels": list(spec.channels),
        "windows_s": list(spec.windows),
        "classes": classes,
        "thresholds": thresholds,
        "stride_seconds": cfg.live_stride_s,
        "training": {
            **(data_summary or {}),
            "wells": well_ids,
            "train_wells": well_ids,
            "validation_wells": [w for fold in folds for w in sorted(fold)],
            "folds": folds,
            "rows": int(sum(counts.values())),
            "rows_per_class": dict(counts),
            "augmentation": {
                "dropout_copies": cfg.dropout_copies,
                "dropout_share": cfg.dropout_share,
                "derived_channels": list(DERIVED_CHANNELS),
            },
            "config": asdict(cfg),
        },
        "metrics": metrics,
    }
    save_model(booster, meta, out_dir, analogues=analogues)
    return load_model(out_dir)
