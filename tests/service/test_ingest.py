"""Ingest: a batch is stored durably, fed to the live path, and what that raises (alerts,
data-quality notices) is persisted and returned. Real database on both backends, the
bundled model."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import timedelta

import numpy as np
import pytest
from factories import ALL_CHANNELS, T0, assert_batches_equal, make_batch
from sqlalchemy import Engine

from models.artifact import BUNDLED_DIR, ModelArtifact, load_model
from pipelines.live.streaming import StreamEngine
from pipelines.telemetry import TelemetryBatch
from service.db import repo, telemetry_store
from service.ingest import Ingestor

WELL = "W-ING"


@pytest.fixture(scope="module")
def bundled() -> ModelArtifact:
    return load_model(BUNDLED_DIR)


@pytest.fixture
def ingestor(db_engine: Engine, bundled: ModelArtifact) -> Ingestor:
    return Ingestor(db_engine, StreamEngine(bundled))


def minute(i: int, *, seed: int = 0) -> TelemetryBatch:
    """The ``i``-th minute of ordinary drilling from T0, at 1 Hz."""
    return make_batch(T0 + timedelta(minutes=i), n=60, channels=ALL_CHANNELS, seed=seed + i)


def stored(engine: Engine, well_id: str = WELL) -> TelemetryBatch:
    """What another connection reads back: only committed data."""
    with engine.connect() as conn:
        return telemetry_store.read_range(conn, well_id=well_id)


def test_a_batch_is_committed_to_the_store_and_creates_its_well(
    ingestor: Ingestor, db_engine: Engine
) -> None:
    batch = minute(0)
    result = ingestor.ingest(WELL, batch)
    assert result.well_created
    assert (result.received, result.stored, result.late) == (60, 60, 0)
    assert_batches_equal(stored(db_engine), batch)
    with db_engine.connect() as conn:
        well = repo.get_well(conn, well_id=WELL)
    assert well["last_sample_at"] == batch.end
    assert result.last_sample_at == batch.end.isoformat()


def test_the_well_row_remembers_the_rig_state_of_the_newest_decision(
    ingestor: Ingestor, db_engine: Engine
) -> None:
    result = ingestor.ingest(WELL, minute(0))
    assert result.decisions == 6  # one every 10 s
    assert result.rig_state == "rotary_drilling"
    with db_engine.connect() as conn:
        assert repo.get_well(conn, well_id=WELL)["last_rig_state"] == "rotary_drilling"


def test_the_new_samples_are_fed_to_the_wells_rolling_buffer(ingestor: Ingestor) -> None:
    first, second = minute(0), minute(1)
    ingestor.ingest(WELL, first)
    ingestor.ingest(WELL, second)
    state = ingestor.stream.well(WELL)
    np.testing.assert_array_equal(state.times_ns, np.concatenate([first.times_ns, second.times_ns]))
    np.testing.assert_array_equal(
        state.channels["HKLA"], np.concatenate([first.channels["HKLA"], second.channels["HKLA"]])
    )


def test_a_batch_sent_again_stores_nothing_and_is_late_for_the_live_path(
    ingestor: Ingestor, db_engine: Engine
) -> None:
    batch = minute(0)
    ingestor.ingest(WELL, batch)
    again = ingestor.ingest(WELL, batch)
    assert not again.well_created
    assert (again.stored, again.late, again.decisions) == (0, 60, 0)
    assert again.as_dict()["duplicates"] == 60
    assert again.alerts == [] and again.notices == []
    with db_engine.connect() as conn:
        assert telemetry_store.count_samples(conn, well_id=WELL) == 60


def test_late_samples_are_stored_but_the_well_keeps_its_newest_time(
    ingestor: Ingestor, db_engine: Engine
) -> None:
    early, later = minute(0), minute(1)
    ingestor.ingest(WELL, later)
    result = ingestor.ingest(WELL, early)
    # stored for the record, but the live path has decided past them already
    assert (result.stored, result.late, result.decisions) == (60, 60, 0)
    assert result.last_sample_at == later.end.isoformat()
    with db_engine.connect() as conn:
        assert repo.get_well(conn, well_id=WELL)["last_sample_at"] == later.end
    assert len(stored(db_engine)) == 120


def test_ordinary_drilling_raises_no_alert_and_stores_none(
    ingestor: Ingestor, db_engine: Engine
) -> None:
    results = [ingestor.ingest(WELL, minute(i)) for i in range(3)]
    assert [r.alerts for r in results] == [[], [], []]
    with db_engine.connect() as conn:
        assert repo.list_alerts(conn, well_id=WELL) == []


def eager(model: ModelArtifact) -> ModelArtifact:
    """The bundled classifier alerting on every decision: every type's threshold at 0, no
    hold time (with k = n = 1 the first decision alerts on its most likely accident type)."""
    classifier = model.with_detector("classifier")
    thresholds = dict.fromkeys(classifier.classes[1:], 0.0)
    return replace(classifier, meta={**classifier.meta, "thresholds": thresholds, "hold_s": {}})


def test_alerts_the_live_path_raises_are_stored_and_returned_with_their_evidence(
    db_engine: Engine, bundled: ModelArtifact
) -> None:
    model = eager(bundled)
    ingestor = Ingestor(db_engine, StreamEngine(model, k=1, n=1))
    result = ingestor.ingest(WELL, minute(0))
    assert result.alerts, "an eager model alerts on the first decision"
    with db_engine.connect() as conn:
        rows = repo.list_alerts(conn, well_id=WELL)
    assert sorted(rows, key=lambda a: a["id"]) == result.alerts  # stored as returned
    assert result.as_dict()["alerts"] == [a["id"] for a in result.alerts]
    first = result.alerts[0]
    assert first["time"] == T0  # the first decision
    assert first["status"] == "open" and first["model_version"] == model.version
    assert first["rig_state"] == "rotary_drilling"
    assert first["probability"] == first["probabilities"][first["type"]]
    assert len(first["analogues"]) == 5 and first["contributions"]


def wrong_unit_hookload(i: int) -> TelemetryBatch:
    """A minute whose hookload is sent in N instead of kN."""
    batch = minute(i)
    batch.channels["HKLA"] = batch.channels["HKLA"] * 1000.0
    return batch


def test_a_wrong_unit_is_noticed_once_not_on_every_batch(ingestor: Ingestor) -> None:
    first = ingestor.ingest(WELL, wrong_unit_hookload(0))
    assert sorted((n.kind, n.channel) for n in first.notices) == [
        ("out_of_range", "HKLA"),
        ("unit_suspect", "HKLA"),
    ]
    assert first.as_dict()["quality"] == [n.as_dict() for n in first.notices]
    second = ingestor.ingest(WELL, wrong_unit_hookload(1))
    assert second.notices == []  # the same problems, still holding
    held = ingestor.quality[WELL]
    assert sorted(held) == sorted((n.channel, n.kind, n.start) for n in first.notices)
    assert {n.end for n in held.values()} == {"2024-03-01T06:01:59Z"}  # kept up to date


def test_a_gap_in_the_data_is_a_new_notice(ingestor: Ingestor) -> None:
    assert ingestor.ingest(WELL, minute(0)).notices == []
    result = ingestor.ingest(WELL, minute(10))  # nine minutes without a sample
    assert [(n.kind, n.channel) for n in result.notices] == [("gap", "*")]
    assert result.notices[0].start == "2024-03-01T06:00:59Z"


def test_concurrent_ingests_queue_for_the_database_instead_of_failing(
    ingestor: Ingestor, db_engine: Engine
) -> None:
    wells = [f"W-{i}" for i in range(4)]

    def send_three_minutes(well_id: str) -> list[int]:
        return [ingestor.ingest(well_id, minute(i)).stored for i in range(3)]

    with ThreadPoolExecutor(len(wells)) as pool:
        assert list(pool.map(send_three_minutes, wells)) == [[60, 60, 60]] * len(wells)
        # the same batch sent four times at once is stored once
        repeats = list(pool.map(lambda _: ingestor.ingest(WELL, minute(0)).stored, range(4)))
    assert sorted(repeats) == [0, 0, 0, 60]
    with db_engine.connect() as conn:
        counts = {w: telemetry_store.count_samples(conn, well_id=w) for w in [*wells, WELL]}
    assert counts == {**dict.fromkeys(wells, 180), WELL: 60}
