"""Analogue cases, the links accident deletion clears, and the repo package's names."""

from __future__ import annotations

import ast
import importlib
from datetime import datetime, timedelta
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np
import pytest
from factories import T0, insert_alert
from sqlalchemy import Connection, Engine

from service.db import repo
from service.db.repo import NotFound

SHA_A = "a" * 64
SHA_B = "b" * 64
RESOURCE_MODULES = ("wells", "alerts", "accidents", "analogues", "model_versions")


def _case(well_id: str = "W-1", minutes: int = 0, **kw: Any) -> dict[str, Any]:
    case: dict[str, Any] = {
        "well_id": well_id,
        "time": T0 + timedelta(minutes=minutes),
        "type": "stuck_pipe",
        "source": "confirmed",
        "model_version": "m1",
        "feature_sha256": SHA_A,
        "features": np.array([1.0, 2.5], dtype=np.float32).tobytes(),
        "context": {"mud_type": "OBM"},
        "snippet_channels": ["HKLA"],
    }
    case.update(kw)
    return case


def _case_ids(conn: Connection, **filters: Any) -> list[int]:
    return [c["id"] for c in repo.list_analogue_cases(conn, **filters)]


def test_a_new_verdict_replaces_the_alerts_analogue_cases(db_engine: Engine) -> None:
    alert = insert_alert(db_engine, "W-1")
    with db_engine.begin() as conn:
        assert repo.replace_analogue_cases(conn, alert_id=alert["id"], cases=[_case()]) == 1
        stored = repo.replace_analogue_cases(
            conn,
            alert_id=alert["id"],
            cases=[_case(minutes=1, type="normal", source="dismissed"), _case(minutes=2)],
        )
        cases = repo.list_analogue_cases(conn, alert_id=alert["id"])
    assert stored == 2
    assert [(c["type"], c["source"]) for c in cases] == [
        ("normal", "dismissed"),
        ("stuck_pipe", "confirmed"),
    ]
    first = cases[0]
    assert first["time"] == T0 + timedelta(minutes=1) and first["time"].tzinfo is not None
    assert np.frombuffer(first["features"], dtype=np.float32).tolist() == [1.0, 2.5]
    assert first["context"] == {"mud_type": "OBM"} and first["snippet_channels"] == ["HKLA"]
    assert first["accident_id"] is None and first["snippet"] is None


def test_analogue_cases_are_listed_by_feature_spec_alert_and_window(db_engine: Engine) -> None:
    a = insert_alert(db_engine, "W-1")
    b = insert_alert(db_engine, "W-2", time=T0 + timedelta(hours=1))
    with db_engine.begin() as conn:
        repo.replace_analogue_cases(
            conn, alert_id=a["id"], cases=[_case(), _case(minutes=5, feature_sha256=SHA_B)]
        )
        repo.replace_analogue_cases(conn, alert_id=b["id"], cases=[_case("W-2")])
        everything = _case_ids(conn)
        assert len(everything) == 3 and everything == sorted(everything)
        assert _case_ids(conn, feature_sha256=SHA_B) == [everything[1]]
        assert _case_ids(conn, alert_id=b["id"]) == [everything[2]]
        assert _case_ids(conn, well_id="W-1", time=T0) == [everything[0]]
        assert _case_ids(conn, well_id="W-1", time=T0 + timedelta(minutes=1)) == []
        with pytest.raises(ValueError, match=r"analogue case time.*no UTC offset"):
            repo.list_analogue_cases(conn, time=datetime(2024, 3, 1, 6, 0))  # noqa: DTZ001


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"source": "maybe"}, r"cases\[0\]\.source: 'maybe'"),
        ({"feature_sha256": "ABC"}, r"cases\[0\]\.feature_sha256: 'ABC' is not 64 lowercase"),
        ({"features": [1.0]}, r"cases\[0\]\.features: expected float32 bytes"),
        ({"time": datetime(2024, 3, 1)}, r"cases\[0\]\.time: .* has no UTC offset"),  # noqa: DTZ001
        ({"well_id": " "}, r"cases\[0\]\.well_id: expected a non-empty string"),
        ({"colour": "red"}, r"cases\[0\]: unknown field 'colour'"),
    ],
)
def test_analogue_cases_are_validated_before_any_is_replaced(
    engine: Engine, change: dict[str, Any], message: str
) -> None:
    alert = insert_alert(engine, "W-1")
    with engine.begin() as conn:
        repo.replace_analogue_cases(conn, alert_id=alert["id"], cases=[_case()])
        with pytest.raises(ValueError, match=rf"alert {alert['id']} {message}"):
            repo.replace_analogue_cases(conn, alert_id=alert["id"], cases=[_case(**change)])
        assert len(_case_ids(conn, alert_id=alert["id"])) == 1


def test_analogue_cases_outlive_the_accidents_they_came_from(db_engine: Engine) -> None:
    alert = insert_alert(db_engine, "W-1")
    with db_engine.begin() as conn:
        by_alert = repo.insert_accident(
            conn, well_id="W-1", type="stuck_pipe", start=T0, source="alert", alert_id=alert["id"]
        )
        by_user = repo.insert_accident(
            conn, well_id="W-1", type="kick", start=T0, source="user", alert_id=alert["id"]
        )
        repo.replace_analogue_cases(
            conn,
            alert_id=alert["id"],
            cases=[_case(accident_id=by_alert["id"]), _case(minutes=1, accident_id=by_user["id"])],
        )
    with db_engine.begin() as conn:
        assert repo.delete_alert_accidents(conn, alert_id=alert["id"]) == 1
        links = [c["accident_id"] for c in repo.list_analogue_cases(conn)]
        assert links == [None, by_user["id"]]
        repo.delete_accident(conn, accident_id=by_user["id"])
        assert [c["accident_id"] for c in repo.list_analogue_cases(conn)] == [None, None]
        assert repo.list_accidents(conn) == []
        assert repo.delete_alert_accidents(conn, alert_id=alert["id"]) == 0


def test_dismissed_alert_times_are_oldest_first_and_filtered_by_well(db_engine: Engine) -> None:
    late = insert_alert(db_engine, "W-1", time=T0 + timedelta(hours=2))
    early = insert_alert(db_engine, "W-2", time=T0)
    insert_alert(db_engine, "W-1", time=T0 + timedelta(hours=1))
    with db_engine.begin() as conn:
        for alert in (late, early):
            repo.set_alert_status(conn, alert_id=alert["id"], status="dismissed", who="ana")
        assert repo.dismissed_alert_times(conn) == [
            ("W-2", T0),
            ("W-1", T0 + timedelta(hours=2)),
        ]
        assert repo.dismissed_alert_times(conn, well_ids=["W-1"]) == [
            ("W-1", T0 + timedelta(hours=2))
        ]
        assert repo.dismissed_alert_times(conn, well_ids=[]) == []


def test_missing_rows_are_named_by_kind_and_id(db_engine: Engine) -> None:
    with db_engine.begin() as conn:
        with pytest.raises(NotFound, match="well 'W-9' not found") as caught:
            repo.lock_well(conn, well_id="W-9")
        assert (caught.value.kind, caught.value.id) == ("well", "W-9")
        with pytest.raises(NotFound, match="alert 999 not found"):
            repo.get_alert(conn, alert_id=999)
        with pytest.raises(NotFound, match="alert 999 not found"):
            repo.add_alert_comment(conn, alert_id=999, who="ana", comment="x")
        with pytest.raises(NotFound, match="model version 'm9' not found"):
            repo.get_model_version(conn, id="m9")
        with pytest.raises(NotFound, match="well 'W-9' not found"):
            repo.insert_alert(
                conn, well_id="W-9", time=T0, type="kick", probability=0.5,
                probabilities={}, rig_state=None, model_version=None,
            )  # fmt: skip


def test_a_model_version_needs_a_sha256_digest(engine: Engine) -> None:
    with engine.begin() as conn, pytest.raises(ValueError, match="'m1': sha256 'abc' is not 64"):
        repo.register_model_version(
            conn, id="m1", detector="xgb", path="m.json", sha256="abc", metrics={}, meta={}
        )


def _defined_names(module: ModuleType) -> set[str]:
    """Public functions, classes and constants a module defines itself (not imports)."""
    tree = ast.parse(Path(str(module.__file__)).read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in tree.body:
        if isinstance(node, ast.FunctionDef | ast.ClassDef):
            names.add(node.name)
        elif isinstance(node, ast.Assign | ast.AnnAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            names.update(t.id for t in targets if isinstance(t, ast.Name))
    return {n for n in names if not n.startswith("_") and n != "log"}


def test_every_public_name_is_reexported_by_the_package() -> None:
    exported = set(repo.__all__)
    for name in ("_common", *RESOURCE_MODULES):
        module = importlib.import_module(f"service.db.repo.{name}")
        public = _defined_names(module)
        if name == "_common":  # shared helpers; only the errors and the row type are API
            public &= {"Conflict", "NotFound", "Row"}
        assert public, name
        assert public <= exported, f"{name}: {sorted(public - exported)} not re-exported"
        for attr in public:
            assert getattr(repo, attr) is getattr(module, attr)
