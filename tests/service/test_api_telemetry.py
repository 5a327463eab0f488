"""The ingest endpoint on both database backends: stored before 2xx, idempotent, and every
malformed request answered 4xx with the field and the reason, storing nothing."""

import orjson
import pytest
from factories import T0, make_batch
from fastapi.testclient import TestClient

from service.db import telemetry_store

URL = "/api/v1/wells/W-1/telemetry"


def body_of(batch) -> bytes:
    return orjson.dumps(batch.to_json_dict())


def stored_samples(client: TestClient, well_id: str = "W-1") -> int:
    with client.app.state.db.connect() as conn:
        return telemetry_store.count_samples(conn, well_id=well_id)


def test_a_batch_is_stored_and_the_well_created(client: TestClient) -> None:
    batch = make_batch(T0, n=30)
    r = client.post(URL, content=body_of(batch), headers={"content-type": "application/json"})
    assert r.status_code == 200, r.text
    assert r.json()["stored"] == 30
    assert stored_samples(client) == 30
    wells = client.get("/api/v1/wells").json()
    assert [w["id"] for w in wells] == ["W-1"]
    assert wells[0]["last_sample_at"].startswith("2024-03-01T06:00:29")


def test_the_same_samples_sent_twice_are_stored_once(client: TestClient) -> None:
    batch = make_batch(T0, n=20)
    client.post(URL, content=body_of(batch))
    again = client.post(URL, content=body_of(batch))
    assert again.status_code == 200
    assert again.json()["stored"] == 0
    assert again.json()["duplicates"] == 20
    assert stored_samples(client) == 20


def test_stored_telemetry_reads_back_in_the_ingest_shape(client: TestClient) -> None:
    batch = make_batch(T0, n=10)
    client.post(URL, content=body_of(batch))
    got = client.get(
        URL, params={"start": "2024-03-01T06:00:02Z", "end": "2024-03-01T07:00:04+01:00"}
    )
    assert got.status_code == 200
    data = got.json()
    assert data["time"][0] == "2024-03-01T06:00:02Z"
    assert len(data["time"]) == 3
    assert data["channels"]["HKLA"] == batch.channels["HKLA"][2:5].tolist()


TIME = '"2024-03-01T06:00:00Z"'
BAD_BODIES = {
    "malformed JSON": (b'{"time": [', 400, "body"),
    "not an object": (b"[1, 2]", 422, "body"),
    "arrays of different lengths": (
        b'{"time": [' + TIME.encode() + b'], "channels": {"HKLA": [1, 2]}}',
        422,
        "channels.HKLA",
    ),
    "NaN": (
        b'{"time": [' + TIME.encode() + b'], "channels": {"HKLA": [NaN]}}',
        422,
        "channels.HKLA[0]",
    ),
    "infinity": (
        b'{"time": [' + TIME.encode() + b'], "channels": {"HKLA": [-Infinity]}}',
        422,
        "channels.HKLA[0]",
    ),
    "time without offset": (
        b'{"time": ["2024-03-01T06:00:00"], "channels": {"HKLA": [1]}}',
        422,
        "time[0]",
    ),
    "times out of order": (
        b'{"time": ["2024-03-01T06:00:01Z", "2024-03-01T06:00:00Z"], "channels": {"HKLA": [1, 2]}}',
        422,
        "time[1]",
    ),
    "time duplicated": (
        b'{"time": ["2024-03-01T06:00:00Z", "2024-03-01T06:00:00Z"], "channels": {"HKLA": [1, 2]}}',
        422,
        "time[1]",
    ),
    "a string value": (
        b'{"time": [' + TIME.encode() + b'], "channels": {"HKLA": ["heavy"]}}',
        422,
        "channels.HKLA[0]",
    ),
}


@pytest.mark.parametrize("case", sorted(BAD_BODIES))
def test_malformed_batches_are_refused_with_the_field_and_nothing_is_stored(
    client: TestClient, case: str
) -> None:
    body, status, field = BAD_BODIES[case]
    r = client.post(URL, content=body, headers={"content-type": "application/json"})
    assert r.status_code == status, r.text
    assert r.json()["field"] == field
    assert r.json()["reason"]
    assert stored_samples(client) == 0
    assert client.get("/api/v1/wells").json() == []


def test_a_body_over_the_configured_limit_is_refused(client: TestClient) -> None:
    limit = client.app.state.settings.max_body_bytes
    batch = make_batch(T0, n=20)
    body = body_of(batch) + b" " * limit
    r = client.post(URL, content=body, headers={"content-type": "application/json"})
    assert r.status_code == 413
    assert r.json()["field"] == "body"
    assert stored_samples(client) == 0


@pytest.mark.parametrize("well_id", ["bad%20id", "-starts-with-dash", "x" * 65])
def test_an_invalid_well_id_is_refused(client: TestClient, well_id: str) -> None:
    r = client.post(f"/api/v1/wells/{well_id}/telemetry", content=body_of(make_batch(T0, n=2)))
    assert r.status_code == 422
    assert r.json()["field"] == "well_id"
    assert client.get("/api/v1/wells").json() == []


def test_a_non_json_content_type_is_refused(client: TestClient) -> None:
    r = client.post(URL, content=b"time,HKLA", headers={"content-type": "text/csv"})
    assert r.status_code == 415


def test_health_and_ready_report_the_model(client: TestClient) -> None:
    assert client.get("/health").json() == {"status": "ok"}
    ready = client.get("/ready").json()
    assert ready["status"] == "ready"
    assert ready["model_version"]


def test_the_dashboard_is_served_without_any_cdn(client: TestClient) -> None:
    page = client.get("/")
    assert page.status_code == 200
    assert '<script src="/static/app.js">' in page.text
    assert "http" not in page.text.replace("http-equiv", "")
    assert client.get("/static/app.js").status_code == 200


def test_declared_units_are_converted_to_internal_units(client: TestClient) -> None:
    body = {
        "time": ["2024-03-01T06:00:00Z", "2024-03-01T06:00:01Z"],
        "channels": {"HKLA": [100.0, 200.0], "SPPA": [1000.0, None]},
        "units": {"HKLA": "klbf", "SPPA": "psi"},
    }
    r = client.post(URL, content=orjson.dumps(body))
    assert r.status_code == 200, r.text
    data = client.get(URL).json()["channels"]
    assert data["HKLA"] == pytest.approx([444.822, 889.644], rel=1e-5)  # 1 klbf = 4.448 kN
    assert data["SPPA"][0] == pytest.approx(6894.757, rel=1e-6)


def test_an_unknown_unit_is_refused_naming_the_channel(client: TestClient) -> None:
    body = {
        "time": ["2024-03-01T06:00:00Z"],
        "channels": {"HKLA": [1]},
        "units": {"HKLA": "furlong"},
    }
    r = client.post(URL, content=orjson.dumps(body))
    assert r.status_code == 422
    assert r.json()["field"] == "units.HKLA"
    assert stored_samples(client) == 0


def test_a_flat_lined_sensor_is_reported_as_a_data_quality_notice_not_an_alert(
    client: TestClient,
) -> None:
    batch = make_batch(T0, n=1200, channels=("HKLA", "SPPA", "MFIA"))
    batch.channels["SPPA"][:] = 18000.0
    r = client.post(URL, content=body_of(batch))
    assert r.status_code == 200
    notices = r.json()["quality"]
    assert [(n["kind"], n["channel"]) for n in notices] == [("flatline", "SPPA")]
    again = client.post(URL, content=body_of(make_batch(T0.replace(hour=7), n=10)))
    assert again.json()["quality"] == []  # reported once, not with every batch


def test_data_quality_notices_are_listed_for_the_stored_telemetry(client: TestClient) -> None:
    batch = make_batch(T0, n=1800, channels=("HKLA", "SPPA", "RPMA"))
    batch.channels["SPPA"][300:1500] = 18000.0
    batch.channels["RPMA"][10] = 5000.0
    client.post(URL, content=body_of(batch))
    r = client.get("/api/v1/wells/W-1/quality")
    assert r.status_code == 200
    kinds = sorted((n["kind"], n["channel"]) for n in r.json())
    assert kinds == [("flatline", "SPPA"), ("out_of_range", "RPMA")]
    clean = client.get(
        "/api/v1/wells/W-1/quality",
        params={"start": "2024-03-01T06:26:00Z", "end": "2024-03-01T06:29:59Z"},
    )
    assert clean.json() == []
    assert client.get("/api/v1/wells/NOPE/quality").status_code == 404
    assert (
        client.get("/api/v1/wells/W-1/quality", params={"start": "2024-03-01T06:00"}).json()[
            "field"
        ]
        == "start"
    )
