"""Accidents API on both backends: create, list, read, correct, delete, CSV import."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

URL = "/api/v1/accidents"
BODY = {
    "well_id": "W-1",
    "type": "stuck_pipe",
    "start": "2024-03-01T06:10:00Z",
    "end": "2024-03-01T07:40:00+01:00",
    "depth_m": 2450.5,
    "notes": "after connection",
}


@pytest.fixture
def wells(client: TestClient) -> TestClient:
    for well_id in ("W-1", "W-2"):
        assert client.post("/api/v1/wells", json={"id": well_id}).status_code == 201
    return client


def test_an_accident_is_recorded_read_and_listed(wells: TestClient) -> None:
    r = wells.post(URL, json=BODY)
    assert r.status_code == 201, r.text
    accident = r.json()
    assert accident["source"] == "user" and accident["alert_id"] is None
    assert accident["start"].startswith("2024-03-01T06:10:00")
    assert accident["end"].startswith("2024-03-01T06:40:00")  # the same instant in UTC
    assert wells.get(f"{URL}/{accident['id']}").json() == accident
    wells.post(URL, json={**BODY, "well_id": "W-2", "type": "kick", "end": None})
    wells.post(URL, json={**BODY, "type": "gas_cut_mud"})  # types beyond the built-in ones
    assert len(wells.get(URL).json()) == 3
    assert [a["type"] for a in wells.get(URL, params={"well_id": "W-2"}).json()] == ["kick"]
    assert [a["well_id"] for a in wells.get(URL, params={"type": "kick"}).json()] == ["W-2"]
    assert wells.get(URL, params={"well_id": "W-2", "type": "stuck_pipe"}).json() == []


def test_an_accident_is_corrected_and_deleted(wells: TestClient) -> None:
    accident_id = wells.post(URL, json=BODY).json()["id"]
    r = wells.patch(f"{URL}/{accident_id}", json={"type": "pack_off", "end": None, "notes": "x"})
    assert r.status_code == 200, r.text
    assert r.json()["type"] == "pack_off" and r.json()["end"] is None
    assert r.json()["depth_m"] == 2450.5
    assert wells.delete(f"{URL}/{accident_id}").status_code == 204
    assert wells.get(f"{URL}/{accident_id}").status_code == 404
    assert wells.delete(f"{URL}/{accident_id}").status_code == 404


BAD = {
    "naive start": ({**BODY, "start": "2024-03-01T06:10:00"}, "start"),
    "end before start": ({**BODY, "end": "2024-03-01T06:00:00Z"}, "end"),
    "not snake_case": ({**BODY, "type": "Stuck Pipe"}, "type"),
    "missing type": ({k: v for k, v in BODY.items() if k != "type"}, "type"),
    "depth not a number": ({**BODY, "depth_m": "deep"}, "depth_m"),
    "start not a time": ({**BODY, "start": "yesterday"}, "start"),
    "unknown well": ({**BODY, "well_id": "NOPE"}, "well_id"),
    "unknown field": ({**BODY, "severity": 3}, "severity"),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_malformed_accidents_are_refused_naming_the_field(wells: TestClient, case: str) -> None:
    body, field = BAD[case]
    r = wells.post(URL, json=body)
    assert r.status_code == 422, r.text
    assert r.json()["field"] == field and r.json()["reason"]
    assert wells.get(URL).json() == []


def test_corrections_are_validated_against_the_stored_accident(wells: TestClient) -> None:
    accident_id = wells.post(URL, json=BODY).json()["id"]
    r = wells.patch(f"{URL}/{accident_id}", json={"start": "2024-03-01T08:00:00Z"})
    assert r.status_code == 422 and r.json()["field"] == "end"
    r = wells.patch(f"{URL}/{accident_id}", json={"start": None})
    assert r.status_code == 422 and r.json()["field"] == "start"
    r = wells.patch(f"{URL}/{accident_id}", json={"end": "2024-03-01T08:00:00"})
    assert r.status_code == 422 and r.json()["field"] == "end"
    assert wells.patch(f"{URL}/999", json={"notes": "x"}).status_code == 404
    assert wells.get(f"{URL}/{accident_id}").json()["start"].startswith("2024-03-01T06:10")
    assert wells.get(f"{URL}/abc").json()["field"] == "accident_id"


CSV = (
    "well,type,start,end,depth,notes\n"
    "W-1,stuck_pipe,2024-03-01T06:10:00Z,2024-03-01T06:40:00Z,2450.5,after connection\n"
    "W-2,kick,2024-03-01T09:00:00+01:00,,,\n"
)


def test_a_csv_import_stores_every_line(wells: TestClient) -> None:
    r = wells.post(f"{URL}/import", content=CSV, headers={"content-type": "text/csv"})
    assert r.status_code == 201, r.text
    assert r.json()["imported"] == 2 and len(r.json()["ids"]) == 2
    stored = wells.get(URL).json()
    assert [(a["well_id"], a["type"], a["source"]) for a in stored] == [
        ("W-1", "stuck_pipe", "import"),
        ("W-2", "kick", "import"),
    ]
    assert stored[0]["depth_m"] == 2450.5 and stored[0]["notes"] == "after connection"
    assert stored[1]["end"] is None and stored[1]["start"].startswith("2024-03-01T08:00:00")


BAD_CSV = {
    "naive time": (CSV + "W-1,kick,2024-03-01T10:00:00,,,\n", "line 4"),
    "unknown well": (CSV + "NOPE,kick,2024-03-01T10:00:00Z,,,\n", "line 4"),
    "bad type": (CSV.replace("W-2,kick", "W-2,Kick!"), "line 3"),
    "end before start": (CSV.replace("06:40:00Z", "06:00:00Z"), "line 2"),
    "missing column": ("well,start\nW-1,2024-03-01T10:00:00Z\n", "header"),
    "empty body": ("", "body"),
}


@pytest.mark.parametrize("case", sorted(BAD_CSV))
def test_a_bad_csv_stores_nothing_and_names_the_line(wells: TestClient, case: str) -> None:
    body, field = BAD_CSV[case]
    r = wells.post(f"{URL}/import", content=body, headers={"content-type": "text/csv"})
    assert r.status_code == 422, r.text
    assert r.json()["field"] == field and r.json()["reason"]
    assert wells.get(URL).json() == []


def test_an_import_must_be_csv(wells: TestClient) -> None:
    r = wells.post(f"{URL}/import", json={"rows": []})
    assert r.status_code == 415 and r.json()["field"] == "content-type"
