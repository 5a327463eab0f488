"""Live detection cost per well: feature time per window update and model time per decision.

    .venv/bin/python bench/detect.py [--model models/bundled]

Replays four hours of one simulated well and times, per decision (one 10-s update of the
well's rolling buffer, as a rig streaming every few seconds gives): the window features
(the new samples appended to the well's state and prepared, ``features_at`` for the
decision; the two also apart) and the one-row model prediction (``models.trees``: the
classifier and its precursor heads, ``ModelArtifact.scores``), as the live path does them
one after the other; then, apart, XGBoost's own one-row prediction for comparison and the
analogue search (which the live path runs only when an alert fires); then the whole live
path (``StreamEngine.feed``) with 60-s batches.
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np

from models.artifact import BUNDLED_DIR, load_model
from models.features import decision_ends, features_at
from models.signs import SPAN_S, sign_rows
from pipelines.live.streaming import StreamEngine, WellState
from pipelines.simulate import simulate_fleet
from pipelines.telemetry import TelemetryBatch
from pipelines.training.backtest import replay

NS = 1_000_000_000


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--model", type=Path, default=BUNDLED_DIR)
    parser.add_argument("--decisions", type=int, default=200)
    args = parser.parse_args()
    model = load_model(args.model)
    spec = model.spec
    well = simulate_fleet(1, hours=4, seed=99)[0]
    batch = TelemetryBatch.from_frame(well.frame)
    keep = int((max(spec.max_window, SPAN_S) + 60) * NS)
    ends = decision_ends(batch.times_ns, model.stride_seconds)
    warm = ends[batch.times_ns[ends] <= batch.times_ns[0] + keep]
    ends = ends[batch.times_ns[ends] > batch.times_ns[0] + keep][: args.decisions]
    state = WellState()
    done = 0

    def update(upto: int) -> None:  # the well's samples up to index upto arrive
        nonlocal done
        state.add(batch.select(slice(done, upto + 1)), spec, keep)
        done = upto + 1

    update(int(warm[-1]))
    assert state.prepared is not None  # warm up: compiled kernels loaded, trees packed
    warm_end = np.array([state.times_ns.size - 1])
    model.scores(
        features_at(state.prepared, warm_end, spec),
        sign_rows(state.times_ns, state.channels, warm_end),
    )
    feat_s, prep_s, model_s, xgb_s, search_s = [], [], [], [], []
    rows = []
    for end in ends:
        t0 = time.perf_counter()
        update(int(end))
        prepared = time.perf_counter()
        assert state.prepared is not None
        last = np.array([state.times_ns.size - 1])
        row = features_at(state.prepared, last, spec)
        # the field detector's signs, from the same rolling buffer, as the live path does
        signs = (
            sign_rows(state.times_ns, state.channels, last)
            if model.field_detector is not None
            else None
        )
        t1 = time.perf_counter()
        model.scores(row, signs)
        t2 = time.perf_counter()
        feat_s.append(t1 - t0)
        prep_s.append(prepared - t0)
        model_s.append(t2 - t1)
        rows.append(row)
    for row in rows:  # apart: the live path searches analogues only when an alert fires
        t0 = time.perf_counter()
        model.booster.inplace_predict(row, missing=np.nan)  # XGBoost itself, for comparison
        t1 = time.perf_counter()
        if model.analogues is not None:
            model.analogues.search(row[0], top=5)
        xgb_s.append(t1 - t0)
        search_s.append(time.perf_counter() - t1)
    heads = ", ".join(sorted(model.heads)) or "none"
    field = model.field_detector
    print(f"field detector: {', '.join(field.types) if field else 'none'} (signs in features)")
    print(
        f"model {model.version}: {len(spec.names())} features, windows {spec.windows} s, "
        f"precursor heads: {heads}"
    )
    print(
        f"feature time per window update (one well, one decision): "
        f"median {np.median(feat_s) * 1e3:.3f} ms, p95 {np.percentile(feat_s, 95) * 1e3:.3f} ms"
    )
    print(
        f"  of which preparing the new samples: median {np.median(prep_s) * 1e3:.3f} ms, "
        f"the windows' statistics: {np.median(np.subtract(feat_s, prep_s)) * 1e3:.3f} ms"
    )
    print(f"model time per decision per well (one row): median {np.median(model_s) * 1e3:.3f} ms")
    both = np.add(feat_s, model_s)
    print(
        f"features + model per decision per well, one at a time: median "
        f"{np.median(both) * 1e3:.3f} ms, p95 {np.percentile(both, 95) * 1e3:.3f} ms "
        f"(target <= 1 ms on one core)"
    )
    print(f"  the same row through XGBoost's inplace_predict: {np.median(xgb_s) * 1e3:.3f} ms")
    if model.pairwise is not None and model.analogues is not None:
        paper = model.with_detector("analogue")
        pair_s = []
        for row in rows[:50]:
            t0 = time.perf_counter()
            paper.scores(row)
            pair_s.append(time.perf_counter() - t0)
        refs = model.pairwise.references(model.analogues)
        print(
            f"pairwise (paper's) detector per decision, one row against {len(refs.types)} "
            f"reference windows: median {np.median(pair_s) * 1e3:.3f} ms"
        )
    if model.analogues is not None:
        print(
            f"analogue search top-5 over {len(model.analogues)} windows: "
            f"median {np.median(search_s) * 1e3:.3f} ms"
        )
    stacked = np.vstack(rows)
    t0 = time.perf_counter()
    model.scores(stacked)
    per_row = (time.perf_counter() - t0) / len(stacked)
    print(f"model time per decision, {len(stacked)} decisions batched: {per_row * 1e3:.3f} ms")
    t0 = time.perf_counter()
    _, decisions = replay(StreamEngine(model), well.well_id, batch)
    elapsed = time.perf_counter() - t0
    print(
        f"whole live path (feed 60 s batches, {len(decisions)} decisions): "
        f"{elapsed / max(1, len(decisions)) * 1e3:.3f} ms per decision per well"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
