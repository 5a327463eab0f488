"""Grouped-by-well cross-validation: out-of-fold decisions of every detector, the precursor
heads that earn their place out of fold, and alert thresholds calibrated on those decisions
to the false-alarm budget, with the out-of-fold per-event metrics."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

import numpy as np

from models.artifact import combine_heads
from models.features import FeatureSpec
from pipelines.live.alerting import DEFAULT_HOLD_S
from pipelines.telemetry import Accident, TelemetryBatch
from pipelines.training.calibrate import EARLY_WEIGHT, calibrate_fast
from pipelines.training.config import DETECTORS, TrainConfig
from pipelines.training.evaluate import evaluate
from pipelines.training.fit import (
    analogue_database,
    fit_classifier,
    fit_heads,
    fit_pairwise_detector,
)
from pipelines.training.rows import WellRows

log = logging.getLogger(__name__)


def select_heads(
    parts: list[WellRows],
    probs: np.ndarray,
    classes: list[str],
    head_scores: dict[str, np.ndarray],
    accidents: list[Accident],
    monitored: dict[str, tuple[datetime, datetime]],
    cfg: TrainConfig,
) -> dict[str, dict[str, Any]]:
    """Which precursor heads earn their place, judged out of fold type by type: each type's
    alerts at its lowest threshold without a false alarm (``calibrate_fast`` with no budget),
    from the classifier alone and from the classifier with the head (``combine_heads``).
    A head is kept when it adds value as calibration counts it (accidents caught, plus
    ``EARLY_WEIGHT`` for each warned of ``EARLY_MIN`` ahead). ``probs``: the classifier's
    out-of-fold probabilities of the rows of ``parts``, one after the other; ``head_scores``:
    per type, its head's out-of-fold scores of the same rows."""
    report: dict[str, dict[str, Any]] = {}
    for accident_type, score in head_scores.items():
        values = []
        for variant in (probs, combine_heads(probs, classes, {accident_type: score})):
            _, alerts = calibrate_fast(
                decisions_by_well(parts, variant, classes),
                accidents,
                monitored,
                [accident_type],
                budget_per_day=0.0,
                k=1,
                n=1,
                cooldown_s=cfg.cooldown_s,
            )
            metrics = evaluate(
                alerts, accidents, monitored, cooldown=timedelta(seconds=cfg.cooldown_s)
            )
            row = metrics["per_type"].get(accident_type, {})
            values.append(row.get("detected", 0) + EARLY_WEIGHT * row.get("early", 0))
        kept = values[1] > values[0]
        report[accident_type] = {"without": values[0], "with": values[1], "kept": kept}
        log.info(
            "precursor head %s: value %.1f without, %.1f with -> %s",
            accident_type,
            values[0],
            values[1],
            "kept" if kept else "dropped",
        )
    return report


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


def decisions_by_well(
    parts: list[WellRows], probs: np.ndarray, classes: list[str]
) -> dict[str, tuple[np.ndarray, dict[str, np.ndarray], list[frozenset[str]]]]:
    """Out-of-fold scores of the rows of ``parts`` (one after the other) as the decision
    arrays ``calibrate_fast`` takes, every part a well of its own (``WellRows.key``)."""
    out = {}
    at = 0
    for part in parts:
        p = probs[at : at + len(part.times_ns)]
        at += len(part.times_ns)
        out[part.key] = (
            part.times_ns,
            {c: p[:, j] for j, c in enumerate(classes)},
            part.blocked,
        )
    return out


@dataclass
class OutOfFold:
    """Out-of-fold scores of the held-out rows: per detector and per precursor head type,
    one array per part of ``parts``."""

    parts: list[WellRows] = field(default_factory=list)
    probs: dict[str, list[np.ndarray]] = field(default_factory=dict)
    heads: dict[str, list[np.ndarray]] = field(default_factory=dict)


def out_of_fold(
    parts: list[WellRows],
    accidents: list[Accident],
    folds: list[list[str]],
    classes: list[str],
    head_types: list[str],
    spec: FeatureSpec,
    cfg: TrainConfig,
) -> OutOfFold:
    """Each fold's detectors and precursor heads, trained on the other folds' wells, score
    the fold's wells (and their channel-dropout copies with ``calibrate_on_copies``)."""
    oof = OutOfFold(probs={d: [] for d in DETECTORS}, heads={t: [] for t in head_types})
    for f, held in enumerate(folds, start=1):
        train_parts = [p for p in parts if p.well_id not in held]
        log.info("fold %d/%d: holding out %s", f, len(folds), held)
        booster = fit_classifier(train_parts, classes, spec, cfg, cfg.n_estimators)
        fold_db = analogue_database(train_parts, accidents, cfg)
        pairwise = fit_pairwise_detector(train_parts, booster, fold_db, spec, classes, cfg)
        fold_heads = fit_heads(train_parts, accidents, head_types, spec, cfg)
        for p in parts:
            if p.well_id in held and (cfg.calibrate_on_copies or not p.augmented):
                oof.parts.append(p)
                pred = booster.inplace_predict(p.rows, missing=np.nan)
                oof.probs["classifier"].append(np.asarray(pred).reshape(len(p.rows), len(classes)))
                oof.probs["analogue"].append(pairwise.scores(p.rows, fold_db))
                for t in head_types:
                    head = fold_heads.get(t)
                    oof.heads[t].append(
                        np.asarray(head.inplace_predict(p.rows, missing=np.nan)).reshape(-1)
                        if head is not None
                        else np.zeros(len(p.rows))
                    )
    return oof


def calibrate_out_of_fold(
    oof: OutOfFold,
    wells: dict[str, TelemetryBatch],
    accidents: list[Accident],
    folds: list[list[str]],
    classes: list[str],
    present: list[str],
    cfg: TrainConfig,
) -> tuple[dict[str, dict[str, float]], dict[str, Any], list[str]]:
    """Per detector, alert thresholds calibrated on the out-of-fold decisions to the false
    alarm budget x ``calibration_margin``; the metrics (out-of-fold per-event metrics of each
    detector at its thresholds, the precursor heads' report); the heads kept. Without
    out-of-fold decisions: ``cfg.threshold`` for every type, no metrics and no heads."""
    thresholds: dict[str, dict[str, float]] = {
        d: dict.fromkeys(present, cfg.threshold) for d in DETECTORS
    }
    metrics: dict[str, Any] = {}
    kept_heads: list[str] = []  # none without out-of-fold evidence
    if not oof.parts:
        return thresholds, metrics, kept_heads
    # every validation part is a well of its own (copies under their own keys)
    monitored = {
        p.key: (wells[p.well_id].start, wells[p.well_id].end)
        for p in oof.parts
        if len(wells[p.well_id]) > 0
    }
    oof_accidents = [
        replace(a, well_id=p.key) for p in oof.parts for a in accidents if a.well_id == p.well_id
    ]
    budget = cfg.false_alarm_budget_per_day * cfg.calibration_margin
    head_report = select_heads(
        oof.parts,
        np.vstack(oof.probs["classifier"]),
        classes,
        {t: np.concatenate(v) for t, v in oof.heads.items()},
        oof_accidents,
        monitored,
        cfg,
    )
    kept_heads = [t for t, row in head_report.items() if row["kept"]]
    metrics["precursor_heads"] = head_report
    for name in DETECTORS:
        probs = np.vstack(oof.probs[name])
        if name == "classifier":
            probs = combine_heads(
                probs, classes, {t: np.concatenate(oof.heads[t]) for t in kept_heads}
            )
        decisions = decisions_by_well(oof.parts, probs, classes)
        # Training rows are cfg.stride_s apart; the live k-of-n over live_stride_s spans
        # about the same time as one training row, so calibration alerts on one vote.
        thresholds[name], oof_alerts = calibrate_fast(
            decisions,
            oof_accidents,
            monitored,
            present,
            budget_per_day=budget,
            k=1,
            n=1,
            cooldown_s=cfg.cooldown_s,
            hold_s=DEFAULT_HOLD_S,
        )
        validation = evaluate(
            oof_alerts, oof_accidents, monitored, cooldown=timedelta(seconds=cfg.cooldown_s)
        )
        copies = " and their channel-dropout copies" if cfg.calibrate_on_copies else ""
        validation["calibrated_to_per_day"] = budget
        validation["method"] = (
            f"grouped {len(folds)}-fold cross-validation by well, out-of-fold decisions "
            f"every {cfg.stride_s:g} s on the held-out wells{copies}, thresholds "
            "calibrated on them (optimistic)"
        )
        metrics["validation" if name == "classifier" else f"validation_{name}"] = validation
        log.info(
            "out-of-fold %s: recall %s, type accuracy %s, false alarms/day %s",
            name,
            validation["recall"],
            validation["type_accuracy"],
            validation["false_alarms_per_day"],
        )
    return thresholds, metrics, kept_heads
