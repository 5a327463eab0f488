"""The live path: features computed incrementally from batches equal the batch features of
the whole well, and a backtest replays the same decisions."""

import numpy as np

from models.features import decision_ends, features_at, prepare
from pipelines.backtest import replay
from pipelines.batch import TelemetryBatch, chunks
from pipelines.streaming import StreamEngine


def test_live_decisions_equal_batch_features_of_the_whole_well(small_model, sim_wells) -> None:
    well = sim_wells[0]
    batch = TelemetryBatch.from_frame(well.frame.iloc[: 3 * 3600])
    spec = small_model.spec
    engine = StreamEngine(small_model, stride_s=10.0)
    live_rows: list[np.ndarray] = []
    original = engine._model.predict_proba

    def spy(rows: np.ndarray) -> np.ndarray:
        live_rows.append(rows.copy())
        return original(rows)

    engine._model.predict_proba = spy  # type: ignore[method-assign]
    for part in chunks(batch, 37.0):  # odd batch size: decisions straddle batches
        engine.feed(well.profile.well_id, part)
    live = np.vstack(live_rows)
    prepared = prepare(batch.times_ns, batch.channels, spec)
    expected = features_at(prepared, decision_ends(batch.times_ns, 10.0), spec)
    assert live.shape == expected.shape
    np.testing.assert_allclose(live, expected, rtol=1e-9, atol=1e-9, equal_nan=True)


def test_late_samples_are_not_fed_to_the_live_windows(small_model, sim_wells) -> None:
    batch = TelemetryBatch.from_frame(sim_wells[0].frame.iloc[:600])
    engine = StreamEngine(small_model)
    engine.feed("W", batch.select(slice(300, 600)))
    result = engine.feed("W", batch.select(slice(0, 300)))
    assert result.late == 300
    assert result.accepted == 0


def test_replay_is_deterministic(small_model, sim_wells) -> None:
    batch = TelemetryBatch.from_frame(sim_wells[1].frame.iloc[: 2 * 3600])
    first = replay(StreamEngine(small_model), "W", batch)
    second = replay(StreamEngine(small_model), "W", batch, batch_seconds=13)
    assert [d.probabilities for d in first[1]] == [d.probabilities for d in second[1]]


def test_every_alert_carries_its_five_nearest_analogues(small_model, sim_wells) -> None:
    from dataclasses import replace

    eager = replace(
        small_model,
        meta={**small_model.meta, "thresholds": dict.fromkeys(small_model.classes[1:], 0.05)},
    )
    well = sim_wells[0]
    alerts, _ = replay(StreamEngine(eager), well.profile.well_id, well.to_batch())
    assert alerts
    for alert in alerts:
        assert len(alert.analogues) == 5
        sims = [a["similarity"] for a in alert.analogues]
        assert sims == sorted(sims, reverse=True)
        assert {"well_id", "time", "type", "time_to_start_s", "rig_state"} <= set(
            alert.analogues[0]
        )


def test_the_analogue_detector_names_the_type_its_analogues_share(small_model, sim_wells) -> None:
    from dataclasses import replace

    from pipelines.streaming import analogue_type

    paper = replace(
        small_model,
        meta={
            **small_model.meta,
            "detector": "analogue",
            "thresholds": dict.fromkeys(small_model.classes[1:], 0.05),
        },
    )
    well = sim_wells[0]
    alerts, _ = replay(StreamEngine(paper), well.profile.well_id, well.to_batch())
    assert alerts
    for alert in alerts:
        assert alert.type == (analogue_type(alert.analogues) or alert.type)
