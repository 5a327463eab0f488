"""Alerts API on both backends: review transitions with their audit trail, the accident a
confirm creates, 4xx/409 refusals, analogue snippets and the ``alert_status`` SSE event."""

from __future__ import annotations

import time
from datetime import timedelta
from typing import Any

import orjson
import pytest
from factories import T0, insert_alert, make_batch
from fastapi.testclient import TestClient

from service.api import stream as stream_module
from service.db import telemetry_store

URL = "/api/v1/alerts"


@pytest.fixture
def alert(client: TestClient) -> dict[str, Any]:
    return insert_alert(client.app.state.db, "W-1", time=T0)


def post(client: TestClient, alert_id: int, action: str, body: dict) -> Any:
    return client.post(f"{URL}/{alert_id}/{action}", json=body)


def test_an_alert_is_read_with_its_evidence(client: TestClient, alert: dict) -> None:
    got = client.get(f"{URL}/{alert['id']}").json()
    assert got["status"] == "open" and got["type"] == "stuck_pipe" and got["audit"] == []
    assert got["accident_id"] is None
    assert got["probabilities"]["stuck_pipe"] == 0.91 and got["contributions"]
    assert client.get(URL, params={"status": "open"}).json()[0]["id"] == alert["id"]


def test_acknowledge_then_confirm_creates_the_accident(client: TestClient, alert: dict) -> None:
    r = post(client, alert["id"], "acknowledge", {"who": "driller"})
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "acknowledged" and r.json()["accident_id"] is None
    r = post(
        client,
        alert["id"],
        "confirm",
        {"who": "dsv", "comment": "jarred free", "end": "2024-03-01T06:40:00Z"},
    )
    assert r.status_code == 200, r.text
    confirmed = r.json()
    assert confirmed["status"] == "confirmed"
    assert [(e["who"], e["action"]) for e in confirmed["audit"]] == [
        ("driller", "acknowledged"),
        ("dsv", "confirmed"),
    ]
    assert confirmed["audit"][1]["comment"] == "jarred free" and confirmed["audit"][1]["at"]
    assert client.get(f"{URL}/{alert['id']}").json() == confirmed
    accident = client.get(f"/api/v1/accidents/{confirmed['accident_id']}").json()
    assert accident["source"] == "alert" and accident["alert_id"] == alert["id"]
    assert accident["type"] == "stuck_pipe" and accident["well_id"] == "W-1"
    assert accident["start"].startswith("2024-03-01T06:00:00")
    assert accident["end"].startswith("2024-03-01T06:40:00")


def test_confirm_can_override_the_accident(client: TestClient, alert: dict) -> None:
    body = {
        "who": "dsv",
        "type": "pack_off",
        "start": "2024-03-01T06:55:00+01:00",
        "depth_m": 2100,
    }
    r = post(client, alert["id"], "confirm", body)
    assert r.status_code == 200, r.text
    accident = client.get(f"/api/v1/accidents/{r.json()['accident_id']}").json()
    assert accident["type"] == "pack_off" and accident["depth_m"] == 2100
    assert accident["start"].startswith("2024-03-01T05:55:00")
    assert accident["end"] is None


def test_a_dismissed_alert_is_a_normal_example(client: TestClient, alert: dict) -> None:
    other = insert_alert(client.app.state.db, "W-2", time=T0 + timedelta(hours=1))
    r = post(client, alert["id"], "dismiss", {"who": "dsv", "reason": "SPPA sensor spike"})
    assert r.status_code == 200, r.text
    assert r.json()["audit"][-1] | {"at": None} == {
        "at": None,
        "who": "dsv",
        "action": "dismissed",
        "comment": "SPPA sensor spike",
    }
    dismissed = client.get(URL, params={"status": "dismissed"}).json()
    assert [a["id"] for a in dismissed] == [alert["id"]]
    assert [a["id"] for a in client.get(URL, params={"status": "open"}).json()] == [other["id"]]


def test_a_verdict_can_be_corrected_and_the_accident_follows(
    client: TestClient, alert: dict
) -> None:
    accident_id = post(client, alert["id"], "confirm", {"who": "a"}).json()["accident_id"]
    r = post(client, alert["id"], "dismiss", {"who": "b", "reason": "was a connection"})
    assert r.status_code == 200
    assert client.get(f"/api/v1/accidents/{accident_id}").status_code == 404
    r = post(client, alert["id"], "confirm", {"who": "c"})
    assert r.status_code == 200
    accidents = client.get("/api/v1/accidents").json()
    assert [a["id"] for a in accidents] == [r.json()["accident_id"]]


def test_comments_are_appended_to_the_audit(client: TestClient, alert: dict) -> None:
    r = post(client, alert["id"], "comments", {"who": "geo", "comment": "torque rising"})
    assert r.status_code == 201, r.text
    assert r.json()["status"] == "open"
    assert r.json()["audit"][-1]["action"] == "comment"
    assert r.json()["audit"][-1]["comment"] == "torque rising"


INVALID_TRANSITIONS = [
    (["acknowledge"], "acknowledge"),
    (["confirm"], "confirm"),
    (["confirm"], "acknowledge"),
    (["dismiss"], "dismiss"),
    (["dismiss"], "acknowledge"),
]
BODIES = {
    "acknowledge": {"who": "x"},
    "confirm": {"who": "x"},
    "dismiss": {"who": "x", "reason": "noise"},
}


@pytest.mark.parametrize(("before", "action"), INVALID_TRANSITIONS)
def test_invalid_transitions_are_409_with_the_reason(
    client: TestClient, alert: dict, before: list[str], action: str
) -> None:
    for step in before:
        assert post(client, alert["id"], step, BODIES[step]).status_code == 200
    status = client.get(f"{URL}/{alert['id']}").json()["status"]
    r = post(client, alert["id"], action, BODIES[action])
    assert r.status_code == 409, r.text
    assert r.json()["field"] == "status" and "cannot change status" in r.json()["reason"]
    after = client.get(f"{URL}/{alert['id']}").json()
    assert after["status"] == status and len(after["audit"]) == len(before)
    assert len(client.get("/api/v1/accidents").json()) == (1 if before == ["confirm"] else 0)


BAD_BODIES = {
    ("acknowledge", "no who"): ({}, "who"),
    ("acknowledge", "blank who"): ({"who": "  "}, "who"),
    ("confirm", "who not a string"): ({"who": 3}, "who"),
    ("confirm", "naive start"): ({"who": "x", "start": "2024-03-01T06:00:00"}, "start"),
    ("confirm", "end before start"): ({"who": "x", "end": "2024-03-01T05:00:00Z"}, "end"),
    ("confirm", "bad type"): ({"who": "x", "type": "Stuck Pipe"}, "type"),
    ("dismiss", "no reason"): ({"who": "x"}, "reason"),
    ("dismiss", "empty reason"): ({"who": "x", "reason": ""}, "reason"),
    ("comments", "no comment"): ({"who": "x"}, "comment"),
}


@pytest.mark.parametrize("case", sorted(BAD_BODIES))
def test_malformed_review_bodies_are_422_and_change_nothing(
    client: TestClient, alert: dict, case: tuple[str, str]
) -> None:
    body, field = BAD_BODIES[case]
    r = post(client, alert["id"], case[0], body)
    assert r.status_code == 422, r.text
    assert r.json()["field"] == field and r.json()["reason"]
    after = client.get(f"{URL}/{alert['id']}").json()
    assert after["status"] == "open" and after["audit"] == []
    assert client.get("/api/v1/accidents").json() == []


@pytest.mark.parametrize("action", ["acknowledge", "confirm", "dismiss", "comments"])
def test_unknown_alerts_are_404(client: TestClient, action: str) -> None:
    r = post(client, 999, action, BODIES.get(action, {"who": "x", "comment": "c"}))
    assert r.status_code == 404 and "999" in r.json()["reason"]


def test_unknown_and_malformed_ids_and_filters(client: TestClient) -> None:
    assert client.get(f"{URL}/999").status_code == 404
    assert client.get(f"{URL}/999/analogues").status_code == 404
    r = client.get(f"{URL}/abc")
    assert r.status_code == 422 and r.json()["field"] == "alert_id"
    r = client.get(URL, params={"start": "2024-03-01T06:00:00"})
    assert r.status_code == 422 and r.json()["field"] == "start"
    r = client.get(URL, params={"status": "closed"})
    assert r.status_code == 422 and r.json()["field"] == "status"
    r = client.get(URL, params={"limit": "many"})
    assert r.status_code == 422 and r.json()["field"] == "limit"


# -- analogues ----------------------------------------------------------------------------


def _store(client: TestClient, well_id: str, start: Any, n: int) -> None:
    with client.app.state.db.begin() as conn:
        from service.db import repo

        repo.ensure_well(conn, well_id=well_id)
        telemetry_store.store_batch(conn, well_id=well_id, batch=make_batch(start, n=n))


def test_analogues_come_with_aligned_downsampled_snippets(client: TestClient) -> None:
    past = T0 - timedelta(days=30)
    _store(client, "W-1", T0 - timedelta(minutes=40), 3001)  # 50 min at 1 Hz
    _store(client, "SIM-3", past - timedelta(minutes=5), 600)  # only 10 min around it
    analogues = [
        {
            "well_id": "SIM-3",
            "time": "2024-01-31T06:00:00Z",
            "type": "stuck_pipe",
            "similarity": 0.6,
        },
        {"well_id": "SIM-3", "time": "2024-01-31T06:00:00Z", "type": "pack_off", "similarity": 0.9},
        {"well_id": "GONE", "time": "2024-01-31T06:00:00Z", "type": "kick", "similarity": 0.5},
        {"well_id": "SIM-3", "time": "not a time", "type": "kick", "similarity": 0.1},
    ]
    alert = insert_alert(client.app.state.db, "W-1", time=T0, analogues=analogues)
    r = client.get(f"{URL}/{alert['id']}/analogues", params={"k": 3})
    assert r.status_code == 200, r.text
    data = r.json()
    own = data["alert"]["window"]
    assert len(own["offsets_s"]) == 300
    assert own["offsets_s"][0] == -1800.0 and own["offsets_s"][-1] == 600.0
    assert sorted(own["channels"]) == ["HKLA", "MFIA", "SPPA", "TQA"]
    assert all(len(v) == 300 for v in own["channels"].values())
    got = data["analogues"]
    assert [a["type"] for a in got] == ["pack_off", "stuck_pipe", "kick"]  # most similar first
    first = got[0]["window"]
    assert first["offsets_s"][0] == -300.0 and first["offsets_s"][-1] == 299.0
    assert len(first["channels"]["HKLA"]) == 300
    assert got[2]["window"] == {"offsets_s": [], "channels": {}}  # a well without telemetry
    r = client.get(f"{URL}/{alert['id']}/analogues", params={"k": 10})
    assert r.json()["analogues"][-1]["window"] is None  # unreadable time
    r = client.get(f"{URL}/{alert['id']}/analogues", params={"k": 0})
    assert r.status_code == 422 and r.json()["field"] == "k"


def test_an_alert_without_analogues_gives_an_empty_list(client: TestClient, alert: dict) -> None:
    r = client.get(f"{URL}/{alert['id']}/analogues")
    assert r.status_code == 200
    assert r.json()["analogues"] == []
    assert r.json()["alert"]["window"] == {"offsets_s": [], "channels": {}}


# -- live events --------------------------------------------------------------------------


def _read_event(lines: Any, name: str, timeout_s: float) -> dict[str, Any]:
    deadline = time.monotonic() + timeout_s
    event = None
    for line in lines:
        if line.startswith("event: "):
            event = line[len("event: ") :]
        elif line.startswith("data: ") and event == name:
            return orjson.loads(line[len("data: ") :])
        if time.monotonic() > deadline:  # heartbeats keep lines coming
            break
    raise AssertionError(f"no {name!r} event within {timeout_s} s")


def test_a_confirm_is_published_as_an_alert_status_event(
    client: TestClient, alert: dict, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(stream_module, "HEARTBEAT_S", 0.2)
    with client.stream("GET", "/api/v1/stream") as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        lines = response.iter_lines()
        assert next(lines).startswith("retry:")
        r = post(client, alert["id"], "confirm", {"who": "dsv", "comment": "yes"})
        assert r.status_code == 200
        event = _read_event(lines, "alert_status", timeout_s=10)
    assert event["id"] == alert["id"] and event["status"] == "confirmed"
    assert event["who"] == "dsv" and event["accident_id"] == r.json()["accident_id"]
    assert event["well_id"] == "W-1" and event["type"] == "stuck_pipe" and event["at"]


def test_concurrent_verdicts_give_one_winner_and_one_accident(
    client: TestClient, alert: dict
) -> None:
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(4) as pool:
        codes = list(
            pool.map(
                lambda who: post(client, alert["id"], "confirm", {"who": who}).status_code,
                ["a", "b", "c", "d"],
            )
        )
    assert sorted(codes) == [200, 409, 409, 409]
    assert len(client.get("/api/v1/accidents").json()) == 1
    assert len(client.get(f"{URL}/{alert['id']}").json()["audit"]) == 1
