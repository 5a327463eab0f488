"""Model versions API on both backends: list with metrics, hot swap on activate."""

from __future__ import annotations

import shutil
import time
from pathlib import Path
from typing import Any

import orjson
import pytest
from fastapi.testclient import TestClient

from models.metadata import ModelMetadata
from service.api import stream as stream_module
from service.db import repo

URL = "/api/v1/models"


def register_copy(client: TestClient, tmp_path: Path, version: str) -> dict[str, Any]:
    """Register a copy of the serving model under another version id."""
    source = client.app.state.stream.model.path
    target = tmp_path / version
    shutil.copytree(source, target)
    metadata = ModelMetadata.load(target)
    metadata.version = version
    metadata.save(target)
    with client.app.state.db.begin() as conn:
        return repo.register_model_version(
            conn,
            id=version,
            detector="classifier",
            path=str(target),
            sha256=str(metadata.sha256),
            metrics={"event_recall": 0.5},
            meta={"version": version},
        )


def test_the_bundled_model_is_listed_active_with_metrics(client: TestClient) -> None:
    r = client.get(URL)
    assert r.status_code == 200
    (model,) = r.json()
    assert model["active"] is True and model["id"] == client.app.state.stream.model.version
    assert isinstance(model["metrics"], dict) and model["sha256"]


def test_activate_swaps_the_running_model(client: TestClient, tmp_path: Path) -> None:
    bundled = client.app.state.stream.model.version
    register_copy(client, tmp_path, "test-2")
    r = client.post(f"{URL}/test-2/activate")
    assert r.status_code == 200, r.text
    assert r.json()["id"] == "test-2" and r.json()["active"] is True
    assert client.app.state.stream.model.version == "test-2"
    assert client.get("/ready").json()["model_version"] == "test-2"
    active = {m["id"]: m["active"] for m in client.get(URL).json()}
    assert active == {"test-2": True, bundled: False}
    assert 'drillwatch_model_info{version="test-2"} 1' in client.get("/metrics").text


def test_activate_refuses_unknown_and_unloadable_versions(
    client: TestClient, tmp_path: Path
) -> None:
    bundled = client.app.state.stream.model.version
    r = client.post(f"{URL}/nope/activate")
    assert r.status_code == 404 and "nope" in r.json()["reason"]
    (tmp_path / "empty").mkdir()
    with client.app.state.db.begin() as conn:
        repo.register_model_version(
            conn, id="broken", detector="classifier", path=str(tmp_path / "empty"),
            sha256="a" * 64, metrics={}, meta={},
        )  # fmt: skip
    r = client.post(f"{URL}/broken/activate")
    assert r.status_code == 409 and r.json()["field"] == "id"
    assert "cannot be loaded" in r.json()["reason"]
    assert client.app.state.stream.model.version == bundled
    assert [m["id"] for m in client.get(URL).json() if m["active"]] == [bundled]


def test_activate_publishes_a_model_event(
    client: TestClient, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    register_copy(client, tmp_path, "test-3")
    monkeypatch.setattr(stream_module, "HEARTBEAT_S", 0.2)
    with client.stream("GET", "/api/v1/stream") as response:
        lines = response.iter_lines()
        next(lines)
        assert client.post(f"{URL}/test-3/activate").status_code == 200
        deadline = time.monotonic() + 10
        event, data = None, None
        for line in lines:
            if line.startswith("event: "):
                event = line[7:]
            elif line.startswith("data: ") and event == "model":
                data = orjson.loads(line[6:])
                break
            if time.monotonic() > deadline:
                break
    assert data == {"id": "test-3", "version": "test-3", "active": True}
