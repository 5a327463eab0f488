"""Test data factories, shared by all tests (import as ``from factories import ...``)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

import numpy as np

from pipelines.batch import NS_PER_S, TelemetryBatch, datetime_to_ns

DEFAULT_CHANNELS = ("HKLA", "TQA", "SPPA", "MFIA")
T0 = datetime(2024, 3, 1, 6, 0, tzinfo=UTC)

# Typical level, random-walk step and sensor noise per channel (internal units, §2).
_PROFILE: dict[str, tuple[float, float, float]] = {
    "DBTM": (2500.0, 0.02, 0.005),
    "DMEA": (2500.0, 0.02, 0.0),
    "BPOS": (15.0, 0.2, 0.01),
    "ROPA": (20.0, 0.5, 0.3),
    "HKLA": (1200.0, 2.0, 1.5),
    "WOBA": (80.0, 0.8, 0.6),
    "TQA": (12.0, 0.1, 0.08),
    "RPMA": (120.0, 0.5, 0.5),
    "SPPA": (18000.0, 20.0, 15.0),
    "CHKP": (300.0, 1.0, 0.5),
    "MFIA": (2400.0, 5.0, 3.0),
    "MFOA": (2380.0, 5.0, 4.0),
    "TVA": (60.0, 0.01, 0.005),
    "GASA": (0.5, 0.01, 0.01),
}


def to_ns(value: datetime | int) -> int:
    return value if isinstance(value, int) else datetime_to_ns(value)


def make_batch(
    start: datetime | int = T0,
    n: int = 60,
    channels: Sequence[str] = DEFAULT_CHANNELS,
    step_s: float = 1.0,
    seed: int = 0,
    *,
    decimals: int | None = 2,
    nan_fraction: float = 0.0,
) -> TelemetryBatch:
    """``n`` samples every ``step_s`` seconds from ``start``: noisy random walks.

    ``decimals`` rounds like decimal telemetry text does (None = full float precision);
    ``nan_fraction`` blanks that share of values at random.
    """
    rng = np.random.default_rng(seed)
    t0 = to_ns(start)
    times = t0 + np.round(np.arange(n) * step_s * NS_PER_S).astype(np.int64)
    columns: dict[str, np.ndarray] = {}
    for name in channels:
        level, step, noise = _PROFILE.get(name, (100.0, 1.0, 0.5))
        values = level + np.cumsum(rng.normal(0.0, step, n)) + rng.normal(0.0, noise, n)
        if decimals is not None:
            values = np.round(values, decimals)
        if nan_fraction:
            values[rng.random(n) < nan_fraction] = np.nan
        columns[name] = values
    return TelemetryBatch(times, columns)


def assert_batches_equal(actual: TelemetryBatch, expected: TelemetryBatch) -> None:
    """Same time stamps, same channel names, bit-equal values (NaN where NaN)."""
    np.testing.assert_array_equal(actual.times_ns, expected.times_ns)
    assert actual.times_ns.dtype == np.int64
    assert sorted(actual.channels) == sorted(expected.channels)
    for name, values in expected.channels.items():
        got = actual.channels[name]
        assert got.dtype == np.float64, name
        assert np.array_equal(got.view(np.int64), values.view(np.int64)), name
