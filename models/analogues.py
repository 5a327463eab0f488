"""Analogue database: labelled windows that preceded past accidents, searched by similarity.

Each entry is one window's feature vector (the model's own features) with where it came
from: well, time, accident type (or ``normal``), seconds to the accident's start (negative
after the start; ``None`` for normal windows) and the rig state. Vectors are standardised
per feature (training mean and standard deviation; missing values sit at the mean) and
searched by brute-force Euclidean distance in numpy — fine up to ~10^5 windows (docs/domain.md §7);
past that an approximate-nearest-neighbour library takes over.

The distance can be taken in a **learned space**: per-feature ``weights`` (non-negative,
scaled so that their squares sum to the number of features, so no weights = all ones)
multiply the standardised differences, ``|w * (q - v)|``. :func:`gain_weights` derives them
from the classifier's trees (each feature's share of the total gain;
``bench/analogues.py`` measured the choice), so the analogues of an alert are the windows
that are close in the features the classifier decides by, not in the hundreds it ignores.
The weights touch only the search: ``vectors`` and :meth:`AnalogueDB.standardise` stay as
they are (the pairwise detector reads them).

Stored next to the model as ``analogues.npz`` (arrays, no pickles: loaded with
``allow_pickle=False``), ``analogues.json`` (the records) and, for models trained with the raw
telemetry at hand, ``analogues_snippets.npz``: the key channels of the training wells every
30 s (float16) around their windows, so that every window's snippet (30 min before to 10 min
after its time) can be shown for a training well that is not in this database. The windows
overlap, so one 30-s series per well is stored rather than one snippet per window.

At run time :meth:`AnalogueDB.extend` appends windows (confirmed and dismissed alerts),
standardised with the database's own mean and scale; :meth:`AnalogueDB.remove` drops them
again. Both are safe while another thread searches.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    import xgboost as xgb

NPZ_FILE = "analogues.npz"
JSON_FILE = "analogues.json"
SNIPPETS_FILE = "analogues_snippets.npz"

# Channel snippets: the channels an operator compares, on a 30-s grid around the window time.
SNIPPET_CHANNELS = ("HKLA", "TQA", "SPPA", "MFIA", "MFOA", "TVA", "RPMA", "WOBA")
SNIPPET_BEFORE_S = 1800
SNIPPET_AFTER_S = 600
SNIPPET_STEP_S = 30
SNIPPET_OFFSETS_S = np.arange(
    -SNIPPET_BEFORE_S, SNIPPET_AFTER_S + 1, SNIPPET_STEP_S, dtype=np.float32
)
_NS = 1_000_000_000


def feature_digest(names: list[str]) -> str:
    """sha256 of a model's feature names: windows are reusable only under the same spec."""
    return hashlib.sha256(json.dumps(list(names)).encode()).hexdigest()


STATIC_CONTEXT = ("field", "rig", "mud_type", "bha")  # a well's static context kept per case


def depth_at(times_ns: np.ndarray, channels: Mapping[str, np.ndarray], at_ns: int) -> float | None:
    """Hole depth (DMEA, else bit depth DBTM) at the last sample at or before ``at_ns``."""
    i = int(np.searchsorted(times_ns, at_ns, side="right")) - 1
    for name in ("DMEA", "DBTM"):
        values = channels.get(name)
        if values is not None and i >= 0:
            finite = np.flatnonzero(np.isfinite(values[: i + 1]))
            if finite.size:
                return round(float(values[finite[-1]]), 2)
    return None


def snippet_at(times_ns: np.ndarray, channels: Mapping[str, np.ndarray], at_ns: int) -> np.ndarray:
    """The key channels around ``at_ns`` resampled to the snippet grid (nearest sample within
    half a step, else NaN): float16, (len(SNIPPET_CHANNELS) x len(SNIPPET_OFFSETS_S))."""
    return resample(times_ns, channels, int(at_ns) + SNIPPET_OFFSETS_S.astype(np.int64) * _NS)


def resample(
    times_ns: np.ndarray, channels: Mapping[str, np.ndarray], grid: np.ndarray
) -> np.ndarray:
    """The key channels at the ``grid`` times (nearest sample within half a snippet step,
    else NaN): float16, (len(SNIPPET_CHANNELS) x len(grid))."""
    out = np.full((len(SNIPPET_CHANNELS), grid.size), np.nan, dtype=np.float16)
    if times_ns.size == 0 or grid.size == 0:
        return out
    right = np.clip(np.searchsorted(times_ns, grid), 0, times_ns.size - 1)
    left = np.clip(right - 1, 0, times_ns.size - 1)
    nearest = np.where(np.abs(times_ns[left] - grid) <= np.abs(times_ns[right] - grid), left, right)
    close = np.abs(times_ns[nearest] - grid) <= SNIPPET_STEP_S * _NS // 2
    for c, name in enumerate(SNIPPET_CHANNELS):
        values = channels.get(name)
        if values is not None:
            with np.errstate(over="ignore"):
                out[c] = np.where(close, values[nearest], np.nan).astype(np.float16)
    return out


def snippet_window(values: np.ndarray, names: Sequence[str] = SNIPPET_CHANNELS) -> dict[str, Any]:
    """A stored snippet as ``{offsets_s, channels}`` (channels with no value left out)."""
    channels: dict[str, list[float | None]] = {}
    for c, name in enumerate(list(names)[: values.shape[0]]):
        row = values[c].astype(np.float64)
        if np.isfinite(row).any():
            channels[name] = [float(v) if np.isfinite(v) else None for v in row.tolist()]
    return {"offsets_s": SNIPPET_OFFSETS_S.astype(float).tolist(), "channels": channels}


@dataclass(frozen=True)
class Snippets:
    """The key channels of the model's training wells on an absolute 30-s grid, around the
    analogue windows: well id -> (time of the first point in ns, (channels x points))."""

    series: dict[str, tuple[int, np.ndarray]]

    @classmethod
    def around(
        cls,
        wells: Mapping[str, tuple[np.ndarray, Mapping[str, np.ndarray]]],
        times_ns: Mapping[str, Sequence[int]],
    ) -> Snippets:
        """From each well's (times_ns, channels), the span covering the snippets of its
        windows at ``times_ns``."""
        step = SNIPPET_STEP_S * _NS
        series = {}
        for well_id, at in times_ns.items():
            if well_id not in wells or not at:
                continue
            lo = (min(at) - SNIPPET_BEFORE_S * _NS) // step * step
            hi = -((-(max(at) + SNIPPET_AFTER_S * _NS)) // step) * step
            times, channels = wells[well_id]
            series[well_id] = (int(lo), resample(times, channels, np.arange(lo, hi + 1, step)))
        return cls(series)

    def at(self, well_id: str, time_ns: int) -> np.ndarray | None:
        """The snippet of ``well_id`` around ``time_ns`` (nearest grid points), if stored."""
        found = self.series.get(well_id)
        if found is None:
            return None
        start, values = found
        offsets = SNIPPET_OFFSETS_S.astype(np.int64) * _NS
        idx = np.rint((int(time_ns) + offsets - start) / (SNIPPET_STEP_S * _NS)).astype(np.int64)
        inside = (idx >= 0) & (idx < values.shape[1])
        if not inside.any():
            return None
        out = np.full((values.shape[0], idx.size), np.nan, dtype=np.float16)
        out[:, inside] = values[:, idx[inside]]
        return out

    def save(self, path: Path) -> None:
        wells = sorted(self.series)
        with path.open("wb") as fh:
            np.savez_compressed(
                fh,
                channels=np.array(SNIPPET_CHANNELS),
                step_s=np.int64(SNIPPET_STEP_S),
                wells=np.array(wells, dtype=str),
                starts_ns=np.array([self.series[w][0] for w in wells], dtype=np.int64),
                lengths=np.array([self.series[w][1].shape[1] for w in wells], dtype=np.int64),
                values=np.concatenate(
                    [self.series[w][1] for w in wells]
                    or [np.empty((len(SNIPPET_CHANNELS), 0), np.float16)],
                    axis=1,
                ).astype(np.float16),
            )

    @classmethod
    def load(cls, path: Path) -> Snippets:
        with np.load(path, allow_pickle=False) as data:
            names = [str(n) for n in data["channels"]]
            step = int(data["step_s"])
            wells = [str(w) for w in data["wells"]]
            starts, lengths = data["starts_ns"], data["lengths"]
            values = data["values"].astype(np.float16)
        if names != list(SNIPPET_CHANNELS) or step != SNIPPET_STEP_S:
            raise ValueError(f"{path}: channels {names} every {step} s are not the snippets'")
        if len(starts) != len(wells) or len(lengths) != len(wells):
            raise ValueError(f"{path}: {len(wells)} wells but {len(starts)} starts")
        if int(lengths.sum()) != values.shape[1]:
            raise ValueError(f"{path}: {values.shape[1]} points, not {int(lengths.sum())}")
        ends = np.cumsum(lengths)
        return cls(
            {
                w: (int(starts[i]), values[:, int(ends[i] - lengths[i]) : int(ends[i])])
                for i, w in enumerate(wells)
            }
        )


# How a feature's total gain becomes its distance weight: the gain share to a power (the
# weight multiplies the standardised difference, so a feature adds weight^2 * diff^2 to the
# squared distance); 0 for features the trees never split on. bench/analogues.py measures them.
GAIN_TRANSFORMS: dict[str, float] = {
    "used": 0.0,  # 1 for every feature the trees split on
    "fourth_root": 0.25,
    "sqrt": 0.5,  # squared distance weighted by gain share
    "share": 1.0,  # weight = gain share
    "share^1.5": 1.5,
    "share^2": 2.0,
}
# The best same-type share of leave-one-well-out analogues from 15 min before an accident's
# start on (bundled-v5: 0.68 unweighted, 0.74 sqrt, 0.76 share, 0.76 share^1.5, 0.74 share^2).
DEFAULT_GAIN_TRANSFORM = "share"


def gain_weights(
    booster: xgb.Booster, names: Sequence[str], transform: str = DEFAULT_GAIN_TRANSFORM
) -> np.ndarray:
    """Distance weights (features,) from ``booster``'s total gain per feature, in ``names``
    order: the gain share to the power ``GAIN_TRANSFORMS[transform]``; a feature the trees
    never split on weighs 0. Not normalised (:class:`AnalogueDB` does that)."""
    if transform not in GAIN_TRANSFORMS:
        raise ValueError(f"transform {transform!r} is not one of {sorted(GAIN_TRANSFORMS)}")
    booster_names = booster.feature_names
    if booster_names is not None and list(booster_names) != list(names):
        raise ValueError("the booster's feature names are not the model's")
    score = booster.get_score(importance_type="total_gain")
    gain = np.zeros(len(names))
    for i, name in enumerate(names):
        value = score.get(name if booster_names is not None else f"f{i}", 0.0)
        gain[i] = float(sum(value)) if isinstance(value, list) else float(value)
    gain = np.where(np.isfinite(gain) & (gain > 0), gain, 0.0)
    if not gain.any():
        raise ValueError("the booster splits on no feature: no gain to weigh by")
    share = gain / gain.sum()
    return np.where(gain > 0, np.power(share, GAIN_TRANSFORMS[transform]), 0.0)


def normalise_weights(weights: np.ndarray, features: int) -> np.ndarray:
    """Non-negative finite ``weights`` scaled so that their squares sum to ``features``
    (all ones stay all ones), float64."""
    w = np.asarray(weights, dtype=np.float64).ravel()
    if w.size != features:
        raise ValueError(f"{w.size} weights for {features} features")
    if not np.isfinite(w).all() or (w < 0).any():
        raise ValueError("weights must be finite and non-negative")
    total = float(w @ w)
    if total <= 0.0:
        raise ValueError("all weights are zero")
    if (w == w[0]).all():
        return np.ones(features)  # exactly the unweighted distance
    return w * np.sqrt(features / total)


@dataclass(frozen=True, eq=False)
class _Space:
    """What a search reads, consistent with itself: the (weighted) columns of the stored
    vectors, their squared norms and the records."""

    source: np.ndarray  # the ``vectors`` array this was computed from
    columns: np.ndarray | None  # positions of the features with weight > 0; None = all
    weights: np.ndarray | None  # their weights (float32); None = unweighted
    vectors: np.ndarray  # (windows x columns) float32, weighted
    norms: np.ndarray  # (windows,) float64, squared norms of ``vectors``
    records: list[dict[str, Any]]

    @classmethod
    def of(
        cls, vectors: np.ndarray, weights: np.ndarray | None, records: list[dict[str, Any]]
    ) -> _Space:
        if weights is None or (weights == 1.0).all():
            columns, w, searched = None, None, vectors
        else:
            columns = np.flatnonzero(weights > 0)
            w = weights[columns].astype(np.float32)
            searched = (vectors[:, columns] * w).astype(np.float32)
        v = searched.astype(np.float64)
        return cls(vectors, columns, w, searched, np.einsum("ij,ij->i", v, v), records)

    def project(self, z: np.ndarray) -> np.ndarray:
        """Standardised query vector(s) into the searched space."""
        z = np.asarray(z, dtype=np.float32)
        if self.columns is None or self.weights is None:
            return z
        return np.asarray(z[..., self.columns] * self.weights, dtype=np.float32)

    def distances(self, z: np.ndarray) -> np.ndarray:
        """Distance from one standardised vector to every stored window
        (|v|^2 - 2 v.q + |q|^2 with the cached squared norms)."""
        q = self.project(z)
        d2 = self.norms - 2.0 * (self.vectors @ q).astype(np.float64) + float(q @ q)
        return np.sqrt(np.maximum(d2, 0.0))


@dataclass
class AnalogueDB:
    vectors: np.ndarray  # (windows x features), standardised, float32, no NaN
    mean: np.ndarray  # (features,) used to standardise queries
    scale: np.ndarray  # (features,)
    records: list[dict[str, Any]]  # per window: well_id, time, type, time_to_start_s, rig_state
    snippets: Snippets | None = None  # the training wells' key channels, if shipped
    # (features,) distance weights, normalised (squares sum to the feature count); None = 1
    weights: np.ndarray | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)
    _space: _Space | None = field(default=None, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        self._base = len(self.records)  # windows shipped with the model come first
        if self.weights is not None:
            self.weights = normalise_weights(self.weights, self.vectors.shape[1])

    def __len__(self) -> int:
        return int(self.vectors.shape[0])

    def set_weights(self, weights: np.ndarray | None) -> None:
        """Search with per-feature distance ``weights`` from now on (normalised here so that
        their squares sum to the feature count; ``None``: unweighted). The weighted vectors
        and their norms are computed at once."""
        w = None if weights is None else normalise_weights(weights, self.vectors.shape[1])
        with self._lock:
            self.weights = w
            self._space = _Space.of(self.vectors, w, self.records)

    def extend(self, rows: np.ndarray, records: list[dict[str, Any]]) -> None:
        """Append windows (raw feature rows) standardised with this database's mean and scale;
        searches from now on find them."""
        rows = np.atleast_2d(np.asarray(rows, dtype=np.float64))
        if rows.shape[0] != len(records):
            raise ValueError(f"{rows.shape[0]} feature rows but {len(records)} records")
        if rows.shape[0] == 0:
            return
        if rows.shape[1] != self.vectors.shape[1]:
            raise ValueError(f"rows have {rows.shape[1]} features, not {self.vectors.shape[1]}")
        added = self.standardise(rows)
        with self._lock:
            self.vectors = np.vstack([self.vectors, added])
            self.records = [*self.records, *records]
            self._space = None

    def remove(self, drop: Callable[[dict[str, Any]], bool]) -> int:
        """Drop windows added by :meth:`extend` whose record ``drop`` selects (the model's
        own windows stay); returns how many."""
        with self._lock:
            keep = np.array(
                [i < self._base or not drop(r) for i, r in enumerate(self.records)], dtype=bool
            )
            removed = int((~keep).sum()) if keep.size else 0
            if removed:
                self.vectors = self.vectors[keep]
                self.records = [r for r, k in zip(self.records, keep, strict=True) if k]
                self._space = None
        return removed

    def snippet(self, well_id: str, time_ns: int) -> dict[str, Any] | None:
        """The shipped channel snippet of ``well_id`` around ``time_ns``, if any."""
        values = None if self.snippets is None else self.snippets.at(well_id, time_ns)
        return None if values is None else snippet_window(values)

    @classmethod
    def build(cls, rows: np.ndarray, records: list[dict[str, Any]]) -> AnalogueDB:
        if rows.shape[0] != len(records):
            raise ValueError(f"{rows.shape[0]} feature rows but {len(records)} records")
        with np.errstate(invalid="ignore"):
            finite = np.isfinite(rows)
            count = finite.sum(axis=0)
            mean = np.where(finite, rows, 0.0).sum(axis=0) / np.maximum(count, 1)
            dev = np.where(finite, rows - mean, 0.0)
            std = np.sqrt((dev * dev).sum(axis=0) / np.maximum(count, 1))
        scale = np.where(std > 1e-12, std, 1.0)
        db = cls(np.empty((0, rows.shape[1]), np.float32), mean, scale, list(records))
        db.vectors = db.standardise(rows)
        return db

    def standardise(self, rows: np.ndarray) -> np.ndarray:
        """(rows - mean) / scale, missing values at 0 (the mean), clipped to ±10."""
        z = (np.atleast_2d(rows) - self.mean) / self.scale
        z = np.where(np.isfinite(z), z, 0.0)
        return np.clip(z, -10.0, 10.0).astype(np.float32)

    def distances(self, row: np.ndarray) -> np.ndarray:
        """Distance from one raw feature row to every stored window: the Euclidean norm of
        ``weights * (standardised row - stored vector)`` (weights 1 when unweighted)."""
        return self._snapshot().distances(self.standardise(row)[0])

    def _snapshot(self) -> _Space:
        """The searched space, computed again after the vectors or weights changed."""
        with self._lock:
            space = self._space
            if space is None or space.source is not self.vectors:
                space = self._space = _Space.of(self.vectors, self.weights, self.records)
        return space

    def search(self, row: np.ndarray, top: int = 5) -> list[dict[str, Any]]:
        """The ``top`` nearest windows to one raw feature row, nearest first, with
        ``similarity`` in (0, 1]."""
        return self.search_standardised(self.standardise(row)[0], top=top)

    def search_standardised(
        self, z: np.ndarray, top: int = 5, candidates: np.ndarray | None = None
    ) -> list[dict[str, Any]]:
        """:meth:`search` for an already standardised vector ``z`` (features,), e.g. a
        stored one; ``candidates`` (bool per stored window) restricts the windows searched."""
        space = self._snapshot()
        d = space.distances(z)
        if candidates is not None:
            candidates = np.asarray(candidates, dtype=bool)
            if candidates.shape != d.shape:
                raise ValueError(f"{candidates.size} candidate flags for {d.size} windows")
            d = np.where(candidates, d, np.inf)
        k = min(top, int(np.isfinite(d).sum()))
        if k <= 0:
            return []
        idx = np.argpartition(d, k - 1)[:k]
        idx = idx[np.argsort(d[idx], kind="stable")]
        # weights normalised to sum(w^2) = features keep the scale of the unweighted distance
        dim = max(1, self.vectors.shape[1])
        return [
            {**space.records[i], "similarity": float(1.0 / (1.0 + d[i] / np.sqrt(dim)))}
            for i in idx
        ]

    def save(self, out_dir: Path) -> list[Path]:
        out_dir.mkdir(parents=True, exist_ok=True)
        npz = out_dir / NPZ_FILE
        with npz.open("wb") as fh:
            np.savez_compressed(
                fh,
                vectors=self.vectors.astype(np.float16),
                mean=self.mean,
                scale=self.scale,
            )
        js = out_dir / JSON_FILE
        js.write_text(json.dumps(self.records, separators=(",", ":")) + "\n")
        if self.snippets is None:
            (out_dir / SNIPPETS_FILE).unlink(missing_ok=True)
            return [npz, js]
        snip = out_dir / SNIPPETS_FILE
        self.snippets.save(snip)
        return [npz, js, snip]

    @classmethod
    def load(cls, model_dir: Path) -> AnalogueDB:
        with np.load(model_dir / NPZ_FILE, allow_pickle=False) as data:
            vectors = data["vectors"].astype(np.float32)
            mean, scale = data["mean"], data["scale"]
        records = json.loads((model_dir / JSON_FILE).read_text())
        if len(records) != vectors.shape[0]:
            raise ValueError(
                f"{model_dir / JSON_FILE}: {len(records)} records for {vectors.shape[0]} vectors"
            )
        path = model_dir / SNIPPETS_FILE
        snippets = Snippets.load(path) if path.exists() else None
        return cls(vectors, mean, scale, records, snippets)
