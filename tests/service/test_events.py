"""In-process live state: the SSE broadcaster, the ingest counters behind ``/metrics`` and the
background jobs of this process."""

from __future__ import annotations

import asyncio
from typing import Any

import orjson
import pytest
from factories import T0, make_batch
from fastapi.testclient import TestClient

from service import events
from service.events import Broadcaster, Jobs, Metrics

# -- the broadcaster --------------------------------------------------------------------------


def drain(queue: asyncio.Queue[Any]) -> list[Any]:
    items = []
    while not queue.empty():
        items.append(queue.get_nowait())
    return items


def test_every_subscriber_gets_every_event_in_order() -> None:
    async def scenario() -> None:
        broadcaster = Broadcaster()
        first, second = broadcaster.subscribe(), broadcaster.subscribe()
        assert broadcaster.subscribers == 2
        broadcaster.publish("alert", {"id": 1})
        broadcaster.publish("well", {"id": "W-1"})
        expected = [
            {"event": "alert", "data": {"id": 1}},
            {"event": "well", "data": {"id": "W-1"}},
        ]
        assert drain(first) == expected
        assert drain(second) == expected

    asyncio.run(scenario())


def test_an_unsubscribed_queue_gets_nothing_more() -> None:
    async def scenario() -> None:
        broadcaster = Broadcaster()
        gone, staying = broadcaster.subscribe(), broadcaster.subscribe()
        broadcaster.unsubscribe(gone)
        broadcaster.unsubscribe(gone)  # twice is harmless (a stream ending twice)
        broadcaster.publish("alert", {"id": 1})
        assert drain(gone) == []
        assert len(drain(staying)) == 1
        assert broadcaster.subscribers == 1

    asyncio.run(scenario())


def test_a_subscriber_that_falls_too_far_behind_is_dropped_and_the_rest_keep_up() -> None:
    async def scenario() -> None:
        broadcaster = Broadcaster(max_queue=3)
        slow, fast = broadcaster.subscribe(), broadcaster.subscribe()
        for i in range(3):
            broadcaster.publish("well", {"n": i})
        assert len(drain(fast)) == 3
        broadcaster.publish("well", {"n": 3})  # the slow one's queue is full: dropped
        assert broadcaster.subscribers == 1
        broadcaster.publish("well", {"n": 4})
        assert [e["data"]["n"] for e in drain(slow)] == [0, 1, 2]  # what it had, no more
        assert [e["data"]["n"] for e in drain(fast)] == [3, 4]

    asyncio.run(scenario())


def test_closing_ends_every_stream() -> None:
    async def scenario() -> None:
        broadcaster = Broadcaster(max_queue=1)
        idle, full = broadcaster.subscribe(), broadcaster.subscribe()
        full.put_nowait({"event": "well", "data": {}})
        broadcaster.close()
        assert drain(idle) == [None]  # the end marker a stream returns on
        assert len(drain(full)) == 1  # no room for the marker: it is dropped all the same
        assert broadcaster.subscribers == 0

    asyncio.run(scenario())


def test_an_ingested_batch_reaches_a_live_stream_as_a_well_event(client: TestClient) -> None:
    broadcaster: Broadcaster = client.app.state.broadcaster  # type: ignore[attr-defined]
    queue = client.portal.call(broadcaster.subscribe)  # on the app's event loop
    try:
        batch = make_batch(T0, n=30)
        r = client.post("/api/v1/wells/W-1/telemetry", content=orjson.dumps(batch.to_json_dict()))
        assert r.status_code == 200, r.text
        event = client.portal.call(asyncio.wait_for, queue.get(), 10)
    finally:
        broadcaster.unsubscribe(queue)
    assert event == {
        "event": "well",
        "data": {
            "id": "W-1",
            "last_sample_at": batch.end.isoformat(),
            "rig_state": r.json()["rig_state"],
            "created": True,
        },
    }


# -- ingest metrics ---------------------------------------------------------------------------


class Clock:
    """A monotonic clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def monotonic(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    clock = Clock()
    monkeypatch.setattr(events, "time", clock)  # only service.events reads it
    return clock


def test_ingests_add_up_samples_batches_and_alerts_by_type(clock: Clock) -> None:
    metrics = Metrics()
    metrics.count_ingest(received=100, stored=100, alert_types=["kick"])
    metrics.count_ingest(received=100, stored=40, alert_types=["kick", "washout"])
    metrics.count_ingest(received=5, stored=0, alert_types=[])
    assert (metrics.batches, metrics.samples_received, metrics.samples_stored) == (3, 205, 140)
    assert metrics.alerts_raised == {"kick": 2, "washout": 1}


def test_the_ingest_rate_counts_only_the_samples_of_its_window(clock: Clock) -> None:
    metrics = Metrics(rate_window_s=60.0)
    clock.now += 10
    metrics.count_ingest(received=300, stored=300, alert_types=[])
    # a process younger than the window divides by its age
    assert metrics.ingest_rate() == pytest.approx(30.0)
    clock.now += 50
    metrics.count_ingest(received=60, stored=60, alert_types=[])
    assert metrics.ingest_rate() == pytest.approx(360 / 60)
    clock.now += 30  # the first batch is now 80 s old: out of the window
    assert metrics.ingest_rate() == pytest.approx(60 / 60)
    clock.now += 3600
    assert metrics.ingest_rate() == 0.0
    assert metrics.samples_received == 360  # the totals keep everything


# -- background jobs --------------------------------------------------------------------------


def test_a_new_job_is_queued_and_listed_oldest_first() -> None:
    jobs = Jobs()
    first = jobs.create("retrain", {"folds": 2})
    second = jobs.create("backfill", {})
    assert first.id != second.id
    assert jobs.get(first.id) is first and jobs.get("no-such-job") is None
    assert jobs.all() == [first, second]
    as_dict = first.as_dict()
    assert as_dict["status"] == as_dict["progress"] == "queued"
    assert as_dict["params"] == {"folds": 2} and as_dict["kind"] == "retrain"
    assert as_dict["started_at"] is None and as_dict["result"] is None
    assert as_dict["created_at"].tzinfo is not None


def test_only_a_queued_or_running_job_of_a_kind_is_active() -> None:
    jobs = Jobs()
    done = jobs.create("retrain", {})
    done.status = "succeeded"
    assert jobs.active("retrain") is None
    running = jobs.create("retrain", {})
    running.status = "running"
    jobs.create("backfill", {})
    assert jobs.active("retrain") is running
    running.status = "failed"
    assert jobs.active("retrain") is None


def test_a_started_job_runs_on_the_event_loop_to_its_end() -> None:
    async def scenario() -> None:
        jobs = Jobs()
        job = jobs.create("retrain", {})
        go, finished = asyncio.Event(), asyncio.Event()

        async def work() -> None:
            job.status = "running"
            await go.wait()
            job.status, job.result = "succeeded", {"model_id": "v2"}
            finished.set()

        jobs.start(work())  # returns at once; the caller keeps no task
        assert job.status == "queued"
        await asyncio.sleep(0)  # one turn of the loop: the job starts and waits
        assert job.status == "running"
        assert jobs.active("retrain") is job
        go.set()
        await asyncio.wait_for(finished.wait(), timeout=10)
        assert job.as_dict()["result"] == {"model_id": "v2"}
        assert jobs.active("retrain") is None

    asyncio.run(scenario())
