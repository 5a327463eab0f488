"""The live path: features computed incrementally from batches equal the batch features of
the whole well, and a backtest replays the same decisions."""

import numpy as np
import pytest

from models.features import decision_ends, features_at, prepare
from pipelines.live.streaming import StreamEngine
from pipelines.telemetry import TelemetryBatch, chunks
from pipelines.training.backtest import replay


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


@pytest.mark.slow  # scores a whole simulated well twice with the pairwise detector
def test_the_analogue_detector_decides_by_pairwise_similarity_to_past_accidents(
    small_model, sim_wells
) -> None:
    from dataclasses import replace

    from models.features import decision_ends, features_at, prepare

    paper = small_model.with_detector("analogue")
    eager = replace(
        paper,
        meta={
            **paper.meta,
            "pairwise": {
                **paper.meta["pairwise"],
                "thresholds": dict.fromkeys(paper.classes[1:], 0.05),
            },
        },
    )
    well = sim_wells[0]
    batch = well.to_batch()
    alerts, decisions = replay(StreamEngine(eager), well.profile.well_id, batch)
    assert alerts
    # the live scores are the pairwise detector's scores of the batch feature rows
    prepared = prepare(batch.times_ns, batch.channels, paper.spec)
    ends = decision_ends(batch.times_ns, paper.stride_seconds)
    expected = paper.pairwise.scores(features_at(prepared, ends, paper.spec), paper.analogues)
    live = {d.time_ns: d for d in decisions}
    for row, end in zip(expected, ends, strict=True):
        got = live[int(batch.times_ns[end])].probabilities
        assert [got[c] for c in paper.classes] == pytest.approx(row.tolist(), abs=1e-6)
    for alert in alerts:
        # evidence: past accident windows, most similar first, by the pairwise model
        sims = [a["similarity"] for a in alert.analogues]
        assert len(sims) == 5 and sims == sorted(sims, reverse=True)
        assert all(a["type"] != "normal" for a in alert.analogues)


def test_a_model_with_other_features_swapped_in_mid_stream_decides_at_once(
    small_model, other_spec_model, sim_wells
) -> None:
    batch = TelemetryBatch.from_frame(sim_wells[0].frame.iloc[: 2 * 3600])
    engine = StreamEngine(small_model, stride_s=10.0)
    first, second = batch.select(slice(0, 3600)), batch.select(slice(3600, None))
    engine.feed("W", first)
    engine.set_model(other_spec_model)
    result = engine.feed("W", second.select(slice(0, 60)))
    assert result.decisions  # the buffer was prepared again for the new model's features
    state = engine.well("W")
    assert state.prepared is not None
    assert state.prepared.matrix.shape == (state.times_ns.size, len(other_spec_model.spec.channels))
    assert state.prepared.times_ns[-1] == second.times_ns[59]
