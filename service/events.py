"""In-process live state: publish/subscribe for Server-Sent Events (alerts, status changes,
well status), the process counters exported on ``/metrics`` and background jobs."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
import time
import uuid
from collections import deque
from collections.abc import Coroutine
from datetime import UTC, datetime
from typing import Any

log = logging.getLogger(__name__)


class Broadcaster:
    """Fan-out to subscriber queues; a subscriber that falls too far behind is dropped."""

    def __init__(self, max_queue: int = 1000) -> None:
        self._subscribers: set[asyncio.Queue[dict[str, Any] | None]] = set()
        self._max_queue = max_queue

    def subscribe(self) -> asyncio.Queue[dict[str, Any] | None]:
        queue: asyncio.Queue[dict[str, Any] | None] = asyncio.Queue(maxsize=self._max_queue)
        self._subscribers.add(queue)
        return queue

    def unsubscribe(self, queue: asyncio.Queue[dict[str, Any] | None]) -> None:
        self._subscribers.discard(queue)

    @property
    def subscribers(self) -> int:
        return len(self._subscribers)

    def publish(self, event: str, data: dict[str, Any]) -> None:
        """Call from the event loop's thread."""
        for queue in list(self._subscribers):
            try:
                queue.put_nowait({"event": event, "data": data})
            except asyncio.QueueFull:
                log.warning(
                    "dropping a stream subscriber that fell %d events behind", queue.qsize()
                )
                self._subscribers.discard(queue)

    def close(self) -> None:
        for queue in list(self._subscribers):
            with contextlib.suppress(asyncio.QueueFull):
                queue.put_nowait(None)
        self._subscribers.clear()


class Metrics:
    """Process counters; ``rate_window_s`` is the window of the ingest rate gauge."""

    def __init__(self, rate_window_s: float = 60.0) -> None:
        self._lock = threading.Lock()
        self.rate_window_s = rate_window_s
        self.samples_received = 0
        self.samples_stored = 0
        self.batches = 0
        self.alerts_raised: dict[str, int] = {}
        self._recent: deque[tuple[float, int]] = deque()
        self._started = time.monotonic()

    def count_ingest(self, *, received: int, stored: int, alert_types: list[str]) -> None:
        now = time.monotonic()
        with self._lock:
            self.batches += 1
            self.samples_received += received
            self.samples_stored += stored
            for kind in alert_types:
                self.alerts_raised[kind] = self.alerts_raised.get(kind, 0) + 1
            self._recent.append((now, received))
            self._trim(now)

    def _trim(self, now: float) -> None:
        while self._recent and self._recent[0][0] < now - self.rate_window_s:
            self._recent.popleft()

    def ingest_rate(self) -> float:
        """Samples received per second over the last ``rate_window_s`` (or since start)."""
        now = time.monotonic()
        with self._lock:
            self._trim(now)
            total = sum(n for _, n in self._recent)
        span = min(self.rate_window_s, max(now - self._started, 1e-9))
        return total / span


class Job:
    """A background job's state, updated by its worker; read by ``GET /api/v1/jobs/{id}``."""

    def __init__(self, kind: str, params: dict[str, Any]) -> None:
        self.id = uuid.uuid4().hex[:12]
        self.kind = kind
        self.params = params
        self.status = "queued"  # queued, running, succeeded, failed
        self.progress = "queued"
        self.created_at = datetime.now(UTC)
        self.started_at: datetime | None = None
        self.finished_at: datetime | None = None
        self.result: dict[str, Any] | None = None
        self.error: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "kind": self.kind,
            "params": self.params,
            "status": self.status,
            "progress": self.progress,
            "created_at": self.created_at,
            "started_at": self.started_at,
            "finished_at": self.finished_at,
            "result": self.result,
            "error": self.error,
        }


class Jobs:
    """In-memory background jobs of this process (lost on restart), newest last."""

    def __init__(self) -> None:
        self._jobs: dict[str, Job] = {}
        self._tasks: set[asyncio.Task[None]] = set()

    def create(self, kind: str, params: dict[str, Any]) -> Job:
        job = Job(kind, params)
        self._jobs[job.id] = job
        return job

    def get(self, job_id: str) -> Job | None:
        return self._jobs.get(job_id)

    def all(self) -> list[Job]:
        return list(self._jobs.values())

    def active(self, kind: str) -> Job | None:
        return next(
            (
                j
                for j in self._jobs.values()
                if j.kind == kind and j.status in ("queued", "running")
            ),
            None,
        )

    def start(self, coro: Coroutine[Any, Any, None]) -> None:
        """Run ``coro`` on the event loop, keeping a reference until it ends."""
        task = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
