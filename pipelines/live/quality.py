"""Data-quality checks per well: gaps, flat-lined sensors, out-of-range values and suspected
unit errors. Notices are kept apart from accident alerts.

``check(well_id, times_ns, channels)`` inspects a well's recent samples (the live rolling
buffer, or a stored range) and returns the notices that hold over them.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from models.features import MAX_STEP_S, PUMPING_LPM, RETURNS_TRUST_S, ReturnsTrust
from pipelines.telemetry import ns_to_iso

NS = 1_000_000_000

# Physically possible ranges in internal units (docs/domain.md §2); outside them a value is wrong.
RANGES: dict[str, tuple[float, float]] = {
    "DBTM": (-50.0, 15_000.0),
    "DMEA": (-50.0, 15_000.0),
    "BPOS": (-5.0, 60.0),
    "ROPA": (0.0, 500.0),
    "HKLA": (-50.0, 10_000.0),
    "WOBA": (-500.0, 2_000.0),
    "TQA": (-5.0, 200.0),
    "RPMA": (0.0, 400.0),
    "SPPA": (-100.0, 100_000.0),
    "CHKP": (-100.0, 100_000.0),
    "MFIA": (0.0, 20_000.0),
    "MFOA": (0.0, 20_000.0),
    "MFOP": (0.0, 100.0),
    "TVA": (0.0, 2_000.0),
    "GASA": (0.0, 100.0),
}
# (channel, test on the median while it is active, what was probably sent)
UNIT_SUSPECTS: tuple[tuple[str, float, float, str], ...] = (
    ("HKLA", 5_000.0, np.inf, "values look like N or lbf, not kN"),
    ("SPPA", 0.0, 60.0, "values look like MPa or bar, not kPa"),
    ("SPPA", 100_000.0, np.inf, "values look like Pa, not kPa"),
    ("MFIA", 0.0, 10.0, "values look like m3/min or m3/s, not L/min"),
    ("TQA", 300.0, np.inf, "values look like N.m or ft.lbf, not kN.m"),
    ("RPMA", 0.0, 4.0, "values look like rev/s, not rpm"),
)
FLATLINE_CHANNELS = ("HKLA", "SPPA", "TQA", "MFIA", "MFOA", "TVA", "WOBA")


@dataclass(frozen=True)
class QualityNotice:
    well_id: str
    channel: str
    kind: str  # "gap" | "flatline" | "out_of_range" | "unit_suspect"
    start: str
    end: str
    detail: str

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class QualityThresholds:
    gap_s: float = 60.0  # no sample for this long inside the data
    flatline_s: float = 900.0  # an active sensor exactly constant for this long
    min_active: float = 1.0  # channel median above this counts as active (flatline, units)


def _runs(mask: np.ndarray) -> list[tuple[int, int]]:
    """(first, last) index of each run of True."""
    if not mask.any():
        return []
    padded = np.r_[False, mask, False].astype(np.int8)
    starts = np.flatnonzero(np.diff(padded) == 1)
    ends = np.flatnonzero(np.diff(padded) == -1) - 1
    return list(zip(starts.tolist(), ends.tolist(), strict=True))


def check(
    well_id: str,
    times_ns: np.ndarray,
    channels: dict[str, np.ndarray],
    thresholds: QualityThresholds | None = None,
) -> list[QualityNotice]:
    th = thresholds or QualityThresholds()
    notices: list[QualityNotice] = []
    if times_ns.size == 0:
        return notices
    iso = ns_to_iso
    steps = np.diff(times_ns)
    for i in np.flatnonzero(steps > th.gap_s * NS).tolist():
        notices.append(
            QualityNotice(
                well_id,
                "*",
                "gap",
                iso(int(times_ns[i])),
                iso(int(times_ns[i + 1])),
                f"no data for {steps[i] / NS:.0f} s",
            )
        )
    for name, values in channels.items():
        finite = np.isfinite(values)
        if not finite.any():
            continue
        lo, hi = RANGES.get(name, (-np.inf, np.inf))
        with np.errstate(invalid="ignore"):
            bad = finite & ((values < lo) | (values > hi))
        if bad.any():  # one notice per channel, however many runs
            where = np.flatnonzero(bad)
            a, b = int(where[0]), int(where[-1])
            notices.append(
                QualityNotice(
                    well_id,
                    name,
                    "out_of_range",
                    iso(int(times_ns[a])),
                    iso(int(times_ns[b])),
                    f"{where.size} value(s) outside [{lo:g}, {hi:g}], e.g. {values[a]:g}",
                )
            )
        median = float(np.median(values[finite]))
        suspects = [u for u in UNIT_SUSPECTS if u[0] == name]
        active = finite & (np.abs(values) > th.min_active) if suspects else finite
        if suspects and active.sum() > 10:
            active_median = float(np.median(values[active]))
            for _, low, high, what in suspects:
                if low < active_median < high:
                    notices.append(
                        QualityNotice(
                            well_id,
                            name,
                            "unit_suspect",
                            iso(int(times_ns[0])),
                            iso(int(times_ns[-1])),
                            f"median {active_median:g} while active: {what}",
                        )
                    )
        if name in FLATLINE_CHANNELS and abs(median) > th.min_active:
            same = np.zeros(values.shape, dtype=bool)
            same[1:] = finite[1:] & finite[:-1] & (np.diff(values) == 0)
            for a, b in _runs(same):
                start = max(0, a - 1)
                seconds = (times_ns[b] - times_ns[start]) / NS
                if seconds >= th.flatline_s:
                    notices.append(
                        QualityNotice(
                            well_id,
                            name,
                            "flatline",
                            iso(int(times_ns[start])),
                            iso(int(times_ns[b])),
                            f"constant at {values[b]:g} for {seconds / 60:.0f} min",
                        )
                    )
    notices.extend(_returns_notice(well_id, times_ns, channels))
    return notices


def _returns_notice(
    well_id: str, times_ns: np.ndarray, channels: dict[str, np.ndarray]
) -> list[QualityNotice]:
    """Flow out that never agrees with flow in while pumping: a wrong unit or a wrong
    sensor. The detector leaves such a flow out alone (``models.features.ReturnsTrust``)."""
    trust = ReturnsTrust()
    trust.update(times_ns, channels)
    fin, fout = channels.get("MFIA"), channels.get("MFOA")
    if trust.trusted_from_ns is not None or fin is None or fout is None:
        return []
    with np.errstate(invalid="ignore", divide="ignore"):
        pumping = np.isfinite(fin) & np.isfinite(fout) & (fin > PUMPING_LPM)
    steps = np.clip(np.diff(times_ns, prepend=times_ns[0]) / NS, 0.0, MAX_STEP_S)
    seconds = float(steps[pumping].sum())
    if seconds < 2 * RETURNS_TRUST_S:
        return []
    ratio = float(np.median(fout[pumping] / fin[pumping]))
    return [
        QualityNotice(
            well_id,
            "MFOA",
            "unit_suspect",
            ns_to_iso(int(times_ns[0])),
            ns_to_iso(int(times_ns[-1])),
            f"flow out is {ratio:.2g} x flow in over {seconds / 60:.0f} min of pumping: wrong "
            "unit or sensor; left out of detection until it agrees with flow in",
        )
    ]
