"""The telemetry store keeps every sample once, exactly, and reads any range back sorted."""

from __future__ import annotations

from datetime import timedelta

import numpy as np
import pandas as pd
import pytest
from factories import T0, assert_batches_equal, make_batch, to_ns
from sqlalchemy import Engine, func, select

from pipelines.telemetry import NS_PER_S, TelemetryBatch
from service.db import repo
from service.db.repo import NotFound
from service.db.tables import telemetry_chunks
from service.db.telemetry_store import (
    CHUNK_SAMPLES,
    compact_chunks,
    count_samples,
    merge_batch,
    read_range,
    store_batch,
    time_range,
)

WELL = "W-1"


def _store(engine: Engine, batch: TelemetryBatch, well_id: str = WELL) -> int:
    with engine.begin() as conn:
        repo.ensure_well(conn, well_id=well_id)
        return store_batch(conn, well_id=well_id, batch=batch)


def _merge(engine: Engine, batch: TelemetryBatch, well_id: str = WELL) -> tuple[int, int]:
    with engine.begin() as conn:
        repo.ensure_well(conn, well_id=well_id)
        return merge_batch(conn, well_id=well_id, batch=batch)


def _read(engine: Engine, well_id: str = WELL, **bounds: int | None) -> TelemetryBatch:
    with engine.connect() as conn:
        return read_range(conn, well_id=well_id, **bounds)


def _count(engine: Engine, well_id: str = WELL) -> int:
    with engine.connect() as conn:
        return count_samples(conn, well_id=well_id)


def _chunk_count(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.scalar(select(func.count()).select_from(telemetry_chunks)) or 0)


def test_round_trip_is_bit_exact_including_missing_values(db_engine: Engine) -> None:
    batch = make_batch(n=500, nan_fraction=0.2)
    full_precision = make_batch(T0 + timedelta(hours=1), n=500, decimals=None, seed=1)
    assert _store(db_engine, batch) == 500
    assert _store(db_engine, full_precision) == 500

    assert_batches_equal(_read(db_engine, end_ns=int(batch.times_ns[-1])), batch)
    assert_batches_equal(_read(db_engine, start_ns=int(full_precision.times_ns[0])), full_precision)


def test_resending_a_batch_stores_it_once(db_engine: Engine) -> None:
    batch = make_batch(n=120)
    assert _store(db_engine, batch) == 120
    assert _store(db_engine, batch) == 0
    with db_engine.connect() as conn:
        assert count_samples(conn, well_id=WELL) == 120
    assert_batches_equal(_read(db_engine), batch)


def test_overlapping_resend_stores_only_new_samples_and_first_write_wins(
    db_engine: Engine,
) -> None:
    first = make_batch(n=100, seed=1)
    overlapping = make_batch(T0 + timedelta(seconds=50), n=100, seed=2)  # 50 old, 50 new
    _store(db_engine, first)
    assert _store(db_engine, overlapping) == 50

    stored = _read(db_engine)
    assert len(stored) == 150
    for name, values in first.channels.items():
        np.testing.assert_array_equal(stored.channels[name][:100], values)
        np.testing.assert_array_equal(stored.channels[name][100:], overlapping.channels[name][50:])


def test_interleaved_resend_fills_only_the_gaps(db_engine: Engine) -> None:
    full = make_batch(n=100)
    _store(db_engine, full.select(np.arange(100) % 2 == 0))
    assert _store(db_engine, full) == 50
    assert_batches_equal(_read(db_engine), full)


def test_late_out_of_order_batch_is_accepted_and_read_back_sorted(db_engine: Engine) -> None:
    full = make_batch(n=300)
    early, middle, late = (full.select(slice(a, b)) for a, b in [(0, 100), (100, 200), (200, 300)])
    for part in (late, early, middle):
        _store(db_engine, part)
    stored = _read(db_engine)
    assert np.all(np.diff(stored.times_ns) > 0)
    assert_batches_equal(stored, full)
    with db_engine.connect() as conn:
        assert time_range(conn, well_id=WELL) == (int(full.times_ns[0]), int(full.times_ns[-1]))


def test_range_reads_are_clipped_inclusively(db_engine: Engine) -> None:
    batch = make_batch(n=100)
    _store(db_engine, batch)
    t = batch.times_ns
    clipped = _read(db_engine, start_ns=int(t[10]), end_ns=int(t[19]))
    assert_batches_equal(clipped, batch.select(slice(10, 20)))
    between = _read(db_engine, start_ns=int(t[10]) + 1, end_ns=int(t[11]) - 1)
    assert len(between) == 0 and between.channels == {}
    assert len(_read(db_engine, start_ns=int(t[50]), end_ns=int(t[40]))) == 0
    assert len(_read(db_engine, start_ns=int(t[-1]) + 1)) == 0


def test_reading_an_unknown_or_empty_well_gives_an_empty_batch(db_engine: Engine) -> None:
    batch = _read(db_engine, well_id="nowhere")
    assert len(batch) == 0 and batch.times_ns.dtype == np.int64
    with db_engine.connect() as conn:
        assert time_range(conn, well_id="nowhere") is None
        assert count_samples(conn, well_id="nowhere") == 0


def test_channels_are_the_union_across_chunks_with_nan_where_absent(db_engine: Engine) -> None:
    first = make_batch(n=10, channels=["HKLA", "TQA"])
    second = make_batch(T0 + timedelta(seconds=10), n=10, channels=["TQA", "SPPA"])
    _store(db_engine, first)
    _store(db_engine, second)
    stored = _read(db_engine)
    assert set(stored.channels) == {"HKLA", "TQA", "SPPA"}
    np.testing.assert_array_equal(stored.channels["HKLA"][:10], first.channels["HKLA"])
    assert np.isnan(stored.channels["HKLA"][10:]).all()
    assert np.isnan(stored.channels["SPPA"][:10]).all()
    np.testing.assert_array_equal(
        stored.channels["TQA"], np.concatenate([first.channels["TQA"], second.channels["TQA"]])
    )
    with db_engine.connect() as conn:
        only = read_range(conn, well_id=WELL, channels=["SPPA"])
    assert list(only.channels) == ["SPPA"] and len(only) == 20


def test_long_batches_are_split_into_bounded_chunks(db_engine: Engine) -> None:
    batch = make_batch(n=CHUNK_SAMPLES * 2 + 10, channels=["HKLA"])
    assert _store(db_engine, batch) == len(batch)
    assert _chunk_count(db_engine) == 3
    with db_engine.connect() as conn:
        sizes = conn.scalars(select(telemetry_chunks.c.n_samples)).all()
    assert max(sizes) <= CHUNK_SAMPLES and sum(sizes) == len(batch)
    assert_batches_equal(_read(db_engine), batch)


def test_wells_are_kept_apart(db_engine: Engine) -> None:
    a, b = make_batch(n=30, seed=1), make_batch(n=30, seed=2)  # same time stamps
    assert _store(db_engine, a, "A") == 30
    assert _store(db_engine, b, "B") == 30
    assert_batches_equal(_read(db_engine, "A"), a)
    assert_batches_equal(_read(db_engine, "B"), b)


def test_compaction_merges_small_chunks_without_changing_the_data(db_engine: Engine) -> None:
    full = make_batch(n=600, step_s=2.0)
    for i in range(0, 600, 10):  # live ingest: ten samples per request
        _store(db_engine, full.select(slice(i, i + 10)))
    assert _chunk_count(db_engine) == 60
    with db_engine.begin() as conn:  # the first half into one chunk, the live tail alone
        assert compact_chunks(conn, well_id=WELL, before_ns=int(full.times_ns[300])) == 29
    assert _chunk_count(db_engine) == 31
    assert_batches_equal(_read(db_engine), full)
    with db_engine.begin() as conn:  # the tail's 30 chunks of 10 into 200 + 100
        assert compact_chunks(conn, well_id=WELL, max_samples=200) == 28
    assert _chunk_count(db_engine) == 3
    assert_batches_equal(_read(db_engine), full)
    assert _store(db_engine, full) == 0


def test_storing_for_an_unknown_well_names_it(db_engine: Engine) -> None:
    with db_engine.begin() as conn, pytest.raises(NotFound, match="'ghost'"):
        store_batch(conn, well_id="ghost", batch=make_batch(n=3))


def test_batches_with_unordered_times_are_refused(db_engine: Engine) -> None:
    batch = make_batch(n=5)
    batch.times_ns[3] = batch.times_ns[1]
    with db_engine.begin() as conn, pytest.raises(ValueError, match=r"times_ns\[3\]"):
        repo.ensure_well(conn, well_id=WELL)
        store_batch(conn, well_id=WELL, batch=batch)


def test_an_empty_batch_stores_nothing(db_engine: Engine) -> None:
    empty = TelemetryBatch(np.empty(0, np.int64), {"HKLA": np.empty(0)})
    assert _store(db_engine, empty) == 0
    assert _chunk_count(db_engine) == 0


def test_irregular_sampling_round_trips(db_engine: Engine) -> None:
    rng = np.random.default_rng(3)
    times = to_ns(T0) + np.cumsum(rng.integers(1, 15 * NS_PER_S, 400)).astype(np.int64)
    batch = TelemetryBatch(times, make_batch(n=400).channels)
    _store(db_engine, batch)
    assert_batches_equal(_read(db_engine), batch)


# -- merging imported logs ------------------------------------------------------------------


def _frame(batch: TelemetryBatch) -> pd.DataFrame:
    return batch.to_frame().sort_index(axis=1)


def test_merging_a_second_log_fills_the_channel_the_stored_samples_lack(
    db_engine: Engine,
) -> None:
    drilling = make_batch(n=200, channels=["HKLA", "SPPA", "DMEA"], nan_fraction=0.1)
    pits = make_batch(n=100, step_s=2.0, channels=["TVA", "DMEA"], seed=1)  # every other time
    pits.channels["DMEA"][:] = np.nan  # no hole depth in the pits log
    _store(db_engine, drilling)

    assert _merge(db_engine, pits) == (0, 100)

    stored = _read(db_engine)
    expected = _frame(drilling).join(_frame(pits)[["TVA"]])  # NaN at the odd seconds
    pd.testing.assert_frame_equal(_frame(stored), expected.sort_index(axis=1), check_exact=True)
    assert _count(db_engine) == 200


def test_merging_never_overwrites_a_stored_value_and_fills_only_missing_ones(
    db_engine: Engine,
) -> None:
    first = make_batch(n=120, channels=["HKLA", "TVA"], nan_fraction=0.3, seed=1)
    other = make_batch(n=120, channels=["HKLA", "TVA"], nan_fraction=0.3, seed=2)
    _store(db_engine, first)

    missing = np.isnan(_frame(first))
    offered = ~np.isnan(_frame(other))
    _, added = _merge(db_engine, other)

    assert added == int((missing & offered).to_numpy().sum()) > 0
    expected = _frame(first).where(~missing, _frame(other))  # a stored value always wins
    pd.testing.assert_frame_equal(_frame(_read(db_engine)), expected, check_exact=True)


def test_merging_stores_samples_at_new_times_alongside_the_filled_ones(db_engine: Engine) -> None:
    drilling = make_batch(n=100, channels=["HKLA", "SPPA"])
    pits = make_batch(T0 + timedelta(seconds=50), n=100, channels=["TVA"], seed=3)  # 50 new
    _store(db_engine, drilling)

    assert _merge(db_engine, pits) == (50, 50)

    stored = _read(db_engine)
    expected = _frame(drilling).join(_frame(pits), how="outer")
    pd.testing.assert_frame_equal(_frame(stored), expected, check_exact=True)
    assert _count(db_engine) == 150


def test_merging_the_same_log_twice_adds_nothing_the_second_time(db_engine: Engine) -> None:
    drilling = make_batch(n=CHUNK_SAMPLES + 300, channels=["HKLA"])  # two stored chunks
    pits = make_batch(T0 + timedelta(seconds=10), n=CHUNK_SAMPLES + 400, channels=["TVA"])
    _store(db_engine, drilling)
    first = _merge(db_engine, pits)
    chunks_after_first = _chunk_count(db_engine)
    after_first = _read(db_engine)

    assert first == (110, CHUNK_SAMPLES + 290)
    assert _merge(db_engine, pits) == (0, 0)
    assert _chunk_count(db_engine) == chunks_after_first  # nothing rewritten
    assert_batches_equal(_read(db_engine), after_first)
    assert _store(db_engine, pits) == 0  # live ingest: those times are stored


def test_merging_into_a_well_without_samples_stores_the_batch_as_it_is(
    db_engine: Engine,
) -> None:
    batch = make_batch(n=50, nan_fraction=0.2)
    assert _merge(db_engine, batch) == (50, 0)
    assert_batches_equal(_read(db_engine), batch)
    assert _merge(db_engine, TelemetryBatch(np.empty(0, np.int64), {})) == (0, 0)


def test_merging_for_an_unknown_well_names_it(db_engine: Engine) -> None:
    with db_engine.begin() as conn, pytest.raises(NotFound, match="'ghost'"):
        merge_batch(conn, well_id="ghost", batch=make_batch(n=3))


def test_merging_leaves_other_wells_alone(db_engine: Engine) -> None:
    a = make_batch(n=30, channels=["HKLA"], seed=1)
    b = make_batch(n=30, channels=["HKLA"], seed=2)
    _store(db_engine, a, "A")
    _store(db_engine, b, "B")
    assert _merge(db_engine, make_batch(n=30, channels=["TVA"]), "A") == (0, 30)
    assert_batches_equal(_read(db_engine, "B"), b)
