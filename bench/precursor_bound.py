"""How early can an accident type be warned of at all? Precursor heads alone, out of fold.

    .venv/bin/python bench/precursor_bound.py --data var/a,var/b [--types kick,pack_off]

For each type, the precursor heads of ``pipelines.training.train`` (a binary booster of the type's
precursor rows 30-5 min before its start against normal rows; ``fit_heads``) are trained
in grouped 4-fold cross-validation by well on simulator output directories (with
``manifest.json``, for the precursor starts), and their out-of-fold scores alone are run
through the alert logic at a sweep of thresholds (one vote, 30-min cool-down, rig-state
gating as live). Per threshold it prints the false alarms (docs/domain.md §5, per 24 h outside
every accident's window), the type's recall and how many of its accidents were warned of
at least 5 min ahead: the share the classifier could reach with the head's help, and the
false alarms it would cost. A median lead of 5 min needs more than half.

    .venv/bin/python bench/precursor_bound.py --data var/a,var/b --pit-drop 10,20,30

instead scores losses by one physical signal, no model: the drop of the active pit over
the last N minutes of pumping, once as recorded and once corrected for the mud that fills
the new hole (the simulator's true capacity per metre from ``manifest.json``, an oracle a
live well does not have), run through the same alert logic at thresholds in m3.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
from datetime import timedelta
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "2")

import numpy as np
import pandas as pd

from models.artifact import BUNDLED_DIR, load_model
from models.features import FeatureSpec, decision_ends, prepare
from pipelines.formats.files import read_dataset
from pipelines.live.alerting import gated_out
from pipelines.simulate import with_precursors
from pipelines.telemetry import Accident
from pipelines.training.calibrate import type_alerts
from pipelines.training.evaluate import evaluate
from pipelines.training.train import TrainConfig, WellRows, fit_heads, grouped_folds, well_rows

THRESHOLDS = (0.3, 0.5, 0.7, 0.8, 0.9, 0.95, 0.98, 0.99)
PIT_THRESHOLDS_M3 = (0.5, 1.0, 1.5, 2.0, 3.0, 4.0)
PUMPING_LPM = 300.0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", required=True, help="comma-separated simulator output dirs")
    parser.add_argument("--types", default="kick,lost_circulation,pack_off")
    parser.add_argument("--pit-drop", help="comma-separated windows in minutes (losses only)")
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
    monitored = {w: (wells[w].start, wells[w].end) for w in ids}
    if args.pit_drop:
        capacity = {}
        for directory in args.data.split(","):
            for well in json.loads((Path(directory) / "manifest.json").read_text())["wells"]:
                capacity[well["profile"]["well_id"]] = well["profile"]["hole_m3_per_m"]
        windows = [int(m) for m in args.pit_drop.split(",")]
        _pit_drop_bound(wells, capacity, windows, accidents, monitored, spec, cfg)
        return 0
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


def _pit_drop_bound(
    wells: dict,
    capacity: dict[str, float],
    windows: list[int],
    accidents: list[Accident],
    monitored: dict,
    spec: FeatureSpec,
    cfg: TrainConfig,
) -> None:
    t = "lost_circulation"
    count = sum(a.type == t for a in accidents)
    parts: dict[str, WellRows] = {}
    signals: dict[tuple[str, int], dict[str, np.ndarray]] = {}
    for well_id, batch in wells.items():
        prepared = prepare(batch.times_ns, batch.channels, spec)
        ends = decision_ends(batch.times_ns, cfg.stride_s)
        times = batch.times_ns[ends]
        blocked = gated_out(batch.times_ns, prepared.states, ends)
        parts[well_id] = WellRows(
            well_id, times, np.empty((len(ends), 0)), [], prepared.states[ends], blocked
        )
        pit = _filled(batch.channels["TVA"])
        depth = _filled(batch.channels["DMEA"])
        pumping = np.nan_to_num(batch.channels["MFIA"]) > PUMPING_LPM
        for kind, level in (
            ("as recorded", pit),
            ("hole fill added back", pit + capacity[well_id] * (depth - depth[0])),
        ):
            for minutes in windows:
                back = np.searchsorted(batch.times_ns, times - minutes * 60 * 10**9)
                cum_off = np.cumsum(~pumping)
                steady = (back > 0) & (cum_off[ends] - cum_off[back] == 0) & pumping[back]
                signals.setdefault((kind, minutes), {})[well_id] = np.where(
                    steady, level[back] - level[ends], 0.0
                )
    print(f"\n{t}: {count} accidents on {len(wells)} wells, active-pit drop alone")
    print(
        f"{'signal':>22} {'window':>6} {'m3':>5} {'false alarms':>12} {'/24 h':>6} "
        f"{'recall':>6} {'>= 5 min':>9}"
    )
    for (kind, minutes), scores in signals.items():
        for threshold in PIT_THRESHOLDS_M3:
            met = _alerts_metrics(t, threshold, parts, scores, accidents, monitored, cfg)
            row = met["per_type"].get(t, {})
            print(
                f"{kind:>22} {minutes:>4} m {threshold:>5} {met['false_alarms']:>12} "
                f"{met['false_alarms_per_day']:>6.2f} {row.get('recall') or 0:>6.2f} "
                f"{row.get('early', 0):>5}/{count}"
            )


def _filled(values: np.ndarray) -> np.ndarray:
    """Gaps carried forward (and the leading ones back): a level, not a rate."""
    return pd.Series(values).ffill().bfill().fillna(0.0).to_numpy()


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
