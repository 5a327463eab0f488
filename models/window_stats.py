"""The window statistics' compiled kernels: every calculator of ``models.features`` over all
windows of one decision at once, the channels' slow baselines and their absolute steps.

``models.features`` names the calculators and prepares the samples; this module computes.
Each kernel is tested through ``models.features`` against pandas on irregular samples.
"""

from __future__ import annotations

import math

import numba
import numpy as np

NS = 1_000_000_000

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
    "meanabschange",
    "nanshare",
    "flat",
    "basedev",
    "roughdev",
)


# The calculators' codes (their index in CALCULATORS) in the compiled window kernel
(MEAN, STD, MIN, MAX, SLOPE, CHANGE, RCHANGE, RSLOPE, ZLAST) = range(9)
(MEANABSCHANGE, NANSHARE, FLAT, BASEDEV, ROUGHDEV) = range(9, 14)


FLAT_STD = 1e-9  # a channel whose window SD is below this did not move: flat-lined sensor
EDGE_SECONDS = 30.0  # "first" and "last" values are means over this many seconds
MIN_SAMPLES = 5


# ``roughdev``: the window's roughness against the slow baseline of the channel's absolute
# steps (same time constant); the denominator never falls below this share of its scale.
ROUGH_FLOOR = 1e-3


@numba.njit(cache=True, nogil=True)
def ewm(
    times_ns: np.ndarray,
    matrix: np.ndarray,
    tau_ns: float,
    last_ns: int,
    s: np.ndarray,
    w: np.ndarray,
    out: np.ndarray,
) -> None:  # pragma: no cover - compiled; tested through Baseline against pandas
    """``Baseline.update``: per sample, the decayed sums ``s`` and ``w`` (updated in place)
    lose exp(-dt / tau) and gain the valid values; out = s / w (NaN while w is 0)."""
    for i in range(times_ns.size):
        decay = math.exp(-(times_ns[i] - last_ns) / tau_ns)
        last_ns = times_ns[i]
        for j in range(matrix.shape[1]):
            s[j] *= decay
            w[j] *= decay
            value = matrix[i, j]
            if math.isfinite(value):
                s[j] += value
                w[j] += 1.0
            out[i, j] = s[j] / w[j] if w[j] > 0.0 else np.nan


def abs_steps(
    matrix: np.ndarray, before: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Per sample and channel, the absolute change from the channel's previous valid value
    (0 where the sample is missing or has no valid value before it), and each channel's
    last valid value after these samples. ``before``: the last valid values before them (the
    previous call's second result; NaN: none). A window's ``meanabschange`` sums the steps
    over its samples except its first valid one."""
    last = np.full(matrix.shape[1], np.nan) if before is None else before.copy()
    steps = np.empty(matrix.shape, order="F")
    _abs_steps(matrix, last, steps)
    return steps, last


@numba.njit(cache=True, nogil=True)
def _abs_steps(
    matrix: np.ndarray, last: np.ndarray, steps: np.ndarray
) -> None:  # pragma: no cover - compiled; tested through abs_steps and the window features
    for j in range(matrix.shape[1]):
        prev = last[j]
        for i in range(matrix.shape[0]):
            value = matrix[i, j]
            if math.isfinite(value):
                steps[i, j] = abs(value - prev) if math.isfinite(prev) else 0.0
                prev = value
            else:
                steps[i, j] = 0.0
        last[j] = prev


@numba.njit(cache=True, error_model="numpy", nogil=True)
def _windows_kernel(
    t_s: np.ndarray,
    x: np.ndarray,
    steps: np.ndarray,
    starts: np.ndarray,
    codes: np.ndarray,
    scales: np.ndarray,
    base: np.ndarray,
    step_base: np.ndarray,
    out: np.ndarray,
) -> None:  # pragma: no cover - compiled; tested through features_at
    """``_windows_stats``: out[k, j, m] = calculator codes[m] of column j over the rows
    ``starts[k]:`` (every window ends at the last row). One pass per window and column for
    the counts, sums, extremes, edges and steps, a second for the deviations from the mean.

    "first" and "last" are the means of the valid values in the window's first and last
    EDGE_SECONDS (a window shorter than that is both); the least-squares slope is per minute;
    ``meanabschange`` is the mean absolute difference between consecutive valid values
    (tsfresh's mean_abs_change without the missing values): the first valid value's step
    reaches outside the window and is left out; ``roughdev`` is that roughness against the
    channel's usual roughness on this well (0: as usual); ``nanshare`` is defined however few
    samples there are, every other statistic needs MIN_SAMPLES valid ones."""
    n_rows, n_cols = x.shape
    k_last = n_rows - 1  # first row of the last EDGE_SECONDS
    while k_last > 0 and t_s[k_last - 1] > t_s[n_rows - 1] - EDGE_SECONDS:
        k_last -= 1
    for k in range(starts.size):
        s = starts[k]
        first_end = s  # rows [s, first_end): the window's first EDGE_SECONDS
        while first_end < n_rows and t_s[first_end] < t_s[s] + EDGE_SECONDS:
            first_end += 1
        last_start = max(s, k_last)
        for j in range(n_cols):
            n = 0
            sx = 0.0
            st = 0.0
            sstep = 0.0
            first_step = 0.0
            lo = np.inf
            hi = -np.inf
            e_first = 0.0
            n_first = 0
            e_last = 0.0
            n_last = 0
            for i in range(s, n_rows):
                v = x[i, j]
                if not np.isfinite(v):
                    continue
                if n == 0:
                    first_step = steps[i, j]
                n += 1
                sx += v
                st += t_s[i]
                sstep += steps[i, j]
                lo = min(lo, v)
                hi = max(hi, v)
                if i < first_end:
                    e_first += v
                    n_first += 1
                if i >= last_start:
                    e_last += v
                    n_last += 1
            nanshare = 1.0 - n / max(1, n_rows - s)
            if n < MIN_SAMPLES:
                for m in range(codes.size):
                    out[k, j, m] = nanshare if codes[m] == NANSHARE else np.nan
                continue
            mean = sx / n
            tm = st / n
            sdd = 0.0  # sum of (x - mean)^2
            stt = 0.0  # sum of (t - tm)^2
            sxt = 0.0  # sum of (t - tm)(x - mean)
            for i in range(s, n_rows):
                v = x[i, j]
                if np.isfinite(v):
                    d = v - mean
                    dt = t_s[i] - tm
                    sdd += d * d
                    sxt += dt * d
                    stt += dt * dt
            std = np.sqrt(sdd / n)
            slope = sxt / stt * 60.0  # per minute
            first = e_first / n_first
            last = e_last / n_last
            denom = abs(mean) + scales[j]
            mac = (sstep - first_step) / (n - 1)
            for m in range(codes.size):
                code = codes[m]
                if code == MEAN:
                    r = mean
                elif code == STD:
                    r = std
                elif code == MIN:
                    r = lo
                elif code == MAX:
                    r = hi
                elif code == SLOPE:
                    r = slope
                elif code == CHANGE:
                    r = last - first
                elif code == RCHANGE:
                    r = (last - first) / denom
                elif code == RSLOPE:
                    r = slope / denom
                elif code == ZLAST:
                    r = (last - mean) / (std + scales[j] * 0.01)
                elif code == MEANABSCHANGE:
                    r = mac
                elif code == NANSHARE:
                    r = nanshare
                elif code == FLAT:
                    r = 1.0 if std < FLAT_STD else 0.0
                elif code == BASEDEV:
                    r = (mean - base[k, j]) / (abs(base[k, j]) + scales[j])
                else:  # ROUGHDEV
                    sb = step_base[k, j]
                    r = (mac - sb) / (sb + scales[j] * ROUGH_FLOOR)
                out[k, j, m] = r if np.isfinite(r) else np.nan


def windows_stats(
    t_s: np.ndarray,
    x: np.ndarray,
    starts: np.ndarray,
    calcs: tuple[str, ...],
    scales: np.ndarray,
    base: np.ndarray | None = None,
    steps: np.ndarray | None = None,
    step_base: np.ndarray | None = None,
) -> np.ndarray:
    """Statistics per window and column of x (samples x channels), NaN-aware. Returns
    (windows x channels x calcs).

    Every window ends at the last row: window k holds rows ``starts[k]:``. ``t_s`` are
    seconds relative to that end, ascending; ``base`` (windows x channels) the channels'
    baseline at each window's first sample (for ``basedev``), ``steps`` the rows of
    ``abs_steps`` (for ``meanabschange`` and ``roughdev``), ``step_base`` (windows x channels)
    the slow baseline of the steps at each window's first sample (for ``roughdev``)."""
    rough = "meanabschange" in calcs or "roughdev" in calcs
    if (rough and steps is None) or ("basedev" in calcs and base is None):
        raise ValueError("roughness and basedev need the prepared steps and baselines")
    if "roughdev" in calcs and step_base is None:
        raise ValueError("roughdev needs the prepared baseline of the steps")
    missing = np.full((starts.size, x.shape[1]), np.nan)
    out = np.empty((starts.size, x.shape[1], len(calcs)))
    _windows_kernel(
        t_s,
        x,
        x if steps is None else steps,  # read, but unused, without roughness calculators
        starts,
        np.array([CALCULATORS.index(c) for c in calcs], dtype=np.int64),
        scales,
        missing if base is None else base,
        missing if step_base is None else step_base,
        out,
    )
    return out
