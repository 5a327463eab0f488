"""Wells, alerts, accidents and model versions behave the same on SQLite and PostgreSQL."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta, timezone

import numpy as np
import pytest
from factories import T0
from sqlalchemy import Connection, Engine

from service.db import repo
from service.db.repo import Conflict, NotFound

SHA_A = "a" * 64
SHA_B = "b" * 64


def _alert(conn: Connection, well_id: str = "W-1", minutes: int = 0, **kw: object) -> dict:
    repo.ensure_well(conn, well_id=well_id)
    fields: dict = {
        "time": T0 + timedelta(minutes=minutes),
        "type": "stuck_pipe",
        "probability": 0.91,
        "probabilities": {"stuck_pipe": 0.91, "pack_off": 0.05},
        "rig_state": "rotary_drilling",
        "model_version": "m1",
    }
    fields.update(kw)
    return repo.insert_alert(conn, well_id=well_id, **fields)


# -- wells --------------------------------------------------------------------------------


def test_ensure_well_is_race_safe_and_creates_once(db_engine: Engine) -> None:
    with db_engine.begin() as conn:
        assert repo.ensure_well(conn, well_id="W-1") is True
        assert repo.ensure_well(conn, well_id="W-1") is False
    with db_engine.begin() as conn:
        assert repo.ensure_well(conn, well_id="W-1") is False
        assert [w["id"] for w in repo.list_wells(conn)] == ["W-1"]
        well = repo.get_well(conn, well_id="W-1")
    assert well["timezone"] == "UTC" and well["extra"] == {}
    assert well["created_at"].tzinfo is not None and well["last_sample_at"] is None


def test_wells_are_created_updated_and_listed(db_engine: Engine) -> None:
    with db_engine.begin() as conn:
        created = repo.create_well(
            conn, well_id="B-2", name="Bravo 2", field="Volve", timezone="Europe/Oslo",
            extra={"formation": "Hugin"},
        )  # fmt: skip
        repo.create_well(conn, well_id="A-1")
        updated = repo.update_well(conn, well_id="B-2", mud_type="OBM", extra={"x": 1})
        assert [w["id"] for w in repo.list_wells(conn)] == ["A-1", "B-2"]
    assert created["name"] == "Bravo 2" and created["extra"] == {"formation": "Hugin"}
    assert updated["mud_type"] == "OBM" and updated["extra"] == {"x": 1}
    assert updated["timezone"] == "Europe/Oslo"


def test_well_errors_name_the_well_and_the_value(db_engine: Engine) -> None:
    with db_engine.begin() as conn:
        repo.create_well(conn, well_id="W-1")
        with pytest.raises(Conflict, match=r"'W-1'.*already exists"):
            repo.create_well(conn, well_id="W-1")
        with pytest.raises(NotFound, match="well 'nope' not found"):
            repo.update_well(conn, well_id="nope", name="x")
        with pytest.raises(NotFound, match="'nope'"):
            repo.get_well(conn, well_id="nope")
        with pytest.raises(ValueError, match=r"'W-1'.*'Mars/Olympus'"):
            repo.update_well(conn, well_id="W-1", timezone="Mars/Olympus")
        with pytest.raises(ValueError, match="unknown field 'depth'"):
            repo.update_well(conn, well_id="W-1", depth=3)


def test_touch_well_only_moves_the_last_sample_forward(db_engine: Engine) -> None:
    with db_engine.begin() as conn:
        repo.ensure_well(conn, well_id="W-1")
        assert repo.touch_well(conn, well_id="W-1", last_sample_at=T0, rig_state="drilling")
        later = T0 + timedelta(minutes=5)
        assert repo.touch_well(conn, well_id="W-1", last_sample_at=later, rig_state="tripping")
        assert not repo.touch_well(conn, well_id="W-1", last_sample_at=T0, rig_state="static")
        well = repo.get_well(conn, well_id="W-1")
        with pytest.raises(NotFound):
            repo.touch_well(conn, well_id="nope", last_sample_at=T0, rig_state=None)
    assert well["last_sample_at"] == later and well["last_rig_state"] == "tripping"


# -- alerts -------------------------------------------------------------------------------


def test_alerts_are_stored_with_their_evidence(db_engine: Engine) -> None:
    with db_engine.begin() as conn:
        alert = _alert(
            conn,
            analogues=[{"well_id": "X", "similarity": np.float32(0.8)}],
            contributions=[{"feature": "TQA__mean", "value": 1.5}],
        )
    assert alert["id"] >= 1 and alert["status"] == "open" and alert["audit"] == []
    assert alert["time"] == T0 and alert["time"].tzinfo is not None
    assert alert["probabilities"] == {"stuck_pipe": 0.91, "pack_off": 0.05}
    assert math.isclose(alert["analogues"][0]["similarity"], 0.8, rel_tol=1e-6)
    assert alert["contributions"] == [{"feature": "TQA__mean", "value": 1.5}]


def test_alerts_are_listed_newest_first_and_filtered(db_engine: Engine) -> None:
    with db_engine.begin() as conn:
        a = _alert(conn, minutes=0)
        b = _alert(conn, minutes=10, type="kick")
        c = _alert(conn, "W-2", minutes=5)
        repo.set_alert_status(conn, alert_id=c["id"], status="dismissed", who="ana")

        def ids(**filters: object) -> list[int]:
            return [x["id"] for x in repo.list_alerts(conn, **filters)]  # type: ignore[arg-type]

        assert ids() == [b["id"], c["id"], a["id"]]
        assert ids(well_id="W-1") == [b["id"], a["id"]]
        assert ids(type="kick") == [b["id"]]
        assert ids(status="dismissed") == [c["id"]]
        assert ids(start=T0 + timedelta(minutes=5)) == [b["id"], c["id"]]
        assert ids(end=T0 + timedelta(minutes=5)) == [a["id"]]
        assert ids(limit=1, offset=1) == [c["id"]]


def test_alert_status_transitions_are_validated_and_audited(db_engine: Engine) -> None:
    with db_engine.begin() as conn:
        alert = _alert(conn)
        acked = repo.set_alert_status(conn, alert_id=alert["id"], status="acknowledged", who="ana")
        confirmed = repo.set_alert_status(
            conn, alert_id=alert["id"], status="confirmed", who="bo", comment="stuck at 2510 m"
        )
        commented = repo.add_alert_comment(conn, alert_id=alert["id"], who="cy", comment="ok")
        with pytest.raises(Conflict, match=r"alert 1.*'confirmed' to 'open'"):
            repo.set_alert_status(conn, alert_id=alert["id"], status="open", who="ana")
        with pytest.raises(Conflict, match="'confirmed' to 'acknowledged'"):
            repo.set_alert_status(conn, alert_id=alert["id"], status="acknowledged", who="ana")
        with pytest.raises(ValueError, match="'closed'"):
            repo.set_alert_status(conn, alert_id=alert["id"], status="closed", who="ana")
        with pytest.raises(NotFound, match="alert 999"):
            repo.set_alert_status(conn, alert_id=999, status="dismissed", who="ana")
        stored = repo.get_alert(conn, alert_id=alert["id"])

    assert acked["status"] == "acknowledged" and confirmed["status"] == "confirmed"
    assert stored == commented and stored["status"] == "confirmed"
    trail = [(e["who"], e["action"], e["comment"]) for e in stored["audit"]]
    assert trail == [
        ("ana", "acknowledged", None),
        ("bo", "confirmed", "stuck at 2510 m"),
        ("cy", "comment", "ok"),
    ]
    assert all(e["at"].tzinfo is not None for e in stored["audit"])
    assert stored["updated_at"] == stored["audit"][-1]["at"] > stored["created_at"]


def test_a_verdict_can_be_corrected_but_not_repeated(db_engine: Engine) -> None:
    with db_engine.begin() as conn:
        alert = _alert(conn)
        repo.set_alert_status(conn, alert_id=alert["id"], status="dismissed", who="ana")
        with pytest.raises(Conflict):
            repo.set_alert_status(conn, alert_id=alert["id"], status="dismissed", who="ana")
        fixed = repo.set_alert_status(conn, alert_id=alert["id"], status="confirmed", who="bo")
    assert fixed["status"] == "confirmed" and len(fixed["audit"]) == 2


def test_alerts_refuse_naive_times_and_impossible_probabilities(db_engine: Engine) -> None:
    with db_engine.begin() as conn:
        with pytest.raises(ValueError, match="no UTC offset"):
            _alert(conn, time=datetime(2024, 1, 1, 12, 0))  # noqa: DTZ001
        with pytest.raises(ValueError, match=r"probability.*1\.5"):
            _alert(conn, probability=1.5)
        with pytest.raises(ValueError, match=r"'kick'.*nan"):
            _alert(conn, probabilities={"kick": float("nan")})


# -- accidents ----------------------------------------------------------------------------


def test_accidents_are_inserted_and_listed_in_time_order(db_engine: Engine) -> None:
    with db_engine.begin() as conn:
        repo.ensure_well(conn, well_id="W-1")
        alert = _alert(conn)
        rows = [
            {"well_id": "W-1", "type": "kick", "start": T0 + timedelta(hours=2)},
            {
                "well_id": "W-1",
                "type": "stuck_pipe",
                "start": T0,
                "end": T0 + timedelta(minutes=40),
                "depth_m": 2510.5,
                "notes": "jarred free",
                "source": "alert",
                "alert_id": alert["id"],
            },
        ]
        assert repo.insert_accidents(conn, rows=rows) == 2
        listed = repo.list_accidents(conn, well_id="W-1")
        assert repo.list_accidents(conn, well_id="other") == []
    assert [a["type"] for a in listed] == ["stuck_pipe", "kick"]
    assert listed[0]["end"] == T0 + timedelta(minutes=40) and listed[0]["alert_id"] == alert["id"]
    assert listed[1]["source"] == "import" and listed[1]["end"] is None


def test_accident_rows_are_validated_with_their_position(db_engine: Engine) -> None:
    good = {"well_id": "W-1", "type": "kick", "start": T0}
    with db_engine.begin() as conn:
        repo.ensure_well(conn, well_id="W-1")
        with pytest.raises(NotFound, match="'W-9'"):
            repo.insert_accidents(conn, rows=[good, {**good, "well_id": "W-9"}])
        with pytest.raises(ValueError, match=r"rows\[1\]\.end \(well 'W-1'\).* is before start"):
            repo.insert_accidents(conn, rows=[good, {**good, "end": T0 - timedelta(1)}])
        with pytest.raises(ValueError, match=r"rows\[0\]\.source.*'rumour'"):
            repo.insert_accidents(conn, rows=[{**good, "source": "rumour"}])
        with pytest.raises(ValueError, match=r"rows\[0\]\.start.*no UTC offset"):
            repo.insert_accidents(conn, rows=[{**good, "start": datetime(2024, 1, 1)}])  # noqa: DTZ001
        assert repo.list_accidents(conn) == []


# -- model versions -----------------------------------------------------------------------


def test_exactly_one_model_version_is_active(db_engine: Engine) -> None:
    with db_engine.begin() as conn:
        assert repo.get_active_model_version(conn) is None
        repo.register_model_version(
            conn, id="m1", detector="xgb", path="models/m1.json", sha256=SHA_A,
            metrics={"auc": 0.9}, meta={}, activate=True,
        )  # fmt: skip
        repo.register_model_version(
            conn, id="m2", detector="xgb", path="models/m2.json", sha256=SHA_B,
            metrics={}, meta={"features": ["TQA__mean"]},
        )  # fmt: skip
        assert repo.get_active_model_version(conn)["id"] == "m1"  # type: ignore[index]
        repo.activate_model_version(conn, id="m2")
        repo.activate_model_version(conn, id="m2")
        versions = repo.list_model_versions(conn)
        with pytest.raises(NotFound, match="model version 'm9'"):
            repo.activate_model_version(conn, id="m9")
        active = repo.get_active_model_version(conn)
    assert [v["id"] for v in versions if v["active"]] == ["m2"]
    assert {v["id"] for v in versions} == {"m1", "m2"}
    assert active is not None and active["id"] == "m2" and active["meta"]["features"]


def test_registering_a_model_version_twice_needs_the_same_artifact(db_engine: Engine) -> None:
    fields = {"detector": "xgb", "path": "m.json", "metrics": {}, "meta": {}}
    with db_engine.begin() as conn:
        first = repo.register_model_version(conn, id="m1", sha256=SHA_A, **fields)  # type: ignore[arg-type]
        again = repo.register_model_version(conn, id="m1", sha256=SHA_A, **fields)  # type: ignore[arg-type]
        with pytest.raises(Conflict, match=f"'m1'.*{SHA_A}.*not {SHA_B}"):
            repo.register_model_version(conn, id="m1", sha256=SHA_B, **fields)  # type: ignore[arg-type]
    assert first == again


def test_datetimes_in_other_offsets_come_back_as_the_same_instant_in_utc(
    db_engine: Engine,
) -> None:
    oslo_summer = timezone(timedelta(hours=2))
    local = datetime(2024, 6, 1, 14, 30, 15, 123456, tzinfo=oslo_summer)
    with db_engine.begin() as conn:
        alert = _alert(conn, time=local)
    assert alert["time"] == local
    assert alert["time"].utcoffset() == timedelta(0)
    assert alert["time"] == datetime(2024, 6, 1, 12, 30, 15, 123456, tzinfo=UTC)
