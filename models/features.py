"""Window features: the one implementation used by training, the live stream and backtests.

A feature is named ``<channel>__<calculator>__window_<seconds>`` (rig-state shares are
``RIG__share_<state>__window_<seconds>``), so a model's column list is its exact feature
specification: ``FeatureSpec.from_names`` rebuilds the spec from the names stored with a model.

The computation has two steps:

1. ``prepare`` turns raw channels into a sample matrix: the base channels, physics-derived
   channels computed per sample (flow out minus flow in, standpipe pressure per flow^1.8,
   torque per WOB, ROP per WOB) and the rig state code of every sample.
2. ``features_at`` summarises, for each decision sample, the samples inside each window that
   ends at that sample (by time, so irregular sampling is handled) into aggregated statistics.

Live and batch callers differ only in how many samples they hand over; the values at a
decision sample depend only on the samples inside its longest window.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np

from models.rigstate import STATE_NAMES, RigStateThresholds, rig_states

NS = 1_000_000_000

BASE_CHANNELS: tuple[str, ...] = (
    "HKLA",
    "WOBA",
    "TQA",
    "RPMA",
    "SPPA",
    "CHKP",
    "MFIA",
    "MFOA",
    "MFOP",
    "TVA",
    "GASA",
    "ROPA",
    "DBTM",
)
DERIVED_CHANNELS: tuple[str, ...] = ("FLOWDIFF", "SPPFLOW", "TQWOB", "ROPWOB")

# Typical magnitude of each channel in internal units; relative changes are divided by
# (|mean| + scale) so that near-zero channels do not explode.
SCALES: dict[str, float] = {
    "HKLA": 100.0,
    "WOBA": 20.0,
    "TQA": 2.0,
    "RPMA": 10.0,
    "SPPA": 500.0,
    "CHKP": 200.0,
    "MFIA": 100.0,
    "MFOA": 100.0,
    "MFOP": 5.0,
    "TVA": 5.0,
    "GASA": 0.5,
    "ROPA": 5.0,
    "DBTM": 100.0,
    "FLOWDIFF": 100.0,
    "SPPFLOW": 0.05,
    "TQWOB": 0.02,
    "ROPWOB": 0.05,
}

CALCULATORS: tuple[str, ...] = (
    "mean",
    "std",
    "min",
    "max",
    "slope",
    "change",
    "rchange",
    "rslope",
    "zlast",
)
EDGE_SECONDS = 30.0  # "first" and "last" values are means over this many seconds
MIN_SAMPLES = 5

NAME_RE = re.compile(r"^(?P<channel>[A-Za-z0-9_.-]+?)__(?P<calc>[a-z_]+)__window_(?P<w>\d+)$")


@dataclass(frozen=True)
class FeatureSpec:
    windows: tuple[int, ...] = (300, 1800)
    channels: tuple[str, ...] = BASE_CHANNELS + DERIVED_CHANNELS
    calculators: tuple[str, ...] = CALCULATORS
    rig_shares: bool = True
    thresholds: RigStateThresholds = field(default_factory=RigStateThresholds)

    @property
    def max_window(self) -> int:
        return max(self.windows)

    def names(self) -> list[str]:
        out: list[str] = []
        for w in self.windows:
            for ch in self.channels:
                out.extend(f"{ch}__{calc}__window_{w}" for calc in self.calculators)
            if self.rig_shares:
                out.extend(f"RIG__share_{state}__window_{w}" for state in STATE_NAMES)
        return out

    @classmethod
    def from_names(cls, names: list[str]) -> FeatureSpec:
        """Rebuild the spec from a model's feature names; refuses names it cannot compute."""
        windows: list[int] = []
        channels: list[str] = []
        calcs: list[str] = []
        shares = False
        for name in names:
            m = NAME_RE.match(name)
            if not m:
                raise ValueError(f"feature name {name!r} is not <channel>__<calc>__window_<s>")
            w = int(m["w"])
            if w not in windows:
                windows.append(w)
            if m["channel"] == "RIG":
                shares = True
                continue
            if m["channel"] not in channels:
                channels.append(m["channel"])
            if m["calc"] not in calcs:
                calcs.append(m["calc"])
        unknown = [c for c in calcs if c not in CALCULATORS]
        if unknown:
            raise ValueError(f"unknown feature calculators {unknown}")
        spec = cls(tuple(windows), tuple(channels), tuple(calcs), shares)
        if spec.names() != list(names):
            raise ValueError("feature names are not in the canonical order of their spec")
        return spec


@dataclass
class Prepared:
    """Samples ready for windowing: times, a (samples x channels) matrix and rig states."""

    times_ns: np.ndarray
    matrix: np.ndarray
    states: np.ndarray


def _derived(name: str, channels: dict[str, np.ndarray], n: int) -> np.ndarray:
    nan = np.full(n, np.nan)
    get = channels.get
    with np.errstate(invalid="ignore", divide="ignore"):
        if name == "FLOWDIFF":
            fin, fout = get("MFIA"), get("MFOA")
            return nan if fin is None or fout is None else fout - fin
        if name == "SPPFLOW":
            spp, fin = get("SPPA"), get("MFIA")
            if spp is None or fin is None:
                return nan
            return np.where(fin > 300.0, spp / np.power(np.maximum(fin, 1.0), 1.8), np.nan)
        if name in ("TQWOB", "ROPWOB"):
            num, wob = get("TQA" if name == "TQWOB" else "ROPA"), get("WOBA")
            if num is None or wob is None:
                return nan
            return np.where(wob > 20.0, num / wob, np.nan)
    raise KeyError(name)


def prepare(times_ns: np.ndarray, channels: dict[str, np.ndarray], spec: FeatureSpec) -> Prepared:
    n = times_ns.shape[0]
    columns = []
    for name in spec.channels:
        if name in DERIVED_CHANNELS:
            columns.append(_derived(name, channels, n))
        else:
            values = channels.get(name)
            columns.append(np.full(n, np.nan) if values is None else values)
    matrix = np.column_stack(columns) if columns else np.empty((n, 0))
    states = rig_states(times_ns, channels, spec.thresholds)
    return Prepared(times_ns, matrix.astype(np.float64, copy=False), states)


def _window_stats(t_s: np.ndarray, x: np.ndarray, calcs: tuple[str, ...], scales: np.ndarray):
    """Statistics per column of x (samples x channels), NaN-aware. Returns (calcs x channels)."""
    valid = np.isfinite(x)
    n = valid.sum(axis=0)
    enough = n >= MIN_SAMPLES
    xz = np.where(valid, x, 0.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = xz.sum(axis=0) / n
        dev = np.where(valid, x - mean, 0.0)
        var = (dev * dev).sum(axis=0) / n
        std = np.sqrt(var)
        out: dict[str, np.ndarray] = {"mean": mean, "std": std}
        if "min" in calcs:
            out["min"] = np.where(valid, x, np.inf).min(axis=0)
        if "max" in calcs:
            out["max"] = np.where(valid, x, -np.inf).max(axis=0)
        tm = (t_s[:, None] * valid).sum(axis=0) / n
        tc = np.where(valid, t_s[:, None] - tm, 0.0)
        slope = (tc * dev).sum(axis=0) / (tc * tc).sum(axis=0) * 60.0  # per minute
        out["slope"] = slope
        t_end, t_start = t_s[-1], t_s[0]
        last_mask = valid & (t_s[:, None] > t_end - EDGE_SECONDS)
        first_mask = valid & (t_s[:, None] < t_start + EDGE_SECONDS)
        last = np.where(last_mask, x, 0.0).sum(axis=0) / last_mask.sum(axis=0)
        first = np.where(first_mask, x, 0.0).sum(axis=0) / first_mask.sum(axis=0)
        change = last - first
        denom = np.abs(mean) + scales
        out["change"] = change
        out["rchange"] = change / denom
        out["rslope"] = slope / denom
        out["zlast"] = (last - mean) / (std + scales * 0.01)
    stacked = np.vstack([out[c] for c in calcs])
    stacked[:, ~enough] = np.nan
    stacked[~np.isfinite(stacked)] = np.nan
    return stacked


def features_at(prepared: Prepared, ends: np.ndarray, spec: FeatureSpec) -> np.ndarray:
    """Feature rows (len(ends) x len(spec.names())) for windows ending at sample indices."""
    times = prepared.times_ns
    scales = np.array([SCALES.get(c, 1.0) for c in spec.channels])
    n_states = len(STATE_NAMES)
    per_window = len(spec.channels) * len(spec.calculators) + (n_states if spec.rig_shares else 0)
    rows = np.full((len(ends), per_window * len(spec.windows)), np.nan)
    for r, end in enumerate(np.asarray(ends, dtype=np.int64)):
        t_end = times[end]
        col = 0
        for w in spec.windows:
            start = int(np.searchsorted(times, t_end - w * NS, side="right"))
            sl = slice(start, int(end) + 1)
            t_s = (times[sl] - t_end).astype(np.float64) / NS
            stats = _window_stats(t_s, prepared.matrix[sl], spec.calculators, scales)
            k = stats.shape[0] * stats.shape[1]
            # names() lists calculators inside channels: channel-major order.
            rows[r, col : col + k] = stats.T.reshape(-1)
            col += k
            if spec.rig_shares:
                counts = np.bincount(prepared.states[sl], minlength=n_states)[:n_states]
                rows[r, col : col + n_states] = counts / max(1, sl.stop - sl.start)
                col += n_states
    return rows


def decision_ends(times_ns: np.ndarray, stride_s: float, after_ns: int | None = None) -> np.ndarray:
    """Indices of the first sample at or after each stride boundary (absolute UTC grid).

    Live and batch use the same grid, so a replayed well decides at the same samples.
    ``after_ns`` excludes samples at or before that time (already decided).
    """
    if times_ns.size == 0:
        return np.empty(0, dtype=np.int64)
    stride_ns = int(stride_s * NS)
    bucket = times_ns // stride_ns
    first = np.ones(times_ns.shape[0], dtype=bool)
    first[1:] = bucket[1:] != bucket[:-1]
    idx = np.flatnonzero(first)
    if after_ns is not None:
        idx = idx[times_ns[idx] > after_ns]
    return idx
