"""Wells API on both backends: create, read, update static context; 4xx with the field."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

URL = "/api/v1/wells"
BODY = {
    "id": "B-2",
    "name": "Bravo 2",
    "field": "Volve",
    "rig": "Integrator",
    "mud_type": "OBM",
    "bha": "8.5in PDC",
    "timezone": "Europe/Oslo",
    "extra": {"operator": "Equinor"},
}


def test_a_well_is_created_read_and_listed_with_its_status(client: TestClient) -> None:
    r = client.post(URL, json=BODY)
    assert r.status_code == 201, r.text
    well = r.json()
    assert {k: well[k] for k in BODY} == BODY
    assert well["data_gap"] is True and well["open_alerts"] == {}
    assert well["last_sample_at"] is None and well["created_at"]
    assert client.get(f"{URL}/B-2").json() == {**well, "last_sample_age_s": None}
    assert [w["id"] for w in client.get(URL).json()] == ["B-2"]


def test_a_well_with_only_an_id_gets_defaults(client: TestClient) -> None:
    r = client.post(URL, json={"id": "A-1"})
    assert r.status_code == 201, r.text
    assert r.json()["timezone"] == "UTC" and r.json()["extra"] == {}


def test_a_duplicate_well_is_a_conflict(client: TestClient) -> None:
    assert client.post(URL, json=BODY).status_code == 201
    r = client.post(URL, json={"id": "B-2"})
    assert r.status_code == 409
    assert r.json()["field"] == "id"
    assert "already exists" in r.json()["reason"]


def test_patch_changes_only_the_given_fields(client: TestClient) -> None:
    client.post(URL, json=BODY)
    r = client.patch(f"{URL}/B-2", json={"mud_type": "WBM", "extra": {"x": 1}, "name": None})
    assert r.status_code == 200, r.text
    well = r.json()
    assert well["mud_type"] == "WBM" and well["extra"] == {"x": 1} and well["name"] is None
    assert well["timezone"] == "Europe/Oslo" and well["rig"] == "Integrator"
    assert client.get(f"{URL}/B-2").json()["mud_type"] == "WBM"


BAD = {
    "unknown time zone": ({**BODY, "timezone": "Mars/Olympus"}, "timezone"),
    "bad id": ({**BODY, "id": "-x y"}, "id"),
    "missing id": ({"name": "x"}, "id"),
    "extra not an object": ({**BODY, "extra": [1, 2]}, "extra"),
    "name not a string": ({**BODY, "name": 12}, "name"),
    "unknown field": ({**BODY, "colour": "red"}, "colour"),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_malformed_wells_are_refused_naming_the_field(client: TestClient, case: str) -> None:
    body, field = BAD[case]
    r = client.post(URL, json=body)
    assert r.status_code == 422, r.text
    assert r.json()["field"] == field
    assert r.json()["detail"].startswith(f"{field}: ")
    assert client.get(URL).json() == []


def test_patch_refuses_bad_values_and_unknown_wells(client: TestClient) -> None:
    client.post(URL, json=BODY)
    r = client.patch(f"{URL}/B-2", json={"timezone": "Nowhere/City"})
    assert r.status_code == 422 and r.json()["field"] == "timezone"
    r = client.patch(f"{URL}/B-2", json={"timezone": None})
    assert r.status_code == 422 and r.json()["field"] == "timezone"
    r = client.patch(f"{URL}/NOPE", json={"name": "x"})
    assert r.status_code == 404 and r.json()["field"] == "id"
    assert client.get(f"{URL}/B-2").json()["timezone"] == "Europe/Oslo"


def test_an_unknown_well_is_404_and_a_bad_id_422(client: TestClient) -> None:
    r = client.get(f"{URL}/NOPE")
    assert r.status_code == 404 and "NOPE" in r.json()["reason"]
    assert client.get(f"{URL}/-bad").status_code == 422
