"""The verdict loop on both backends: confirmed and dismissed alerts add windows to the
analogue database (stored, searchable at once, reloaded after a restart or a model swap),
analogues without stored telemetry fall back to channel snippets, and dismissed alerts are
the normal examples for retraining."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from itertools import pairwise
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from factories import ALL_CHANNELS, T0, insert_alert, make_batch
from fastapi.testclient import TestClient
from sqlalchemy import Engine, text

from models.analogues import SNIPPET_OFFSETS_S, snippet_at
from models.artifact import ModelArtifact, load_model
from pipelines.telemetry import TelemetryBatch, datetime_to_ns
from service import registry, verdicts
from service.app import create_app
from service.db import repo, telemetry_store
from service.settings import Settings

ANALOGUES = "/api/v1/analogues"
ALERTS = "/api/v1/alerts"
# An alert at T0 without an end: windows every 120 s from T0 - 2 h to T0 + 10 min.
CONFIRMED_WINDOWS = (2 * 3600 + 600) // 120 + 1


@pytest.fixture
def settings(db_engine: Engine, tmp_path: Path) -> Settings:
    """The app's settings on the test database (either backend); state in tmp_path."""
    url = db_engine.url.render_as_string(hide_password=False)
    return Settings(home=tmp_path / "home", DATABASE_URL=url)  # type: ignore[call-arg]


@pytest.fixture
def client(settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(settings)) as test_client:
        yield test_client


def store_well(db: Engine, well_id: str, *, start: Any, hours: float, seed: int = 0) -> None:
    """Telemetry every second from ``start`` (all the usual channels)."""
    batch = make_batch(start, n=int(hours * 3600), channels=ALL_CHANNELS, seed=seed)
    with db.begin() as conn:
        repo.ensure_well(conn, well_id=well_id)
        telemetry_store.store_batch(conn, well_id=well_id, batch=batch)


def alert_on_a_recorded_well(db: Engine, well_id: str = "W-1", seed: int = 0) -> dict[str, Any]:
    store_well(db, well_id, start=T0 - timedelta(hours=2.5), hours=3.0, seed=seed)
    return insert_alert(db, well_id, time=T0)


def sizes(client: TestClient) -> dict[str, Any]:
    r = client.get(ANALOGUES)
    assert r.status_code == 200, r.text
    return r.json()


def confirm(client: TestClient, alert_id: int, **body: Any) -> dict[str, Any]:
    r = client.post(f"{ALERTS}/{alert_id}/confirm", json={"who": "dsv", **body})
    assert r.status_code == 200, r.text
    return r.json()


def dismiss(client: TestClient, alert_id: int) -> dict[str, Any]:
    r = client.post(f"{ALERTS}/{alert_id}/dismiss", json={"who": "dsv", "reason": "pump test"})
    assert r.status_code == 200, r.text
    return r.json()


def cases_of(db: Engine, alert_id: int) -> list[dict[str, Any]]:
    with db.connect() as conn:
        return repo.list_analogue_cases(conn, alert_id=alert_id)


def served(client: TestClient) -> ModelArtifact:
    return client.app.state.stream.model  # type: ignore[attr-defined,no-any-return]


# -- confirm and dismiss --------------------------------------------------------------------


def test_confirming_an_alert_adds_the_accident_windows_and_the_live_search_finds_them(
    client: TestClient, db_engine: Engine
) -> None:
    alert = alert_on_a_recorded_well(db_engine)
    before = sizes(client)
    assert before["confirmed"] == 0 and before["dismissed"] == 0
    assert before["total"] == before["from_model"] > 0

    accident_id = confirm(client, alert["id"])["accident_id"]

    cases = cases_of(db_engine, alert["id"])
    assert len(cases) == CONFIRMED_WINDOWS
    assert {(c["type"], c["source"], c["accident_id"]) for c in cases} == {
        ("stuck_pipe", "confirmed", accident_id)
    }
    times = [c["time"] for c in cases]
    assert times[0] == T0 - timedelta(hours=2) and times[-1] == T0 + timedelta(minutes=10)
    assert all(b - a == timedelta(seconds=120) for a, b in pairwise(times))
    assert all(t.tzinfo is not None for t in times)
    assert [c["time_to_start_s"] for c in cases][:2] == [7200.0, 7080.0]
    assert cases[-1]["time_to_start_s"] == -600.0
    assert {c["model_version"] for c in cases} == {served(client).version}

    after = sizes(client)
    assert after["confirmed"] == CONFIRMED_WINDOWS and after["dismissed"] == 0
    assert after["total"] == before["total"] + CONFIRMED_WINDOWS
    assert after["by_type"]["stuck_pipe"]["confirmed"] == CONFIRMED_WINDOWS
    # The running engine's analogue search finds a confirmed window as its own nearest.
    row = np.frombuffer(cases[30]["features"], dtype=np.float32).astype(np.float64)
    nearest = served(client).analogues.search(row, top=1)[0]  # type: ignore[union-attr]
    assert nearest["alert_id"] == alert["id"] and nearest["source"] == "confirmed"
    assert nearest["type"] == "stuck_pipe" and nearest["time"] == "2024-03-01T05:00:00Z"


def test_verdict_windows_keep_the_depth_and_the_wells_static_context(
    client: TestClient, db_engine: Engine
) -> None:
    alert = alert_on_a_recorded_well(db_engine)
    r = client.patch("/api/v1/wells/W-1", json={"field": "Volve", "mud_type": "OBM"})
    assert r.status_code == 200, r.text
    confirm(client, alert["id"])
    cases = cases_of(db_engine, alert["id"])
    assert {c["context"]["field"] for c in cases} == {"Volve"}
    assert all(c["context"].get("mud_type") == "OBM" for c in cases)
    assert all(isinstance(c["depth_m"], float) and 100.0 < c["depth_m"] < 15_000.0 for c in cases)
    model = served(client)
    assert model.analogues is not None
    added = [r for r in model.analogues.records if r.get("alert_id") == alert["id"]]
    assert added and added[0]["context"]["field"] == "Volve" and "depth_m" in added[0]


def test_a_confirm_with_an_end_and_a_start_spans_start_minus_2_h_to_the_end(
    client: TestClient, db_engine: Engine
) -> None:
    alert = alert_on_a_recorded_well(db_engine)
    confirm(client, alert["id"], start="2024-03-01T05:50:00Z", end="2024-03-01T06:20:00Z")
    times = [c["time"] for c in cases_of(db_engine, alert["id"])]
    # From start - 2 h (03:50; the stored data begin at 03:30) to the end (06:20).
    assert times[0] == T0 - timedelta(hours=2, minutes=10)
    assert times[-1] == T0 + timedelta(minutes=20)


def test_the_windows_are_clipped_to_the_stored_telemetry(
    client: TestClient, db_engine: Engine
) -> None:
    store_well(db_engine, "W-2", start=T0 - timedelta(minutes=30), hours=0.75)
    alert = insert_alert(db_engine, "W-2", time=T0)
    confirm(client, alert["id"])
    times = [c["time"] for c in cases_of(db_engine, alert["id"])]
    assert times[0] == T0 - timedelta(minutes=30) and times[-1] == T0 + timedelta(minutes=10)


def test_dismissing_an_alert_adds_its_windows_as_normal(
    client: TestClient, db_engine: Engine
) -> None:
    alert = alert_on_a_recorded_well(db_engine)
    dismiss(client, alert["id"])
    cases = cases_of(db_engine, alert["id"])
    assert [c["time"] for c in cases] == [T0 + timedelta(minutes=m) for m in (-5, 0, 5)]
    assert {(c["type"], c["source"], c["time_to_start_s"]) for c in cases} == {
        ("normal", "dismissed", None)
    }
    got = sizes(client)
    assert got["dismissed"] == 3 and got["confirmed"] == 0
    assert got["by_type"]["normal"]["dismissed"] == 3
    row = np.frombuffer(cases[1]["features"], dtype=np.float32).astype(np.float64)
    nearest = served(client).analogues.search(row, top=1)[0]  # type: ignore[union-attr]
    assert nearest["alert_id"] == alert["id"] and nearest["type"] == "normal"


def test_re_judging_an_alert_replaces_its_windows(client: TestClient, db_engine: Engine) -> None:
    alert = alert_on_a_recorded_well(db_engine)
    confirm(client, alert["id"])
    dismiss(client, alert["id"])
    assert {c["source"] for c in cases_of(db_engine, alert["id"])} == {"dismissed"}
    got = sizes(client)
    assert (got["confirmed"], got["dismissed"]) == (0, 3)
    added = [r for r in served(client).analogues.records if r.get("alert_id") == alert["id"]]  # type: ignore[union-attr]
    assert [r["type"] for r in added] == ["normal"] * 3

    confirm(client, alert["id"])
    assert len(cases_of(db_engine, alert["id"])) == CONFIRMED_WINDOWS
    got = sizes(client)
    assert (got["confirmed"], got["dismissed"]) == (CONFIRMED_WINDOWS, 0)
    assert got["total"] == got["from_model"] + CONFIRMED_WINDOWS


def test_an_alert_on_a_well_without_telemetry_adds_no_windows(
    client: TestClient, db_engine: Engine
) -> None:
    alert = insert_alert(db_engine, "EMPTY", time=T0)
    confirm(client, alert["id"])
    assert cases_of(db_engine, alert["id"]) == []
    assert sizes(client)["confirmed"] == 0


# -- persistence and model swaps ------------------------------------------------------------


def test_a_restarted_service_reloads_the_verdict_windows(
    settings: Settings, db_engine: Engine
) -> None:
    confirmed = alert_on_a_recorded_well(db_engine, "W-1")
    dismissed = alert_on_a_recorded_well(db_engine, "W-2", seed=1)
    with TestClient(create_app(settings)) as first:
        confirm(first, confirmed["id"])
        dismiss(first, dismissed["id"])
        before = sizes(first)
    with TestClient(create_app(settings)) as second:
        after = sizes(second)
    assert after == before
    assert (after["confirmed"], after["dismissed"]) == (CONFIRMED_WINDOWS, 3)


def test_a_model_with_other_feature_names_does_not_load_the_windows(
    client: TestClient, db_engine: Engine, settings: Settings, other_spec_model: ModelArtifact
) -> None:
    alert = alert_on_a_recorded_well(db_engine)
    confirm(client, alert["id"])
    bundled = served(client).version
    assert other_spec_model.spec.names() != served(client).spec.names()

    other = load_model(other_spec_model.path)
    assert verdicts.load_cases(db_engine, other) == 0
    assert verdicts.counts(other)["confirmed"] == 0

    # Swapping models through the API: the windows follow only the matching spec.
    registry.register(db_engine, other, settings.registry_dir, activate=False)
    r = client.post(f"/api/v1/models/{other.version}/activate", json={})
    assert r.status_code == 200, r.text
    got = sizes(client)
    assert got["model_version"] == other.version and got["confirmed"] == 0
    r = client.post(f"/api/v1/models/{bundled}/activate", json={})
    assert r.status_code == 200, r.text
    got = sizes(client)
    assert got["model_version"] == bundled and got["confirmed"] == CONFIRMED_WINDOWS


def test_a_model_activated_by_another_process_gets_the_windows_too(
    client: TestClient, db_engine: Engine, settings: Settings, other_spec_model: ModelArtifact
) -> None:
    alert = alert_on_a_recorded_well(db_engine)
    confirm(client, alert["id"])
    bundled = served(client).version
    other = load_model(other_spec_model.path)
    registry.register(db_engine, other, settings.registry_dir, activate=True)
    watcher = client.app.state.model_watcher  # type: ignore[attr-defined]
    assert watcher.check() == other.version  # `drillwatch models activate` elsewhere
    assert sizes(client)["confirmed"] == 0
    with db_engine.begin() as conn:
        repo.activate_model_version(conn, id=bundled)
    assert watcher.check() == bundled
    assert sizes(client)["confirmed"] == CONFIRMED_WINDOWS


def test_loading_the_windows_twice_does_not_count_them_twice(
    client: TestClient, db_engine: Engine
) -> None:
    alert = alert_on_a_recorded_well(db_engine)
    confirm(client, alert["id"])
    model = served(client)
    assert verdicts.load_cases(db_engine, model) == CONFIRMED_WINDOWS
    assert sizes(client)["confirmed"] == CONFIRMED_WINDOWS


# -- snippets ------------------------------------------------------------------------------


@pytest.fixture
def small_client(settings: Settings, small_model: ModelArtifact) -> Iterator[TestClient]:
    """The app serving the small test model (trained with its wells: it ships snippets)."""
    with TestClient(create_app(settings.model_copy(update={"model_path": small_model.path}))) as c:
        yield c


def test_an_analogue_from_a_training_well_shows_the_snippet_shipped_with_the_model(
    small_client: TestClient, db_engine: Engine, small_model: ModelArtifact, sim_wells: list
) -> None:
    record = next(r for r in small_model.analogues.records if r["type"] != "normal")  # type: ignore[union-attr]
    alert = insert_alert(db_engine, "W-1", time=T0, analogues=[{**record, "similarity": 0.8}])
    r = small_client.get(f"{ALERTS}/{alert['id']}/analogues")
    assert r.status_code == 200, r.text
    window = r.json()["analogues"][0]["window"]
    assert window["offsets_s"] == SNIPPET_OFFSETS_S.tolist()
    assert {"HKLA", "TQA", "SPPA"} <= set(window["channels"])
    well = next(w for w in sim_wells if w.profile.well_id == record["well_id"])
    batch = TelemetryBatch.from_frame(well.frame)
    expected = snippet_at(
        batch.times_ns, batch.channels, datetime_to_ns(_parse(record["time"]))
    ).astype(np.float64)
    got = np.array([np.nan if v is None else v for v in window["channels"]["HKLA"]])
    np.testing.assert_allclose(got, expected[0], rtol=1e-3, equal_nan=True)


def test_a_verdict_window_keeps_its_snippet_when_the_telemetry_is_gone(
    client: TestClient, db_engine: Engine
) -> None:
    alert = alert_on_a_recorded_well(db_engine)
    confirm(client, alert["id"])
    case = cases_of(db_engine, alert["id"])[40]
    with db_engine.begin() as conn:
        conn.execute(text("DELETE FROM telemetry_chunks WHERE well_id = 'W-1'"))
    record = {"well_id": "W-1", "time": case["time"].isoformat(), "type": "stuck_pipe"}
    later = insert_alert(db_engine, "W-3", time=T0, analogues=[{**record, "similarity": 0.7}])
    r = client.get(f"{ALERTS}/{later['id']}/analogues")
    assert r.status_code == 200, r.text
    window = r.json()["analogues"][0]["window"]
    assert window["offsets_s"] == SNIPPET_OFFSETS_S.tolist()
    assert sorted(window["channels"]) == sorted(
        ["HKLA", "TQA", "SPPA", "MFIA", "MFOA", "RPMA", "WOBA"]
    )


def test_an_analogue_without_telemetry_or_snippet_keeps_an_empty_window(
    client: TestClient, db_engine: Engine
) -> None:
    record = {"well_id": "GONE", "time": "2024-01-31T06:00:00Z", "type": "kick"}
    alert = insert_alert(db_engine, "W-1", time=T0, analogues=[{**record, "similarity": 0.5}])
    window = client.get(f"{ALERTS}/{alert['id']}/analogues").json()["analogues"][0]["window"]
    assert window == {"offsets_s": [], "channels": {}}


# -- normal examples for retraining --------------------------------------------------------


def test_dismissed_alerts_are_the_normal_examples_for_retraining(
    client: TestClient, db_engine: Engine
) -> None:
    first = insert_alert(db_engine, "W-1", time=T0)
    second = insert_alert(db_engine, "W-2", time=T0 + timedelta(hours=1))
    insert_alert(db_engine, "W-1", time=T0 + timedelta(hours=2))  # stays open
    confirmed = insert_alert(db_engine, "W-2", time=T0 + timedelta(hours=3))
    dismiss(client, second["id"])
    dismiss(client, first["id"])
    confirm(client, confirmed["id"])
    with db_engine.connect() as conn:
        assert verdicts.dismissed_normals(conn) == [
            ("W-1", T0),
            ("W-2", T0 + timedelta(hours=1)),
        ]
        assert verdicts.dismissed_normals(conn, ["W-2"]) == [("W-2", T0 + timedelta(hours=1))]


def _parse(value: str) -> Any:
    from datetime import datetime

    return datetime.fromisoformat(value)
