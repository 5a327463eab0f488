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
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import xgboost as xgb

from models.analogues import AnalogueDB, Snippets, depth_at
from models.artifact import NORMAL, ModelArtifact, combine_heads, load_model, save_model
from models.channels import ACCIDENT_TYPES
from models.features import DERIVED_CHANNELS, FeatureSpec, decision_ends, features_at, prepare
from models.pairwise import PairwiseDetector, References, fit_pairwise, top_columns
from models.rigstate import RigState
from models.trees import average_boosters
from pipelines.live.alerting import DEFAULT_HOLD_S, gated_out
from pipelines.telemetry import LOOKBACK, Accident, TelemetryBatch, datetime_to_ns, ns_to_iso
from pipelines.training.calibrate import EARLY_WEIGHT, calibrate_fast
from pipelines.training.evaluate import evaluate

log = logging.getLogger(__name__)
NS = 1_000_000_000
DETECTORS = ("classifier", "analogue")  # analogue = the paper's pairwise similarity


@dataclass(frozen=True)
class TrainConfig:
    stride_s: float = 30.0  # between training rows
    live_stride_s: float = 10.0  # between live decisions
    label_lead_s: float = 900.0  # windows ending this long before onset count as the accident
    precursor_max_s: float = 3600.0  # a known precursor is labelled at most this far back
    ignore_before_s: float = 7200.0  # earlier precursor windows are left out, not "normal"
    ignore_after_s: float = 120.0  # then the rig's reaction (trips, refills) is normal
    n_estimators: int = 300
    max_depth: int = 6
    learning_rate: float = 0.1
    # boosters trained with seeds seed, seed + 1, ... and averaged into one (their mean
    # margin, models.trees.average_boosters): one draw's luck weighs 1/members
    members: int = 1
    folds: int = 4  # grouped-by-well cross-validation for calibration and metrics
    validation_fraction: float = 0.25  # kept for callers; folds replace the single split
    threshold: float = 0.5  # before calibration
    false_alarm_budget_per_day: float = 0.1  # on wells the model has never seen
    # thresholds are calibrated out of fold to budget x margin: new wells raise more false
    # alarms than the out-of-fold ones (48 wells: 0.09 / 24 h out of fold, 0.14 pooled
    # over four held-out seeds; docs/experiments/, calibration margin)
    calibration_margin: float = 0.7
    k: int = 3
    n: int = 5
    cooldown_s: float = 1800.0
    dropout_copies: int = 1  # channel-dropout copies of every training well
    dropout_share: float = 0.5  # share of channels removed in a copy
    dropout_stride_s: float = 60.0  # rows of the copies are this far apart
    # extra sensor noise in copies: up to this x each channel's own noise (drawn per copy),
    # so that roughness features do not stand for an accident on a noisier rig
    dropout_noise: float = 1.5
    # calibrate thresholds on the copies' out-of-fold decisions too: twice the normal days,
    # and rigs that send less and noisier data, as the wells the model meets will
    calibrate_on_copies: bool = True
    analogue_stride_s: float = 120.0  # accident windows kept in the analogue database
    analogue_normals: int = 1500
    pair_columns: int = 40  # features of the pairwise similarity model (classifier's top gain)
    pair_refs_per_type: int = 40  # reference accident windows per type
    pair_top: int = 3  # a type's score: mean of the best this many similarities
    pairs_per_row: int = 6  # references each training window is paired with (x2 accidents)
    pair_normal_rows: int = 12000  # normal training windows sampled for pairs
    pair_estimators: int = 200
    # precursor heads (models.artifact.combine_heads): per type, a binary booster of its
    # precursor rows from head_back_s to head_ahead_s before the start against normal rows,
    # trained for these types and kept where they add value out of fold (select_heads)
    heads: tuple[str, ...] = ACCIDENT_TYPES
    head_ahead_s: float = 300.0
    head_back_s: float = 1800.0
    seed: int = 0
    extra: dict[str, Any] = field(default_factory=dict)


NORMAL_RADIUS_S = 300.0  # rows this close to a dismissed alert are normal examples


def positive_span(acc: Accident, cfg: TrainConfig) -> tuple[int, int]:
    """The times (ns) whose windows are labelled as the accident: from ``label_lead_s``
    before its start -- or from its precursor's start, if known and earlier -- to its end."""
    start = datetime_to_ns(acc.start)
    end = datetime_to_ns(acc.end) if acc.end else start + 1800 * NS
    lo = start - int(cfg.label_lead_s * NS)
    if acc.precursor_start is not None:
        earliest = start - int(cfg.precursor_max_s * NS)
        lo = min(lo, max(earliest, datetime_to_ns(acc.precursor_start)))
    return lo, end


def label_rows(
    times_ns: np.ndarray,
    accidents: list[Accident],
    cfg: TrainConfig,
    normals: list[tuple[str, datetime]] | None = None,
) -> list[str | None]:
    """Class per decision time; None = left out of training (ambiguous).

    ``normals``: (well id, time) of dismissed alerts of this well (the caller picks the
    well's, as for ``accidents``): rows within ±5 min of one are normal even inside an
    ignore zone, but never instead of an accident label."""
    labels: list[str | None] = [NORMAL] * len(times_ns)
    for acc in accidents:
        lo, end = positive_span(acc, cfg)
        ignore = (times_ns >= min(lo, datetime_to_ns(acc.start) - cfg.ignore_before_s * NS)) & (
            times_ns <= end + cfg.ignore_after_s * NS
        )
        positive = (times_ns >= lo) & (times_ns <= end)
        for i in np.flatnonzero(ignore):
            labels[i] = acc.type if positive[i] else None
    if normals:
        positive_any = np.zeros(len(times_ns), dtype=bool)
        for acc in accidents:
            lo, end = positive_span(acc, cfg)
            positive_any |= (times_ns >= lo) & (times_ns <= end)
        for _, at in normals:
            near = np.abs(times_ns - datetime_to_ns(at)) <= NORMAL_RADIUS_S * NS
            for i in np.flatnonzero(near & ~positive_any):
                labels[i] = NORMAL
    return labels


@dataclass
class WellRows:
    """Feature rows of one well (or one augmented copy) with what training needs of them."""

    well_id: str
    times_ns: np.ndarray
    rows: np.ndarray
    labels: list[str | None]
    states: np.ndarray  # rig state code at each row
    blocked: list[frozenset[str]]  # accident types gated out at each row (alerting.gated_out)
    copy: int = 0  # 0: the well as recorded; n: its n-th channel-dropout copy

    @property
    def augmented(self) -> bool:
        return self.copy > 0

    @property
    def key(self) -> str:
        """The well id, or for a copy ``<well>~copy<n>``: a well of its own in calibration."""
        return f"{self.well_id}~copy{self.copy}" if self.copy else self.well_id


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
    copy: int = 0,
    normals: list[tuple[str, datetime]] | None = None,
) -> WellRows:
    prepared = prepare(batch.times_ns, batch.channels, spec)
    ends = decision_ends(batch.times_ns, stride_s or cfg.stride_s)
    times = batch.times_ns[ends]
    return WellRows(
        well_id,
        times,
        features_at(prepared, ends, spec),
        label_rows(times, accidents, cfg, normals),
        prepared.states[ends],
        gated_out(batch.times_ns, prepared.states, ends),
        copy,
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
    data = xgb.DMatrix(X, label=y, weight=weights, missing=np.nan, feature_names=spec.names())
    boosters = []
    for member in range(cfg.members):
        if cfg.members > 1:
            log.info("member %d/%d (seed %d)", member + 1, cfg.members, cfg.seed + member)
        params = {
            **_params(cfg, cfg.seed + member),
            "objective": "multi:softprob",
            "num_class": len(classes),
            "eval_metric": "mlogloss",
        }
        boosters.append(xgb.train(params, data, num_boost_round=rounds))
    return average_boosters(boosters)


def _params(cfg: TrainConfig, seed: int) -> dict[str, Any]:
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
    much in total as a fifth of the normal ones (as an accident class does in ``_fit``)."""
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
            **_params(cfg, cfg.seed),
            "objective": "binary:logistic",
            "eval_metric": "logloss",
        }
        heads[accident_type] = xgb.train(params, data, num_boost_round=cfg.n_estimators)
    return heads


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
                _decisions_by_well(parts, variant, classes),
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


def _decisions_by_well(
    parts: list[WellRows], probs: np.ndarray, classes: list[str]
) -> dict[str, tuple[np.ndarray, dict[str, np.ndarray], list[frozenset[str]]]]:
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


def _fit_pairwise(
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
    oof_parts: list[WellRows] = []
    oof_probs: dict[str, list[np.ndarray]] = {d: [] for d in DETECTORS}
    head_types = [t for t in present if t in cfg.heads]
    oof_heads: dict[str, list[np.ndarray]] = {t: [] for t in head_types}
    for f, held in enumerate(folds, start=1):
        train_parts = [p for p in parts if p.well_id not in held]
        log.info("fold %d/%d: holding out %s", f, len(folds), held)
        booster = _fit(train_parts, classes, spec, cfg, cfg.n_estimators)
        fold_db = analogue_database(train_parts, accidents, cfg)
        pairwise = _fit_pairwise(train_parts, booster, fold_db, spec, classes, cfg)
        fold_heads = fit_heads(train_parts, accidents, head_types, spec, cfg)
        for p in parts:
            if p.well_id in held and (cfg.calibrate_on_copies or not p.augmented):
                oof_parts.append(p)
                pred = booster.inplace_predict(p.rows, missing=np.nan)
                oof_probs["classifier"].append(np.asarray(pred).reshape(len(p.rows), len(classes)))
                oof_probs["analogue"].append(pairwise.scores(p.rows, fold_db))
                for t in head_types:
                    head = fold_heads.get(t)
                    oof_heads[t].append(
                        np.asarray(head.inplace_predict(p.rows, missing=np.nan)).reshape(-1)
                        if head is not None
                        else np.zeros(len(p.rows))
                    )
    thresholds: dict[str, dict[str, float]] = {
        d: dict.fromkeys(present, cfg.threshold) for d in DETECTORS
    }
    metrics: dict[str, Any] = {}
    kept_heads: list[str] = []  # none without out-of-fold evidence
    if oof_parts:
        # every validation part is a well of its own (copies under their own keys)
        monitored = {
            p.key: (wells[p.well_id].start, wells[p.well_id].end)
            for p in oof_parts
            if len(wells[p.well_id]) > 0
        }
        oof_accidents = [
            replace(a, well_id=p.key)
            for p in oof_parts
            for a in accidents
            if a.well_id == p.well_id
        ]
        budget = cfg.false_alarm_budget_per_day * cfg.calibration_margin
        head_report = select_heads(
            oof_parts,
            np.vstack(oof_probs["classifier"]),
            classes,
            {t: np.concatenate(v) for t, v in oof_heads.items()},
            oof_accidents,
            monitored,
            cfg,
        )
        kept_heads = [t for t, row in head_report.items() if row["kept"]]
        metrics["precursor_heads"] = head_report
        for name in DETECTORS:
            probs = np.vstack(oof_probs[name])
            if name == "classifier":
                probs = combine_heads(
                    probs, classes, {t: np.concatenate(oof_heads[t]) for t in kept_heads}
                )
            decisions = _decisions_by_well(oof_parts, probs, classes)
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
            oof = evaluate(
                oof_alerts, oof_accidents, monitored, cooldown=timedelta(seconds=cfg.cooldown_s)
            )
            copies = " and their channel-dropout copies" if cfg.calibrate_on_copies else ""
            oof["calibrated_to_per_day"] = budget
            oof["method"] = (
                f"grouped {len(folds)}-fold cross-validation by well, out-of-fold decisions "
                f"every {cfg.stride_s:g} s on the held-out wells{copies}, thresholds "
                "calibrated on them (optimistic)"
            )
            metrics["validation" if name == "classifier" else f"validation_{name}"] = oof
            log.info(
                "out-of-fold %s: recall %s, type accuracy %s, false alarms/day %s",
                name,
                oof["recall"],
                oof["type_accuracy"],
                oof["false_alarms_per_day"],
            )
    log.info("final models on all %d wells", len(well_ids))
    booster = _fit(parts, classes, spec, cfg, cfg.n_estimators)
    heads = fit_heads(parts, accidents, kept_heads, spec, cfg)
    analogues = analogue_database(parts, accidents, cfg, wells=wells)
    pairwise = _fit_pairwise(parts, booster, analogues, spec, classes, cfg)
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
