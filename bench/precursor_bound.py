"""How early can an accident type be warned of at all? Precursor heads alone, out of fold.

    .venv/bin/python bench/precursor_bound.py --data var/a,var/b [--types kick,pack_off]

For each type, the precursor heads of ``pipelines.train`` (a binary booster of the type's
precursor rows 30-5 min before its start against normal rows; ``fit_heads``) are trained
in grouped 4-fold cross-validation by well on simulator output directories (with
``manifest.json``, for the precursor starts), and their out-of-fold scores alone are run
through the alert logic at a sweep of thresholds (one vote, 30-min cool-down, rig-state
gating as live). Per threshold it prints the false alarms (BRIEF §5, per 24 h outside
every accident's window), the type's recall and how many of its accidents were warned of
at least 5 min ahead: the share the classifier could reach with the head's help, and the
false alarms it would cost. A median lead of 5 min needs more than half.
"""

from __future__ import annotations

import argparse
import logging
import os
from datetime import timedelta
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "2")

import numpy as np

from models.artifact import BUNDLED_DIR, load_model
from pipelines.calibrate import type_alerts
from pipelines.evaluate import Accident, evaluate
from pipelines.files import read_dataset
from pipelines.simulate import with_precursors
from pipelines.train import TrainConfig, WellRows, fit_heads, grouped_folds, well_rows

THRESHOLDS = (0.3, 0.5, 0.7, 0.8, 0.9, 0.95, 0.98, 0.99)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", required=True, help="comma-separated simulator output dirs")
    parser.add_argument("--types", default="kick,lost_circulation,pack_off")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    spec = load_model(BUNDLED_DIR).spec
    cfg = TrainConfig()
    wells, accidents = {}, []
    for directory in args.data.split(","):
        found, acc = read_dataset(Path(directory))
        wells.update(found)
        accidents += with_precursors(acc, Path(directory))
    ids = sorted(wells)
    parts: dict[str, WellRows] = {}
    for i, well_id in enumerate(ids, start=1):
        own = [a for a in accidents if a.well_id == well_id]
        parts[well_id] = well_rows(well_id, wells[well_id], own, spec, cfg)
        logging.info("features %d/%d wells", i, len(ids))
    types = args.types.split(",")
    scores: dict[str, dict[str, np.ndarray]] = {t: {} for t in types}
    for f, held in enumerate(grouped_folds(ids, cfg.folds, cfg.seed), start=1):
        logging.info("fold %d/%d", f, cfg.folds)
        train = [parts[w] for w in ids if w not in held]
        heads = fit_heads(train, accidents, types, spec, cfg)
        for t in types:
            for w in held:
                head = heads.get(t)
                scores[t][w] = (
                    np.asarray(head.inplace_predict(parts[w].rows, missing=np.nan))
                    if head is not None
                    else np.zeros(len(parts[w].rows))
                )
    monitored = {w: (wells[w].start, wells[w].end) for w in ids}
    for t in types:
        count = sum(a.type == t for a in accidents)
        print(f"\n{t}: {count} accidents on {len(ids)} wells, the precursor head alone")
        print(f"{'threshold':>9} {'false alarms':>12} {'/24 h':>6} {'recall':>6} {'>= 5 min':>9}")
        for threshold in THRESHOLDS:
            met = _alerts_metrics(t, threshold, parts, scores[t], accidents, monitored, cfg)
            row = met["per_type"].get(t, {})
            print(
                f"{threshold:>9} {met['false_alarms']:>12} {met['false_alarms_per_day']:>6.2f} "
                f"{row.get('recall') or 0:>6.2f} {row.get('early', 0):>5}/{count}"
            )
    return 0


def _alerts_metrics(
    accident_type: str,
    threshold: float,
    parts: dict[str, WellRows],
    scores: dict[str, np.ndarray],
    accidents: list[Accident],
    monitored: dict,
    cfg: TrainConfig,
) -> dict:
    decisions = {
        w: (part.times_ns, {accident_type: scores[w]}, part.blocked) for w, part in parts.items()
    }
    alerts = type_alerts(decisions, accident_type, threshold, k=1, n=1, cooldown_s=cfg.cooldown_s)
    return evaluate(alerts, accidents, monitored, cooldown=timedelta(seconds=cfg.cooldown_s))


if __name__ == "__main__":
    raise SystemExit(main())
