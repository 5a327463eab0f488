"""Training rows: window features of a well every stride, labelled by its accidents, and
channel-dropout copies of a well (fewer, noisier channels, coarser irregular sampling)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import numpy as np

from models.artifact import NORMAL
from models.features import FeatureSpec, decision_ends, features_at, prepare
from pipelines.live.alerting import gated_out
from pipelines.telemetry import Accident, TelemetryBatch, datetime_to_ns
from pipelines.training.config import NS, TrainConfig

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
