"""Test data factories, shared by all tests (import as ``from factories import ...``)."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

import httpx
import numpy as np
import orjson
import pytest
from sqlalchemy import Engine

from models.artifact import BUNDLED_DIR, load_model
from pipelines.live.streaming import StreamEngine
from pipelines.simulate import SimWell, random_profile, simulate_well
from pipelines.telemetry import NS_PER_S, TelemetryBatch, chunks, datetime_to_ns

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


def insert_alert(
    engine: Engine,
    well_id: str = "W-1",
    *,
    time: datetime = T0,
    type: str = "stuck_pipe",
    analogues: Sequence[dict[str, Any]] = (),
) -> dict[str, Any]:
    """A stored ``open`` alert (its well created if needed), as the detector would raise it."""
    from service.db import repo

    with engine.begin() as conn:
        repo.ensure_well(conn, well_id=well_id)
        return repo.insert_alert(
            conn,
            well_id=well_id,
            time=time,
            type=type,
            probability=0.91,
            probabilities={"normal": 0.04, type: 0.91},
            rig_state="rotary_drilling",
            model_version="test",
            analogues=analogues,
            contributions=[{"feature": "HKLA__mean", "value": 0.4}],
        )


# ---------------------------------------------------------------- live-server scenarios

JSON = {"content-type": "application/json"}
ALL_CHANNELS = ("DBTM", "DMEA", "BPOS", "HKLA", "WOBA", "TQA", "RPMA", "SPPA", "MFIA", "MFOA")

# Simulated accidents (type, seed) on a 2-h well with the onset at 80 min, in order of
# preference. The first one that the bundled model, replayed in-process through the live
# path, alerts on with its own type is streamed to the server. With bundled-v1 that is the
# first: a kick, seed 1, alerted at ~87.5 min. The others keep the test meaningful when the
# bundled model is re-trained.
SCENARIOS = (("kick", 1), ("kick", 5), ("stuck_pipe", 1), ("kick", 2), ("lost_circulation", 1))
ONSET_S = 80 * 60
HOURS = 2.0
SIM_START = datetime(2026, 1, 1, tzinfo=UTC)  # minute-aligned; shifted to "now" to be sent
CHUNK_S = 60


@dataclass
class Scenario:
    well_id: str
    type: str
    seed: int
    well: SimWell
    alert_chunk: int  # index of the 60-s batch whose ingest raises the alert


def find_scenario(well_id: str) -> Scenario:
    model = load_model(BUNDLED_DIR)
    tried = []
    for kind, seed in SCENARIOS:
        profile = random_profile(well_id, np.random.default_rng(seed))
        well = simulate_well(
            profile, start=SIM_START, hours=HOURS, seed=seed, accidents=[(kind, ONSET_S)]
        )
        engine = StreamEngine(model)
        for i, part in enumerate(chunks(well.to_batch(), CHUNK_S)):
            alerts = engine.feed(well_id, part).alerts
            if alerts:
                tried.append(f"{kind}/seed {seed}: {alerts[0].type} at batch {i}")
                if alerts[0].type == kind:
                    return Scenario(well_id, kind, seed, well, i)
                break
        else:
            tried.append(f"{kind}/seed {seed}: no alert")
    pytest.fail(f"model {model.version} alerts on none of the simulated accidents: {tried}")


def minute_now() -> datetime:
    """Now, floored to the minute (keeps the 10-s decision grid aligned with the data)."""
    return datetime.now(UTC).replace(second=0, microsecond=0)


def post_batch(client: httpx.Client, well_id: str, batch: TelemetryBatch) -> dict[str, Any]:
    r = client.post(
        f"/api/v1/wells/{well_id}/telemetry",
        content=orjson.dumps(batch.to_json_dict()),
        headers=JSON,
    )
    assert r.status_code == 200, r.text
    return r.json()


def post_quiet_well(client: httpx.Client, well_id: str, seed: int) -> dict[str, Any]:
    """Two minutes of ordinary drilling telemetry ending about a minute ago."""
    batch = make_batch(minute_now() - timedelta(minutes=3), n=120, channels=ALL_CHANNELS, seed=seed)
    return post_batch(client, well_id, batch)


def fmt_utc(iso: str) -> str:
    """How the dashboard shows a time: ``YYYY-MM-DD HH:MM:SS`` in UTC."""
    return datetime.fromisoformat(iso).astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S")


VOLVE = Path(__file__).resolve().parent / "data" / "volve"
"""Real Volve WITSML logs, copied into the repository (licence: ``tests/data/volve/README.md``)."""


def volve_file(name: str) -> Path:
    """A Volve file of ``tests/data/volve``; a missing one fails the test (never skips it)."""
    path = VOLVE / name
    assert path.is_file(), f"{path} is missing: the tests read the Volve logs from tests/data/volve"
    return path


T = TypeVar("T")


def wait_until(
    condition: Callable[[], T],
    *,
    timeout_s: float,
    what: str | Callable[[], str],
    every_s: float = 0.2,
) -> T:
    """Poll ``condition`` until it returns something truthy; returns that value.

    For waits on another process that offers nothing to wait on but its answers. Past
    ``timeout_s`` the test fails with ``what`` (text, or a function giving it: read only
    then, e.g. a server log) and the last value seen, so a hang fails instead of stalling
    the run. ``condition`` may itself fail the test early (a process that died).
    """
    deadline = time.monotonic() + timeout_s
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() >= deadline:
            message = what() if callable(what) else what
            pytest.fail(f"{message}: not within {timeout_s:g} s (last: {value!r})")
        time.sleep(every_s)
