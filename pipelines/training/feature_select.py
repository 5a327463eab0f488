"""Offline feature screening with tsfresh: ``drillwatch features select --data DIR --out FILE``.

Labelled windows are cut from a dataset directory (simulator output: well files plus
``accidents.csv``): every accident's onset windows ([start - 15 min, end], labelled with its
type) and a sample of normal windows. A restricted set of tsfresh calculators (cheap ones
that can run on in-memory window arrays; no entropies, no FFT) is extracted per channel,
and tsfresh's relevance tests (``calculate_relevance_table``, multiclass: one test per type,
Benjamini-Yekutiel FDR) keep the features relevant to at least ``--n-significant`` types.

The output JSON lists the relevant feature names (tsfresh's own
``<channel>__<calculator>__<param>_<value>`` names), how many types each one is relevant to,
and per calculator the count of relevant channels, so a person can decide which calculators
``models.features`` applies live. Nothing here runs in the live path.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from models.features import BASE_CHANNELS, DERIVED_CHANNELS, FeatureSpec, prepare
from pipelines.telemetry import Accident, TelemetryBatch, datetime_to_ns

log = logging.getLogger(__name__)
NS = 1_000_000_000

# Cheap calculators only: each is O(window) on an array (docs/domain.md §7: no entropies live).
CANDIDATES: dict[str, Any] = {
    "mean": None,
    "median": None,
    "standard_deviation": None,
    "maximum": None,
    "minimum": None,
    "root_mean_square": None,
    "mean_change": None,
    "mean_abs_change": None,
    "absolute_sum_of_changes": None,
    "skewness": None,
    "kurtosis": None,
    "last_location_of_maximum": None,
    "first_location_of_minimum": None,
    "count_above_mean": None,
    "linear_trend": [{"attr": "slope"}, {"attr": "rvalue"}],
    "quantile": [{"q": 0.1}, {"q": 0.9}],
    "change_quantiles": [{"ql": 0.0, "qh": 1.0, "isabs": True, "f_agg": "mean"}],
    "number_peaks": [{"n": 5}],
    "autocorrelation": [{"lag": 10}],
}


def labelled_windows(
    wells: dict[str, TelemetryBatch],
    accidents: list[Accident],
    *,
    window_s: int,
    stride_s: int,
    normals_per_well: int,
    seed: int,
) -> tuple[pd.DataFrame, pd.Series]:
    """Long-format window samples (id, time, one column per channel) and the window labels."""
    rng = np.random.default_rng(seed)
    spec = FeatureSpec(windows=(window_s,), channels=BASE_CHANNELS + DERIVED_CHANNELS)
    frames: list[pd.DataFrame] = []
    labels: dict[int, str] = {}
    next_id = 0
    for well_id, batch in sorted(wells.items()):
        if len(batch) == 0:
            continue
        prepared = prepare(batch.times_ns, batch.channels, spec)
        times = batch.times_ns
        ends: list[tuple[int, str]] = []
        busy = np.zeros(len(times), dtype=bool)
        for acc in (a for a in accidents if a.well_id == well_id):
            start = datetime_to_ns(acc.start)
            end = datetime_to_ns(acc.end) if acc.end else start + 1800 * NS
            busy |= (times >= start - 7200 * NS) & (times <= end + 1200 * NS)
            grid = np.arange(start - 900 * NS, end + 1, stride_s * NS)
            idx = np.searchsorted(times, grid)
            ends.extend((int(i), acc.type) for i in idx if 0 < i < len(times))
        calm = np.flatnonzero(~busy & (times >= times[0] + window_s * NS))
        if calm.size:
            pick = rng.choice(calm, size=min(normals_per_well, calm.size), replace=False)
            ends.extend((int(i), "normal") for i in pick)
        for end, label in ends:
            lo = int(np.searchsorted(times, times[end] - window_s * NS, side="right"))
            block = pd.DataFrame(prepared.matrix[lo : end + 1], columns=list(spec.channels))
            block.insert(0, "time", (times[lo : end + 1] - times[end]) / NS)
            block.insert(0, "id", next_id)
            frames.append(block)
            labels[next_id] = label
            next_id += 1
    data = pd.concat(frames, ignore_index=True)
    # tsfresh refuses NaN: a missing sample takes its window's last value, else the mean.
    filled = data.groupby("id").transform(lambda s: s.ffill().bfill().fillna(0.0))
    filled.insert(0, "id", data["id"])
    return filled, pd.Series(labels)


def screen(
    windows: pd.DataFrame, labels: pd.Series, *, n_significant: int, fdr_level: float
) -> dict[str, Any]:
    """tsfresh extraction of the candidates plus multiclass relevance tests."""
    from tsfresh import extract_features
    from tsfresh.feature_selection.relevance import calculate_relevance_table

    X = extract_features(
        windows,
        column_id="id",
        column_sort="time",
        default_fc_parameters=CANDIDATES,
        n_jobs=0,
        disable_progressbar=True,
    )
    X = X.replace([np.inf, -np.inf], np.nan).dropna(axis=1, how="any")
    X = X.loc[:, X.std() > 0]
    y = labels.loc[X.index]
    table = calculate_relevance_table(
        X, y, ml_task="classification", multiclass=True, n_significant=n_significant,
        fdr_level=fdr_level,
    )  # fmt: skip
    relevant = table[table["relevant"]]
    chosen = sorted(relevant.index)
    per_calculator: dict[str, int] = {}
    for name in chosen:
        calc = name.split("__")[1]
        per_calculator[calc] = per_calculator.get(calc, 0) + 1
    n_types_col = "n_significant" if "n_significant" in relevant.columns else None
    return {
        "windows": len(y),
        "windows_per_class": {str(k): int(v) for k, v in y.value_counts().items()},
        "candidates": int(X.shape[1]),
        "chosen": chosen,
        "relevant_to_types": (
            {name: int(relevant.loc[name, n_types_col]) for name in chosen} if n_types_col else {}
        ),
        "chosen_per_calculator": dict(sorted(per_calculator.items(), key=lambda kv: -kv[1])),
    }


def main(argv: list[str] | None = None) -> int:
    """``drillwatch features select --data DIR --out FILE [--window 300] [--normals 40]``."""
    from pipelines.formats.files import read_dataset

    parser = argparse.ArgumentParser(prog="drillwatch features select")
    parser.add_argument("--data", type=Path, required=True)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--window", type=int, default=300, help="window length, s")
    parser.add_argument("--stride", type=int, default=120, help="between accident windows, s")
    parser.add_argument("--normals", type=int, default=40, help="normal windows per well")
    parser.add_argument("--n-significant", type=int, default=1)
    parser.add_argument("--fdr", type=float, default=0.05)
    parser.add_argument("--seed", type=int, default=0)
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:
        return int(exc.code) if isinstance(exc.code, int) else 2
    if not args.data.is_dir():
        sys.stderr.write(f"drillwatch features select: --data {args.data} is not a directory\n")
        return 2
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    wells, accidents = read_dataset(args.data)
    if not wells or not accidents:
        sys.stderr.write(f"drillwatch features select: {args.data} has no labelled wells\n")
        return 2
    windows, labels = labelled_windows(
        wells,
        accidents,
        window_s=args.window,
        stride_s=args.stride,
        normals_per_well=args.normals,
        seed=args.seed,
    )
    result = screen(windows, labels, n_significant=args.n_significant, fdr_level=args.fdr)
    result.update({"data": str(args.data), "window_s": args.window})
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    sys.stdout.write(
        f"{len(result['chosen'])} of {result['candidates']} features relevant "
        f"({result['windows']} windows); per calculator: {result['chosen_per_calculator']}\n"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
