"""Accident signatures laid over normal telemetry: what each changes, and only where it can."""

from __future__ import annotations

import numpy as np
import pytest
from factories import T0, make_batch, to_ns

from pipelines.training.inject import INJECTORS, can_inject, kick, pit_transfer, stuck_pipe

NS = 1_000_000_000
ALL = ("HKLA", "TQA", "RPMA", "SPPA", "MFIA", "MFOA", "MFOP", "TVA", "GASA", "BPOS", "ROPA")


def _background(channels=ALL, hours: float = 3.0, step_s: float = 5.0):
    return make_batch(T0, n=int(hours * 3600 / step_s), channels=channels, step_s=step_s, seed=3)


def test_a_kick_fills_the_pit_raises_gas_and_flow_out_and_keeps_going() -> None:
    batch = _background()
    onset = to_ns(T0) + 3600 * NS
    done = kick(batch, onset, "W+kick", np.random.default_rng(0))
    after = batch.times_ns >= onset + 90 * 60 * NS
    gain = done.batch.channels["TVA"] - batch.channels["TVA"]
    assert np.all(gain[batch.times_ns < onset] == 0)
    assert np.all(gain[after] > 0.29)  # the smallest drawn gain is 0.3 m³
    assert np.all(np.diff(gain[batch.times_ns >= onset]) >= -1e-12)  # the pit only fills
    assert done.batch.channels["GASA"][after].mean() > batch.channels["GASA"][after].mean()
    assert done.batch.channels["MFOA"][after].mean() > batch.channels["MFOA"][after].mean()
    acc = done.accident
    assert acc.type == "kick" and acc.well_id == "W+kick"
    assert to_ns(acc.precursor_start) == onset < to_ns(acc.start) < to_ns(acc.end)


def test_a_stuck_pipe_stops_rotation_and_the_block_with_torque_held_high() -> None:
    batch = _background()
    onset = to_ns(T0) + 3600 * NS
    done = stuck_pipe(batch, onset, "W+stuck", np.random.default_rng(1))
    stuck = (batch.times_ns >= to_ns(done.accident.start)) & (
        batch.times_ns < to_ns(done.accident.end)
    )
    assert done.batch.channels["RPMA"][stuck].max() <= 0.05 * batch.channels["RPMA"].max()
    assert np.ptp(done.batch.channels["BPOS"][stuck]) == 0
    assert np.median(done.batch.channels["TQA"][stuck]) > 1.3 * np.quantile(
        batch.channels["TQA"], 0.9
    )


@pytest.mark.parametrize("accident_type", sorted(INJECTORS))
def test_signatures_change_only_the_channels_the_well_sends(accident_type: str) -> None:
    batch = _background(channels=("TVA", "SPPA", "MFOP", "GASA"))
    if not can_inject(accident_type, batch.channels):
        assert accident_type == "stuck_pipe"  # no torque, no rotation, no hookload here
        return
    done = INJECTORS[accident_type](batch, to_ns(T0) + 3600 * NS, "W", np.random.default_rng(2))
    assert sorted(done.batch.channels) == sorted(batch.channels)
    np.testing.assert_array_equal(done.batch.times_ns, batch.times_ns)


def test_a_pit_transfer_moves_the_pit_alone() -> None:
    batch = _background()
    moved = pit_transfer(batch, to_ns(T0) + 3600 * NS, "W", np.random.default_rng(4))
    assert not np.array_equal(moved.channels["TVA"], batch.channels["TVA"])
    for name in ALL:
        if name != "TVA":
            np.testing.assert_array_equal(moved.channels[name], batch.channels[name])
