"""The model registry: the bundled model on first start, activation, rollback, hot swap,
and what a registered version records."""

from pathlib import Path

import pytest
from sqlalchemy import Engine

from models.artifact import BUNDLED_DIR, MODEL_FILE, ModelError, load_model
from service.db import repo
from service.registry import ActiveModelWatcher, activate, load_active, register, rollback


def test_the_bundled_model_is_registered_and_activated_on_first_start(
    db_engine: Engine, tmp_path: Path
) -> None:
    model = load_active(db_engine, tmp_path)
    assert model.version == load_model(BUNDLED_DIR).version
    assert (tmp_path / model.version / MODEL_FILE).exists()
    with db_engine.connect() as conn:
        assert repo.get_active_model_version(conn)["id"] == model.version


def test_activate_and_rollback_move_between_registered_versions(
    db_engine: Engine, tmp_path: Path, small_model
) -> None:
    bundled = load_active(db_engine, tmp_path)
    register(db_engine, small_model, tmp_path, activate=False)
    assert activate(db_engine, small_model.version).version == small_model.version
    assert rollback(db_engine).version == bundled.version
    with pytest.raises(ModelError, match="nothing to roll back"):
        rollback(db_engine)


def test_a_running_service_swaps_to_a_version_activated_elsewhere(
    db_engine: Engine, tmp_path: Path, small_model
) -> None:
    bundled = load_active(db_engine, tmp_path)
    swapped = [bundled]
    watcher = ActiveModelWatcher(db_engine, swapped.append, lambda: swapped[-1].version)
    assert watcher.check() is None
    register(db_engine, small_model, tmp_path, activate=True)
    assert watcher.check() == small_model.version
    assert [m.version for m in swapped] == [bundled.version, small_model.version]
    assert watcher.check() is None


def test_a_registered_version_records_its_metadata_without_the_feature_list(
    db_engine: Engine, tmp_path: Path
) -> None:
    from models.metadata import ModelMetadata

    model = load_active(db_engine, tmp_path)
    metadata = ModelMetadata.load(BUNDLED_DIR)
    with db_engine.connect() as conn:
        row = repo.get_model_version(conn, id=model.version)
    assert row["detector"] == metadata.detector and row["sha256"] == metadata.sha256
    assert row["metrics"] == metadata.metrics
    assert "features" not in row["meta"] and "metrics" not in row["meta"]
    assert row["meta"]["thresholds"] == metadata.thresholds
    assert row["meta"]["calibration"]["previous"]["version"] == "bundled-v9"
