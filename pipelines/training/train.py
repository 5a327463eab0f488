"""Training: window features of labelled wells → multiclass XGBoost → model artifact.

Rows come from ``models.features`` (the same code the live stream runs). The steps:

1. Feature rows every ``stride_s`` for every well, labelled by ``label_rows``; each well is
   also copied with channel dropout (a random half of its channels removed, sometimes
   resampled every ~5 s with jitter) so the model learns to use whatever a rig sends
   (``pipelines.training.rows``).
2. Grouped-by-well cross-validation: each fold's model predicts the wells it never saw;
   the per-type alert thresholds are calibrated on these out-of-fold decisions to the false
   alarm budget, and the out-of-fold per-event metrics are stored with the model
   (``pipelines.training.crossval``).
3. The final model is trained on every well; an analogue database (precursor and onset
   windows of every accident plus sampled normal windows) is saved beside it
   (``pipelines.training.fit``).

The names of those modules a caller needs are importable from here too.
"""

from __future__ import annotations

import logging
from collections import Counter
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from models.artifact import NORMAL, ModelArtifact, load_model, save_model
from models.channels import ACCIDENT_TYPES
from models.features import DERIVED_CHANNELS, FeatureSpec
from pipelines.live.alerting import DEFAULT_HOLD_S
from pipelines.telemetry import Accident, TelemetryBatch
from pipelines.training.config import DETECTORS, NS, TrainConfig
from pipelines.training.crossval import (
    calibrate_out_of_fold,
    grouped_folds,
    out_of_fold,
    select_heads,
    split_wells,
)
from pipelines.training.fit import (
    analogue_database,
    fit_classifier,
    fit_heads,
    fit_pairwise_detector,
    head_labels,
    head_span,
)
from pipelines.training.rows import (
    NORMAL_RADIUS_S,
    WellRows,
    build_rows,
    channel_dropout,
    label_rows,
    positive_span,
    sample_noise,
    well_rows,
)

__all__ = [
    "DETECTORS",
    "NORMAL_RADIUS_S",
    "NS",
    "TrainConfig",
    "WellRows",
    "analogue_database",
    "build_rows",
    "channel_dropout",
    "fit_heads",
    "grouped_folds",
    "head_labels",
    "head_span",
    "label_rows",
    "positive_span",
    "sample_noise",
    "select_heads",
    "split_wells",
    "train_model",
    "well_rows",
]

log = logging.getLogger(__name__)


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
    normals: list[tuple[str, datetime]] | None = None,
) -> ModelArtifact:
    """Train, calibrate on out-of-fold predictions, save to ``out_dir`` and load it back.

    ``normals``: (well id, time) of dismissed alerts: normal examples (see ``label_rows``).

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
        own_normals = [n for n in normals or [] if n[0] == well_id]
        parts.append(well_rows(well_id, wells[well_id], own, spec, cfg, normals=own_normals))
        for copy_no in range(1, cfg.dropout_copies + 1):
            copy = channel_dropout(
                wells[well_id],
                rng,
                share=cfg.dropout_share,
                resample=bool(rng.random() < 0.5),
                noise=float(rng.uniform(0.0, cfg.dropout_noise)),
            )
            parts.append(
                well_rows(
                    well_id,
                    copy,
                    own,
                    spec,
                    cfg,
                    stride_s=cfg.dropout_stride_s,
                    copy=copy_no,
                    normals=own_normals,
                )
            )
        log.info("features %d/%d wells (%s)", i, len(well_ids), well_id)
    all_labels = {label for p in parts for label in p.labels if label is not None}
    seen = all_labels - {NORMAL}
    present = [t for t in ACCIDENT_TYPES if t in seen] + sorted(seen - set(ACCIDENT_TYPES))
    classes = [NORMAL, *present]

    # Grouped-by-well cross-validation: out-of-fold decisions of both detectors for
    # calibration and metrics.
    folds = grouped_folds(well_ids, cfg.folds, cfg.seed) if len(well_ids) > 1 else []
    head_types = [t for t in present if t in cfg.heads]
    oof = out_of_fold(parts, accidents, folds, classes, head_types, spec, cfg)
    thresholds, metrics, kept_heads = calibrate_out_of_fold(
        oof, wells, accidents, folds, classes, present, cfg
    )
    log.info("final models on all %d wells", len(well_ids))
    booster = fit_classifier(parts, classes, spec, cfg, cfg.n_estimators)
    heads = fit_heads(parts, accidents, kept_heads, spec, cfg)
    analogues = analogue_database(parts, accidents, cfg, wells=wells)
    pairwise = fit_pairwise_detector(parts, booster, analogues, spec, classes, cfg)
    version = version or datetime.now(UTC).strftime("clf-%Y%m%dT%H%M%SZ")
    counts = Counter(label for p in parts for label in p.labels if label is not None)
    meta = {
        "version": version,
        "detector": detector,
        "features": spec.names(),
        "channels": list(spec.channels),
        "windows_s": list(spec.windows),
        "classes": classes,
        "thresholds": thresholds["classifier"],
        "hold_s": dict(DEFAULT_HOLD_S),  # what the thresholds were calibrated with
        "pairwise": {
            **pairwise.meta(),
            "thresholds": thresholds["analogue"],
            "hold_s": dict(DEFAULT_HOLD_S),
        },
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
                "dropout_noise_max": cfg.dropout_noise,
                "derived_channels": list(DERIVED_CHANNELS),
            },
            "config": asdict(cfg),
        },
        "metrics": metrics,
    }
    save_model(booster, meta, out_dir, analogues=analogues, pairwise=pairwise.booster, heads=heads)
    return load_model(out_dir)
