"""Backtests replay stored telemetry through the live path (``StreamEngine.feed``)."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np

from models.artifact import ModelArtifact
from pipelines.batch import TelemetryBatch
from pipelines.evaluate import Accident, Alert, evaluate
from pipelines.streaming import AlertEvent, Decision, StreamEngine

log = logging.getLogger(__name__)
NS = 1_000_000_000


def chunks(batch: TelemetryBatch, seconds: float) -> Iterator[TelemetryBatch]:
    """Split a batch into consecutive batches of ``seconds`` of data, as a rig would send."""
    if len(batch) == 0:
        return
    bucket = (batch.times_ns - batch.times_ns[0]) // int(seconds * NS)
    edges = np.flatnonzero(np.diff(bucket)) + 1
    for lo, hi in zip(np.r_[0, edges], np.r_[edges, len(batch)], strict=True):
        yield batch.select(slice(int(lo), int(hi)))


def replay(
    engine: StreamEngine, well_id: str, batch: TelemetryBatch, *, batch_seconds: float = 60.0
) -> tuple[list[AlertEvent], list[Decision]]:
    alerts: list[AlertEvent] = []
    decisions: list[Decision] = []
    for part in chunks(batch, batch_seconds):
        result = engine.feed(well_id, part)
        alerts.extend(result.alerts)
        decisions.extend(result.decisions)
    return alerts, decisions


@dataclass
class BacktestResult:
    metrics: dict
    alerts: list[AlertEvent]
    decisions: dict[str, list[Decision]]  # per well, in time order
    monitored: dict[str, tuple[datetime, datetime]]


def backtest(
    model: ModelArtifact,
    wells: dict[str, TelemetryBatch],
    accidents: list[Accident],
    *,
    k: int = 3,
    n: int = 5,
    cooldown_s: float = 1800.0,
) -> BacktestResult:
    """Replay every well through a fresh engine; per-event metrics and the alerts raised."""
    engine = StreamEngine(model, k=k, n=n, cooldown_s=cooldown_s)
    all_alerts: list[AlertEvent] = []
    decisions: dict[str, list[Decision]] = {}
    monitored = {}
    for i, (well_id, batch) in enumerate(sorted(wells.items()), start=1):
        if len(batch) == 0:
            continue
        alerts, decisions[well_id] = replay(engine, well_id, batch)
        all_alerts.extend(alerts)
        monitored[well_id] = (batch.start, batch.end)
        log.info("backtest %d/%d %s: %d alerts", i, len(wells), well_id, len(alerts))
    metrics = evaluate(
        [Alert(a.well_id, a.time, a.type, a.probability) for a in all_alerts],
        [a for a in accidents if a.well_id in monitored],
        monitored,
        cooldown=timedelta(seconds=cooldown_s),
    )
    return BacktestResult(metrics, all_alerts, decisions, monitored)
