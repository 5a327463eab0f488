"""Analogue database: labelled windows that preceded past accidents, searched by similarity.

Each entry is one window's feature vector (the model's own features) with where it came
from: well, time, accident type (or ``normal``), seconds to the accident's start (negative
after the start; ``None`` for normal windows) and the rig state. Vectors are standardised
per feature (training mean and standard deviation; missing values sit at the mean) and
searched by brute-force Euclidean distance in numpy — fine up to ~10^5 windows (BRIEF §7);
past that an approximate-nearest-neighbour library takes over.

Stored next to the model as ``analogues.npz`` (arrays, no pickles: loaded with
``allow_pickle=False``) and ``analogues.json`` (the records).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

NPZ_FILE = "analogues.npz"
JSON_FILE = "analogues.json"


@dataclass
class AnalogueDB:
    vectors: np.ndarray  # (windows x features), standardised, float32, no NaN
    mean: np.ndarray  # (features,) used to standardise queries
    scale: np.ndarray  # (features,)
    records: list[dict[str, Any]]  # per window: well_id, time, type, time_to_start_s, rig_state

    def __len__(self) -> int:
        return int(self.vectors.shape[0])

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
        """Euclidean distance from one feature row to every stored window
        (|v|^2 - 2 v.q + |q|^2 with the stored windows' squared norms cached)."""
        q = self.standardise(row)[0]
        norms = self.__dict__.get("_norms")
        if norms is None or norms.shape[0] != self.vectors.shape[0]:
            v = self.vectors.astype(np.float64)
            norms = self.__dict__["_norms"] = np.einsum("ij,ij->i", v, v)
        d2 = norms - 2.0 * (self.vectors @ q).astype(np.float64) + float(q @ q)
        return np.sqrt(np.maximum(d2, 0.0))

    def search(self, row: np.ndarray, top: int = 5) -> list[dict[str, Any]]:
        """The ``top`` nearest windows, nearest first, with ``similarity`` in (0, 1]."""
        if len(self) == 0:
            return []
        d = self.distances(row)
        k = min(top, len(d))
        idx = np.argpartition(d, k - 1)[:k]
        idx = idx[np.argsort(d[idx], kind="stable")]
        dim = max(1, self.vectors.shape[1])
        return [
            {**self.records[i], "similarity": float(1.0 / (1.0 + d[i] / np.sqrt(dim)))} for i in idx
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
        return [npz, js]

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
        return cls(vectors, mean, scale, records)


def majority_type(analogues: list[dict[str, Any]]) -> str | None:
    """The accident type most of the analogues share (similarity-weighted), if any."""
    votes: dict[str, float] = {}
    for a in analogues:
        votes[a["type"]] = votes.get(a["type"], 0.0) + float(a["similarity"])
    return max(votes, key=lambda t: votes[t]) if votes else None
