"""Single accidents: insert with id, read, correct, delete, and the ones an alert created."""

from __future__ import annotations

from datetime import timedelta

import pytest
from factories import T0, insert_alert
from sqlalchemy import Engine

from service.db import repo
from service.db.repo import NotFound


def test_an_accident_is_inserted_read_corrected_and_deleted(db_engine: Engine) -> None:
    with db_engine.begin() as conn:
        repo.ensure_well(conn, well_id="W-1")
        accident = repo.insert_accident(
            conn, well_id="W-1", type="kick", start=T0, end=None, depth_m=2000, source="user"
        )
        assert repo.get_accident(conn, accident_id=accident["id"]) == accident
        changed = repo.update_accident(
            conn, accident_id=accident["id"], end=T0 + timedelta(minutes=5), notes="shut in"
        )
    assert accident["source"] == "user" and accident["notes"] == "" and accident["depth_m"] == 2000
    assert changed["end"] == T0 + timedelta(minutes=5) and changed["notes"] == "shut in"
    assert changed["type"] == "kick" and changed["start"] == T0
    with db_engine.begin() as conn:
        repo.delete_accident(conn, accident_id=accident["id"])
        with pytest.raises(NotFound, match="accident"):
            repo.get_accident(conn, accident_id=accident["id"])
        with pytest.raises(NotFound):
            repo.delete_accident(conn, accident_id=accident["id"])


def test_accident_changes_are_validated_whole(db_engine: Engine) -> None:
    with db_engine.begin() as conn:
        repo.ensure_well(conn, well_id="W-1")
        accident = repo.insert_accident(conn, well_id="W-1", type="kick", start=T0)
        with pytest.raises(ValueError, match="before start"):
            repo.update_accident(conn, accident_id=accident["id"], end=T0 - timedelta(hours=1))
        with pytest.raises(ValueError, match="cannot be changed"):
            repo.update_accident(conn, accident_id=accident["id"], well_id="W-2")
        with pytest.raises(NotFound):
            repo.update_accident(conn, accident_id=999, notes="x")
        with pytest.raises(NotFound, match="W-9"):
            repo.insert_accident(conn, well_id="W-9", type="kick", start=T0)


def test_accidents_are_filtered_by_type_and_alert_accidents_removed(db_engine: Engine) -> None:
    alert = insert_alert(db_engine, "W-1")
    with db_engine.begin() as conn:
        repo.insert_accident(conn, well_id="W-1", type="kick", start=T0, source="import")
        repo.insert_accident(
            conn, well_id="W-1", type="stuck_pipe", start=T0, source="alert", alert_id=alert["id"]
        )
        assert [a["type"] for a in repo.list_accidents(conn, type="kick")] == ["kick"]
        assert repo.list_accidents(conn, well_id="W-2", type="kick") == []
        linked = repo.list_accidents(conn, alert_id=alert["id"])
        assert [(a["type"], a["source"]) for a in linked] == [("stuck_pipe", "alert")]
        assert repo.delete_alert_accidents(conn, alert_id=alert["id"]) == 1
        assert [a["type"] for a in repo.list_accidents(conn)] == ["kick"]
        with pytest.raises(NotFound, match="alert"):
            repo.insert_accident(conn, well_id="W-1", type="kick", start=T0, alert_id=999)
