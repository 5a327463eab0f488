"""Retraining as a background job on the stored telemetry and accidents (both backends)."""

from __future__ import annotations

import time
from typing import Any

import pytest
from fastapi.testclient import TestClient

from pipelines.telemetry import TelemetryBatch
from service.db import repo, telemetry_store


@pytest.fixture(scope="module")
def fleet() -> list[Any]:
    from pipelines.simulate import simulate_fleet

    return simulate_fleet(3, hours=6, seed=101)


def _store_fleet(client: TestClient, fleet: list[Any]) -> None:
    with client.app.state.db.begin() as conn:
        for well in fleet:
            well_id = well.profile.well_id
            repo.ensure_well(conn, well_id=well_id)
            batch = TelemetryBatch.from_frame(well.frame)
            telemetry_store.store_batch(conn, well_id=well_id, batch=batch)
        rows = [
            {"well_id": a.well_id, "type": a.type, "start": a.start, "end": a.end}
            for well in fleet
            for a in well.accidents
        ]
        repo.insert_accidents(conn, rows=rows)


def _wait(client: TestClient, job_id: str, timeout_s: float = 120.0) -> dict[str, Any]:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        job = client.get(f"/api/v1/jobs/{job_id}").json()
        if job["status"] in ("succeeded", "failed"):
            return job
        time.sleep(0.2)
    raise AssertionError(f"job {job_id} did not finish within {timeout_s} s")


@pytest.mark.slow
def test_a_retrain_job_registers_and_activates_a_new_version(
    client: TestClient, fleet: list[Any]
) -> None:
    _store_fleet(client, fleet)
    r = client.post(
        "/api/v1/models/retrain", json={"n_estimators": 5, "folds": 2, "activate": True}
    )
    assert r.status_code == 202, r.text
    assert r.json()["status"] in ("queued", "running")
    job = _wait(client, r.json()["id"])
    assert job["status"] == "succeeded", job["error"]
    version = job["result"]["model_id"]
    assert client.app.state.stream.model.version == version
    models = {m["id"]: m["active"] for m in client.get("/api/v1/models").json()}
    assert models[version] is True and sum(models.values()) == 1
    assert [j["id"] for j in client.get("/api/v1/jobs").json()] == [job["id"]]


@pytest.mark.slow
def test_a_retrain_learns_dismissed_alerts_as_normal_and_records_the_verdicts(
    client: TestClient, fleet: list[Any]
) -> None:
    from datetime import timedelta

    from factories import insert_alert

    _store_fleet(client, fleet)
    db = client.app.state.db
    first, second = (w.accidents[0] for w in fleet if w.accidents)
    dismissed = insert_alert(db, first.well_id, time=first.start - timedelta(hours=1))
    confirmed = insert_alert(db, second.well_id, time=second.start, type=second.type)
    verdicts = [
        (dismissed["id"], "dismiss", {"who": "dsv", "reason": "connection, not a kick"}),
        (confirmed["id"], "confirm", {"who": "dsv"}),
    ]
    for alert_id, action, body in verdicts:
        assert client.post(f"/api/v1/alerts/{alert_id}/{action}", json=body).status_code == 200
    r = client.post("/api/v1/models/retrain", json={"n_estimators": 5, "folds": 2})
    assert r.status_code == 202, r.text
    job = _wait(client, r.json()["id"])
    assert job["status"] == "succeeded", job["error"]
    with db.connect() as conn:
        training = repo.get_model_version(conn, id=job["result"]["model_id"])["meta"]["training"]
    assert training["dismissed_alerts"] == 1 and training["confirmed_alerts"] == 1
    assert training["accidents"] == sum(len(w.accidents) for w in fleet) + 1


@pytest.mark.slow
def test_a_retrain_activated_serves_the_new_model_with_the_verdict_windows(
    client: TestClient, fleet: list[Any]
) -> None:
    from factories import insert_alert

    from service import verdicts

    _store_fleet(client, fleet)
    db = client.app.state.db
    accident = next(a for w in fleet for a in w.accidents)
    alert = insert_alert(db, accident.well_id, time=accident.start, type=accident.type)
    r = client.post(f"/api/v1/alerts/{alert['id']}/confirm", json={"who": "dsv"})
    assert r.status_code == 200, r.text
    with db.connect() as conn:
        windows = len(repo.list_analogue_cases(conn, alert_id=alert["id"]))
    assert windows > 0
    assert verdicts.counts(client.app.state.stream.model)["confirmed"] == windows

    r = client.post(
        "/api/v1/models/retrain", json={"n_estimators": 5, "folds": 2, "activate": True}
    )
    assert r.status_code == 202, r.text
    job = _wait(client, r.json()["id"])
    assert job["status"] == "succeeded", job["error"]
    served = client.app.state.stream.model
    assert served.version == job["result"]["model_id"]
    # the freshly trained model searches the confirmed alert's windows, as after a restart
    assert verdicts.counts(served)["confirmed"] == windows
    r = client.get("/api/v1/analogues")
    assert r.json()["model_version"] == served.version and r.json()["confirmed"] == windows


def test_a_retrain_without_data_fails_with_the_reason(client: TestClient) -> None:
    bundled = client.app.state.stream.model.version
    r = client.post("/api/v1/models/retrain", json={})
    assert r.status_code == 202
    job = _wait(client, r.json()["id"])
    assert job["status"] == "failed" and "no stored telemetry" in job["error"]
    assert client.app.state.stream.model.version == bundled


def test_retrain_requests_are_validated(client: TestClient) -> None:
    r = client.post("/api/v1/models/retrain", json={"wells": ["NOPE"]})
    assert r.status_code == 422 and r.json()["field"] == "wells.0"
    r = client.post("/api/v1/models/retrain", json={"n_estimators": 0})
    assert r.status_code == 422 and r.json()["field"] == "n_estimators"
    r = client.post("/api/v1/models/retrain", json={"folds": "two"})
    assert r.status_code == 422 and r.json()["field"] == "folds"
    assert client.get("/api/v1/jobs/nope").status_code == 404
    assert client.get("/api/v1/jobs").json() == []
    running = client.app.state.jobs.create("retrain", {})  # as if one were queued
    r = client.post("/api/v1/models/retrain", json={})
    assert r.status_code == 409 and running.id in r.json()["reason"]
