"""Window features: the one implementation used by training, the live stream and backtests.

A feature is named ``<channel>__<calculator>__window_<seconds>`` (rig-state shares are
``RIG__share_<state>__window_<seconds>``), so a model's column list is its exact feature
specification: ``FeatureSpec.from_names`` rebuilds the spec from the names stored with a model.

The computation has two steps:

1. ``prepare`` turns raw channels into a sample matrix: the base channels, physics-derived
   channels computed per sample (flow out minus flow in, standpipe pressure per flow^1.8,
   torque per WOB, ROP per WOB, hookload against its rig state's expectation) and the rig state
   code of every sample.
2. ``features_at`` summarises, for each decision sample, the samples inside each window that
   ends at that sample (by time, so irregular sampling is handled) into aggregated statistics.

Live and batch callers differ only in how many samples they hand over; the values at a
decision sample depend only on the samples inside its longest window.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np

from models.rigstate import RIG_CHANNELS, STATE_NAMES, RigStateThresholds, rig_states
from models.window_stats import (
    CALCULATORS,
    abs_steps,
    ewm,
    windows_stats,
)

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
DERIVED_CHANNELS: tuple[str, ...] = ("FLOWDIFF", "SPPFLOW", "TQWOB", "ROPWOB", "OVERPULL")

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
    "OVERPULL": 20.0,
}

# The calculators a model is trained with by default: not the window's level (mean, min, max)
# of a channel, because levels are the rig's, not the accident's -- a model that learned
# "standpipe pressure above 30 MPa" or "rotary speed near 130" knows the training rigs, and
# raised its false alarms on wells with other hydraulics (docs/experiments/, level features).
# Changes, trends, roughness and the drift from the well's own baseline carry the physics.
# For the same reason roughness is taken against the channel's own usual roughness on this
# well (``roughdev``), not in the sensor's units (``meanabschange``): a noisy rotary-speed
# sensor on one rig looked like a twist-off all day.
DEFAULT_CALCULATORS: tuple[str, ...] = tuple(
    c for c in CALCULATORS if c not in ("mean", "min", "max", "meanabschange")
)
# Data-quality calculators: they describe the sensor, not the well, and stay defined when a
# channel is missing from the window (nanshare = 1) -- the detector sees gaps and flat lines.
QUALITY_CALCULATORS: tuple[str, ...] = ("nanshare", "flat")
# ``basedev`` compares a window's mean with the channel's slow baseline: an exponentially
# weighted mean over the well's history with this time constant, as it was at the window's
# first sample. Slow drifts a window cannot see inside itself show here: standpipe pressure
# per flow falling for hours (washout), ROP per WOB falling (bit balling), drag building up.
BASELINE_TAU_S = 3600.0
# History a batch caller reads before its first window so that the running state (flow-out
# trust, baselines) is nearly what the live path had: the baseline's older weight is e^-3.
WARMUP_S = 3 * BASELINE_TAU_S
NAME_RE = re.compile(r"^(?P<channel>[A-Za-z0-9_.-]+?)__(?P<calc>[a-z_]+)__window_(?P<w>\d+)$")


@dataclass(frozen=True)
class FeatureSpec:
    windows: tuple[int, ...] = (120, 300, 1800)
    channels: tuple[str, ...] = BASE_CHANNELS + DERIVED_CHANNELS
    calculators: tuple[str, ...] = DEFAULT_CALCULATORS
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


class RowBuffer:
    """Rows appended at the end and dropped from the front, kept in storage with spare
    capacity: an append copies only the new rows (the kept ones move once the storage's end
    is reached, amortised over its capacity). ``values`` is a view that stays valid until
    the next ``extend``; 2-D storage is column-major, so window reductions stay contiguous."""

    def __init__(self, rows: np.ndarray) -> None:
        self._data = np.empty((max(64, 2 * rows.shape[0]), *rows.shape[1:]), rows.dtype, "F")
        self._lo, self._hi = 0, rows.shape[0]
        self._data[: self._hi] = rows

    @property
    def values(self) -> np.ndarray:
        return self._data[self._lo : self._hi]

    def __len__(self) -> int:
        return self._hi - self._lo

    def drop(self, count: int) -> None:
        """Forget the ``count`` oldest rows."""
        self._lo = min(self._hi, self._lo + count)

    def extend(self, rows: np.ndarray) -> None:
        """Append ``rows``."""
        size, n = self._hi - self._lo, rows.shape[0]
        if self._hi + n > self._data.shape[0]:
            data = self._data
            if 2 * (size + n) > data.shape[0]:  # more than half full: grow
                shape = (2 * (size + n), *data.shape[1:])
                data = np.empty(shape, self._data.dtype, "F")
            data[:size] = self._data[self._lo : self._hi]
            self._data, self._lo, self._hi = data, 0, size
        self._data[self._hi : self._hi + n] = rows
        self._hi += n


@dataclass
class Prepared:
    """Samples ready for windowing: times, a (samples x channels) matrix, rig states and,
    where the spec uses ``basedev``, every channel's slow baseline after each sample."""

    times_ns: np.ndarray
    matrix: np.ndarray
    states: np.ndarray
    baseline: np.ndarray | None = None
    steps: np.ndarray | None = None  # abs_steps of the matrix (meanabschange, roughdev)
    step_baseline: np.ndarray | None = None  # slow baseline of the steps (roughdev)
    filled: np.ndarray | None = None  # each channel's last valid value (for the next steps)
    last: tuple[int, dict[str, float]] | None = None  # the last sample as sent (rig states)
    _store: dict[str, RowBuffer] | None = field(default=None, repr=False, compare=False)

    def extended(self, new: Prepared, keep_ns: int | None) -> Prepared:
        """These samples followed by ``new``, without those older than ``keep_ns`` before
        the newest. The result keeps its arrays in ``RowBuffer`` storage that its own
        ``extended`` reuses: a buffer extended again must not be read afterwards."""
        store = self._store
        if store is None:
            store = {name: RowBuffer(getattr(self, name)) for name in self._rows()}
        for name in self._rows():
            store[name].extend(getattr(new, name))
        times = store["times_ns"].values
        cut = (
            0
            if keep_ns is None or times.size == 0
            else int(np.searchsorted(times, times[-1] - keep_ns, side="left"))
        )
        for buffer in store.values():
            buffer.drop(cut)
        return Prepared(
            **{name: store[name].values for name in self._rows()},
            filled=new.filled,
            last=new.last if new.last is not None else self.last,
            _store=store,
        )

    def _rows(self) -> list[str]:
        """The fields that hold one row per sample (optional ones where present)."""
        names = ["times_ns", "matrix", "states", "baseline", "steps", "step_baseline"]
        return [name for name in names if getattr(self, name) is not None]


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
        if name == "OVERPULL":  # needs the rig states: filled in by ``prepare``
            return nan
    raise KeyError(name)


def overpull(
    times_ns: np.ndarray, hookload: np.ndarray | None, states: np.ndarray, baseline: Baseline
) -> np.ndarray:
    """Hookload minus what the rig state predicts: the well's slow baseline of hookload
    over the samples in the same rig state (this one included), so a pick-up is compared
    with the pick-ups before it and a static string with the static string. Positive:
    overpull, drag building up (stuck pipe); negative: string weight lost (twist-off).
    ``baseline.by_state`` is the running per-state baseline (live: one per well)."""
    n = times_ns.shape[0]
    if hookload is None:
        return np.full(n, np.nan)
    rows = np.arange(n)
    by_state = np.full((n, len(STATE_NAMES)), np.nan)
    by_state[rows, states] = hookload
    if baseline.by_state is None:
        baseline.by_state = Baseline(STATE_NAMES, baseline.tau_s)
    return hookload - baseline.by_state.update(times_ns, by_state)[rows, states]


# A flow-out sensor is used only once it has agreed with flow in: this many seconds of
# pumping with returns within RETURNS_RATIO x flow in. A sensor in the wrong unit or place
# never agrees and stays out of detection, so it cannot fake losses or kicks; a real loss
# later on does not undo the trust.
RETURNS_TRUST_S = 300.0
RETURNS_RATIO = (0.5, 2.0)
PUMPING_LPM = 300.0
MAX_STEP_S = 60.0  # a longer gap between samples counts as this long


@dataclass
class ReturnsTrust:
    """Whether, and from when, a well's flow out (MFOA) is trusted. The live path keeps one
    per well and updates it with every batch; a batch caller starts a fresh one."""

    agreed_s: float = 0.0
    trusted_from_ns: int | None = None
    last_ns: int | None = None

    def update(self, times_ns: np.ndarray, channels: dict[str, np.ndarray]) -> None:
        """Account for new samples (after every sample seen so far)."""
        if times_ns.size == 0:
            return
        fin, fout = channels.get("MFIA"), channels.get("MFOA")
        if self.trusted_from_ns is None and fin is not None and fout is not None:
            prev = times_ns[0] if self.last_ns is None else self.last_ns
            dt = np.diff(times_ns, prepend=prev) / NS
            dt = np.clip(dt, 0.0, MAX_STEP_S)
            with np.errstate(invalid="ignore"):
                agree = (
                    (fin > PUMPING_LPM)
                    & (fout >= RETURNS_RATIO[0] * fin)
                    & (fout <= RETURNS_RATIO[1] * fin)
                )
            total = self.agreed_s + np.cumsum(np.where(agree, dt, 0.0))
            reached = np.flatnonzero(total >= RETURNS_TRUST_S)
            if reached.size:
                self.trusted_from_ns = int(times_ns[reached[0]])
            self.agreed_s = float(total[-1])
        self.last_ns = int(times_ns[-1])

    def mask(self, times_ns: np.ndarray, channels: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        """``channels`` with flow out missing where it was not trusted yet."""
        fout = channels.get("MFOA")
        if fout is None:
            return channels
        if self.trusted_from_ns is None:
            return {**channels, "MFOA": np.full(fout.shape, np.nan)}
        if times_ns.size and times_ns[0] >= self.trusted_from_ns:
            return channels
        return {**channels, "MFOA": np.where(times_ns < self.trusted_from_ns, np.nan, fout)}


@dataclass
class Baseline:
    """Every channel's exponentially weighted mean over the well's history (time constant
    ``tau_s``; a sample's weight is exp(-age / tau), missing values carry none -- pandas'
    ``ewm(times=..., halflife=tau ln 2)``). The live path keeps one per well."""

    # labels only: ``prepare`` tracks the spec's channels, then their steps (roughdev)
    channels: tuple[str, ...] = ()
    tau_s: float = BASELINE_TAU_S
    s: np.ndarray | None = None  # decayed sum of values, per channel
    w: np.ndarray | None = None  # decayed sum of weights, per channel
    last_ns: int | None = None
    # hookload per rig state (``OVERPULL``): one column per state code, created when needed
    by_state: Baseline | None = None

    def update(self, times_ns: np.ndarray, matrix: np.ndarray) -> np.ndarray:
        """The baseline after each of these samples, which follow every sample seen so far."""
        out = np.empty(matrix.shape)
        if times_ns.size == 0:
            return out
        if self.s is None or self.w is None:
            self.s = np.zeros(matrix.shape[1])
            self.w = np.zeros(matrix.shape[1])
        last_ns = self.last_ns if self.last_ns is not None else int(times_ns[0])
        ewm(times_ns, matrix, self.tau_s * NS, last_ns, self.s, self.w, out)
        self.last_ns = int(times_ns[-1])
        return out


def columns(times_ns: np.ndarray, channels: dict[str, np.ndarray], spec: FeatureSpec) -> np.ndarray:
    """The (samples x spec.channels) matrix: base channels as sent, derived ones computed."""
    n = times_ns.shape[0]
    matrix = np.empty((n, len(spec.channels)), order="F")  # column-major: windows reduce columns
    for j, name in enumerate(spec.channels):
        values = _derived(name, channels, n) if name in DERIVED_CHANNELS else channels.get(name)
        matrix[:, j] = np.nan if values is None else values
    return matrix


def prepare(
    times_ns: np.ndarray,
    channels: dict[str, np.ndarray],
    spec: FeatureSpec,
    trust: ReturnsTrust | None = None,
    baseline: Baseline | None = None,
    *,
    after: Prepared | None = None,
    keep_ns: int | None = None,
) -> Prepared:
    """Samples ready for windowing.

    Batch callers give a well's samples from its start (or from ``WARMUP_S`` before their
    first window). The live path keeps, per well, the running ``trust`` (already updated
    with these samples) and ``baseline``, and its prepared buffer: it gives only the new
    samples with ``after`` = the buffer so far, and gets the buffer extended by them and
    trimmed to the last ``keep_ns``; the old samples are not prepared again."""
    if trust is None:
        trust = ReturnsTrust()
        trust.update(times_ns, channels)
    if baseline is None:
        baseline = Baseline(spec.channels)
    channels = trust.mask(times_ns, channels)
    matrix = columns(times_ns, channels, spec)
    # rig states look one sample back (velocity): the new samples follow after's last one
    if after is not None and after.last is not None:
        t0, raw = after.last
        ctx_times = np.concatenate([[t0], times_ns])
        ctx = {
            k: np.concatenate([[raw.get(k, np.nan)], channels[k]])
            for k in RIG_CHANNELS
            if k in channels
        }
        states = rig_states(ctx_times, ctx, spec.thresholds)[1:]
    else:
        states = rig_states(times_ns, channels, spec.thresholds)
    if "OVERPULL" in spec.channels:
        column = spec.channels.index("OVERPULL")
        matrix[:, column] = overpull(times_ns, channels.get("HKLA"), states, baseline)
    last = None
    if times_ns.size:
        last = (int(times_ns[-1]), {k: float(v[-1]) for k, v in channels.items()})
    steps = base = step_base = None
    # each channel's absolute steps and its last valid value (where the next steps start)
    steps, filled = abs_steps(matrix, None if after is None else after.filled)
    if "meanabschange" not in spec.calculators and "roughdev" not in spec.calculators:
        steps = None
    # one baseline update for the channels (basedev) and their absolute steps (roughdev)
    tracked = []
    if "basedev" in spec.calculators:
        tracked.append(matrix)
    if steps is not None and "roughdev" in spec.calculators:
        tracked.append(np.where(np.isfinite(matrix), steps, np.nan))
    if tracked:
        both = baseline.update(times_ns, np.hstack(tracked) if len(tracked) > 1 else tracked[0])
        k = matrix.shape[1]
        base = both[:, :k] if "basedev" in spec.calculators else None
        step_base = both[:, -k:] if "roughdev" in spec.calculators else None
    new = Prepared(times_ns, matrix, states, base, steps, step_base, filled, last)
    if after is None:
        return new
    return after.extended(new, keep_ns)


def features_at(prepared: Prepared, ends: np.ndarray, spec: FeatureSpec) -> np.ndarray:
    """Feature rows (len(ends) x len(spec.names())) for windows ending at sample indices."""
    times = prepared.times_ns
    scales = np.array([SCALES.get(c, 1.0) for c in spec.channels])
    n_states = len(STATE_NAMES)
    per_calc = len(spec.channels) * len(spec.calculators)
    per_window = per_calc + (n_states if spec.rig_shares else 0)
    rows = np.full((len(ends), per_window * len(spec.windows)), np.nan)
    spans = np.array(spec.windows, dtype=np.int64) * NS
    for r, end in enumerate(np.asarray(ends, dtype=np.int64)):
        t_end = times[end]
        starts = np.searchsorted(times, t_end - spans, side="right")
        lo = int(starts.min())
        sl = slice(lo, int(end) + 1)
        t_s = (times[sl] - t_end).astype(np.float64) / NS
        base = None if prepared.baseline is None else prepared.baseline[starts]
        steps = None if prepared.steps is None else prepared.steps[sl]
        step_base = None if prepared.step_baseline is None else prepared.step_baseline[starts]
        stats = windows_stats(
            t_s, prepared.matrix[sl], starts - lo, spec.calculators, scales, base, steps, step_base
        )
        # names() lists calculators inside channels: channel-major order.
        flat = stats.reshape(len(spec.windows), per_calc)
        for k, start in enumerate(starts):
            col = k * per_window
            rows[r, col : col + per_calc] = flat[k]
            if spec.rig_shares:
                counts = np.bincount(prepared.states[start : end + 1], minlength=n_states)
                rows[r, col + per_calc : col + per_window] = counts[:n_states] / max(
                    1, end + 1 - start
                )
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
