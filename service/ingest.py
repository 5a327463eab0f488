"""Ingest: store a validated batch durably, feed it to the live path, persist what it raised.

The batch is committed to the telemetry store before anything else happens (so a 2xx means
stored); only then are its new samples fed to the well's rolling state. Alerts raised are
stored in their own transaction and returned for publishing.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, Engine

from pipelines.live.quality import QualityNotice
from pipelines.live.quality import check as check_quality
from pipelines.live.streaming import StreamEngine
from pipelines.telemetry import TelemetryBatch, ns_to_datetime
from service.db import repo, telemetry_store

log = logging.getLogger(__name__)


@dataclass
class IngestResult:
    well_id: str
    received: int
    stored: int
    late: int
    decisions: int
    rig_state: str | None
    last_sample_at: str | None
    well_created: bool
    alerts: list[dict[str, Any]] = field(default_factory=list)
    notices: list[QualityNotice] = field(default_factory=list)  # new data-quality notices

    def as_dict(self) -> dict[str, Any]:
        return {
            "well_id": self.well_id,
            "received": self.received,
            "stored": self.stored,
            "duplicates": self.received - self.stored,
            "late": self.late,
            "decisions": self.decisions,
            "rig_state": self.rig_state,
            "last_sample_at": self.last_sample_at,
            "alerts": [a["id"] for a in self.alerts],
            "quality": [n.as_dict() for n in self.notices],
        }


class Ingestor:
    def __init__(self, db: Engine, stream: StreamEngine) -> None:
        self.db = db
        self.stream = stream
        # Data-quality notices per well, newest state of each (channel, kind, start).
        self.quality: dict[str, dict[tuple[str, str, str], QualityNotice]] = {}

    def check_quality(self, well_id: str) -> list[QualityNotice]:
        """Run the data-quality checks on the well's live window; returns new notices."""
        state = self.stream.well(well_id)
        with state.lock:
            notices = check_quality(well_id, state.times_ns, state.channels)
        known = self.quality.setdefault(well_id, {})
        fresh = []
        for notice in notices:
            key = (notice.channel, notice.kind, notice.start)
            if key not in known:
                fresh.append(notice)
                log.warning(
                    "data quality on well %s: %s %s %s",
                    well_id,
                    notice.kind,
                    notice.channel,
                    notice.detail,
                )
            known[key] = notice
        while len(known) > 500:  # keep the most recent
            known.pop(next(iter(known)))
        return fresh

    @contextmanager
    def _write(self) -> Iterator[Connection]:
        """A write transaction; on SQLite it takes the write lock up front (BEGIN IMMEDIATE),
        so concurrent ingests queue on the busy timeout instead of failing to upgrade."""
        with self.db.connect() as conn:
            conn.execution_options(sqlite_begin="IMMEDIATE")
            with conn.begin():
                yield conn

    def ingest(self, well_id: str, batch: TelemetryBatch) -> IngestResult:
        with self._write() as conn:
            created = repo.ensure_well(conn, well_id=well_id)
            stored = telemetry_store.store_batch(conn, well_id=well_id, batch=batch)
        fed = self.stream.feed(well_id, batch)
        alerts: list[dict[str, Any]] = []
        with self._write() as conn:
            for event in fed.alerts:
                alerts.append(
                    repo.insert_alert(
                        conn,
                        well_id=well_id,
                        time=event.time,
                        type=event.type,
                        probability=event.probability,
                        probabilities=event.probabilities,
                        rig_state=event.rig_state,
                        model_version=event.model_version,
                        contributions=event.contributions,
                        evidence=event.evidence,
                        analogues=event.analogues,
                    )
                )
            last = ns_to_datetime(fed.last_time_ns) if fed.last_time_ns is not None else None
            if last is not None:
                repo.touch_well(conn, well_id=well_id, last_sample_at=last, rig_state=fed.rig_state)
        notices = self.check_quality(well_id) if fed.accepted else []
        for alert in alerts:
            log.warning(
                "ALERT %s on well %s at %s (p=%.2f, rig state %s)",
                alert["type"],
                well_id,
                alert["time"],
                alert["probability"],
                alert["rig_state"],
            )
        return IngestResult(
            well_id=well_id,
            received=len(batch),
            stored=stored,
            late=fed.late,
            decisions=len(fed.decisions),
            rig_state=fed.rig_state,
            last_sample_at=last.isoformat() if last else None,
            well_created=created,
            alerts=alerts,
            notices=notices,
        )
