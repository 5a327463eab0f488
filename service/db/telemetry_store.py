"""The replayable raw telemetry store: compressed columnar chunks per well.

Each row of ``telemetry_chunks`` holds up to :data:`CHUNK_SAMPLES` samples of one well,
encoded by :mod:`service.db.chunk_codec` (exact, ~1 byte per value for typical decimal
telemetry). Functions take a ``Connection`` and leave the transaction to the caller.

Writes are idempotent per (well, time stamp): a sample whose time is already stored is
skipped, so the first write wins and re-sent or overlapping batches are harmless. Late
and out-of-order batches are stored as they come; reads merge and sort.

Imports use :func:`merge_batch` instead, so that several logs of one well (a drilling log and
a pits log at the same time stamps) end up in one sample per time stamp: values are added
where the stored sample has none, and a stored value is never changed.

Typical ingest, in one transaction::

    with engine.begin() as conn:
        repo.ensure_well(conn, well_id=well_id)
        stored = store_batch(conn, well_id=well_id, batch=batch)
        repo.touch_well(conn, well_id=well_id, last_sample_at=batch.end, rig_state=state)

Live ingest of small batches creates small chunks; :func:`compact_chunks` merges them
(e.g. hourly, for data older than a few minutes).
"""

from __future__ import annotations

import itertools
import logging
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
from sqlalchemy import Connection, delete, func, insert, select

from pipelines.telemetry import TelemetryBatch
from service.db.chunk_codec import decode_chunk, decode_times, encode_chunk
from service.db.repo import lock_well
from service.db.tables import telemetry_chunks as chunks
from service.db.tables import utcnow

log = logging.getLogger(__name__)

CHUNK_SAMPLES = 3600
"""Most samples per stored chunk (one hour at 1 Hz)."""


def _empty_batch() -> TelemetryBatch:
    return TelemetryBatch(np.empty(0, dtype=np.int64), {})


def _checked(well_id: str, batch: TelemetryBatch) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    times = np.asarray(batch.times_ns)
    if times.ndim != 1 or times.dtype != np.int64:
        raise ValueError(
            f"well {well_id!r}: times_ns must be a 1-d int64 array, got {times.dtype} "
            f"with shape {times.shape}"
        )
    steps = np.diff(times)
    if steps.size and (steps <= 0).any():
        i = int(np.argmax(steps <= 0)) + 1
        raise ValueError(
            f"well {well_id!r}: times_ns[{i}]={int(times[i])} does not follow "
            f"times_ns[{i - 1}]={int(times[i - 1])}; times must strictly increase"
        )
    columns: dict[str, np.ndarray] = {}
    for name, values in batch.channels.items():
        column = np.asarray(values, dtype=np.float64)
        if column.shape != times.shape:
            raise ValueError(
                f"well {well_id!r}: channel {name!r} has shape {column.shape}, "
                f"time has {times.shape}"
            )
        columns[str(name)] = column
    return times, columns


def _stored_times(conn: Connection, well_id: str, t0: int, t1: int) -> np.ndarray:
    """Time stamps already stored for the well within [t0, t1]."""
    stmt = select(chunks.c.payload).where(
        chunks.c.well_id == well_id, chunks.c.t_start_ns <= t1, chunks.c.t_end_ns >= t0
    )
    parts = []
    for payload in conn.scalars(stmt):
        times = decode_times(payload)
        parts.append(times[(times >= t0) & (times <= t1)])
    if not parts:
        return np.empty(0, dtype=np.int64)
    return np.concatenate(parts)


def _chunk_rows(
    well_id: str, times: np.ndarray, columns: dict[str, np.ndarray], limit: int = CHUNK_SAMPLES
) -> list[dict[str, Any]]:
    n = int(times.shape[0])
    pieces = -(-n // limit)  # ceil: equal-sized pieces of at most `limit` samples
    bounds = np.linspace(0, n, pieces + 1).round().astype(int)
    names = list(columns)
    now = utcnow()
    rows = []
    for lo, hi in itertools.pairwise(bounds.tolist()):
        rows.append(
            {
                "well_id": well_id,
                "t_start_ns": int(times[lo]),
                "t_end_ns": int(times[hi - 1]),
                "n_samples": int(hi - lo),
                "channels": names,
                "payload": encode_chunk(times[lo:hi], [columns[c][lo:hi] for c in names]),
                "created_at": now,
            }
        )
    return rows


def store_batch(conn: Connection, *, well_id: str, batch: TelemetryBatch) -> int:
    """Store the batch's samples whose time is not stored yet; returns how many were new.

    The well must exist (``repo.ensure_well``); ``NotFound`` otherwise. Writers of one
    well are serialised for the rest of the transaction, so concurrent re-sends of the same
    samples store them once.
    """
    times, columns = _checked(well_id, batch)
    if times.size == 0:
        return 0
    lock_well(conn, well_id=well_id)
    stored = _stored_times(conn, well_id, int(times[0]), int(times[-1]))
    if stored.size:
        keep = ~np.isin(times, stored)
        if not keep.any():
            log.debug("well %s: all %d samples already stored", well_id, times.size)
            return 0
        times = times[keep]
        columns = {name: values[keep] for name, values in columns.items()}
    rows = _chunk_rows(well_id, times, columns)
    conn.execute(insert(chunks), rows)
    log.debug(
        "well %s: stored %d samples in %d chunks (%d duplicates skipped)",
        well_id,
        times.size,
        len(rows),
        len(batch) - times.size,
    )
    return int(times.size)


def merge_batch(conn: Connection, *, well_id: str, batch: TelemetryBatch) -> tuple[int, int]:
    """Merge an imported batch into the well; returns (new samples, values added).

    Samples at times not stored yet are stored as :func:`store_batch` does. At times already
    stored, a channel value is added where the stored sample has none (the channel is absent
    from its chunk, or NaN there); a stored value is never changed, so merging the same batch
    again adds nothing. Only the chunks that gain values are rewritten. The well must exist
    (``NotFound`` otherwise); its writers are serialised for the rest of the transaction.
    Callers that must not lose values check ``pipelines.formats.imports.overlap_conflicts`` first.
    """
    times, columns = _checked(well_id, batch)
    if times.size == 0:
        return 0, 0
    lock_well(conn, well_id=well_id)
    stmt = select(chunks.c.id, chunks.c.channels, chunks.c.payload).where(
        chunks.c.well_id == well_id,
        chunks.c.t_start_ns <= int(times[-1]),
        chunks.c.t_end_ns >= int(times[0]),
    )
    stored_parts: list[np.ndarray] = []
    filled = added = 0
    for chunk_id, names, payload in conn.execute(stmt.order_by(chunks.c.id)).all():
        chunk_times, stored = decode_chunk(payload, names)
        common, at_chunk, at_batch = np.intersect1d(
            chunk_times, times, assume_unique=True, return_indices=True
        )
        if common.size == 0:
            continue
        stored_parts.append(common)
        gains: dict[str, np.ndarray] = {}
        for name, values in columns.items():
            new = values[at_batch]
            gain = ~np.isnan(new)
            if name in stored:
                gain &= np.isnan(stored[name][at_chunk])
            if gain.any():
                gains[name] = new
                added += int(gain.sum())
        if gains:  # the chunk as decoded, its missing values filled (stored values first)
            merged = _merge([(chunk_times, stored), (common, gains)], fill=True)
            _replace(conn, well_id, [int(chunk_id)], merged, CHUNK_SAMPLES)
            filled += 1

    new_times = times
    if stored_parts:
        fresh = ~np.isin(times, np.concatenate(stored_parts))
        new_times = times[fresh]
        columns = {name: values[fresh] for name, values in columns.items()}
    if new_times.size:
        conn.execute(insert(chunks), _chunk_rows(well_id, new_times, columns))
    log.debug(
        "well %s: merged %d samples: %d new, %d values added to %d stored chunks",
        well_id,
        times.size,
        new_times.size,
        added,
        filled,
    )
    return int(new_times.size), added


def _merge(
    parts: list[tuple[np.ndarray, dict[str, np.ndarray]]], *, fill: bool = False
) -> TelemetryBatch:
    """Concatenate parts (in write order), sort by time, keep the first of equal times.

    With ``fill``, equal times are combined channel by channel instead: each channel takes
    the first value that is not NaN in write order (NaN if there is none).
    """
    parts = [p for p in parts if p[0].size]
    if not parts:
        return _empty_batch()
    if len(parts) == 1 and not fill:
        return TelemetryBatch(parts[0][0], dict(parts[0][1]))
    names: dict[str, None] = {}
    for _, columns in parts:
        names.update(dict.fromkeys(columns))
    times = np.concatenate([t for t, _ in parts])
    merged = {name: np.full(times.size, np.nan) for name in names}
    offset = 0
    for part_times, columns in parts:
        end = offset + part_times.size
        for name, values in columns.items():
            merged[name][offset:end] = values
        offset = end
    unique_times, first = np.unique(times, return_index=True)
    if not fill:
        if unique_times.size != times.size:
            log.warning("%d duplicate time stamps dropped on read", times.size - unique_times.size)
        return TelemetryBatch(
            unique_times, {name: values[first] for name, values in merged.items()}
        )
    order = np.argsort(times, kind="stable")  # equal times keep their write order
    starts = np.flatnonzero(np.r_[True, np.diff(times[order]) != 0])
    filled = {}
    for name, values in merged.items():
        ordered = values[order]
        position = np.where(np.isnan(ordered), ordered.size, np.arange(ordered.size))
        pick = np.minimum.reduceat(position, starts)  # first non-NaN of each time stamp
        filled[name] = ordered[np.where(pick < ordered.size, pick, starts)]
    return TelemetryBatch(unique_times, filled)


def read_range(
    conn: Connection,
    *,
    well_id: str,
    start_ns: int | None = None,
    end_ns: int | None = None,
    channels: Iterable[str] | None = None,
) -> TelemetryBatch:
    """The well's samples with start_ns <= time <= end_ns (None = unbounded), sorted.

    Channels are the union over the chunks read, NaN where a chunk lacked one; ``channels``
    limits which are decoded (missing ones are omitted). An empty range gives a batch of
    zero samples and no channels.
    """
    if start_ns is not None and end_ns is not None and start_ns > end_ns:
        return _empty_batch()
    stmt = select(chunks.c.channels, chunks.c.payload).where(chunks.c.well_id == well_id)
    if start_ns is not None:
        stmt = stmt.where(chunks.c.t_end_ns >= start_ns)
    if end_ns is not None:
        stmt = stmt.where(chunks.c.t_start_ns <= end_ns)
    only = None if channels is None else list(channels)
    parts = []
    for names, payload in conn.execute(stmt.order_by(chunks.c.id)):
        times, columns = decode_chunk(payload, names, only=only)
        if start_ns is not None or end_ns is not None:
            lo = 0 if start_ns is None else int(np.searchsorted(times, start_ns, "left"))
            hi = times.size if end_ns is None else int(np.searchsorted(times, end_ns, "right"))
            if lo > 0 or hi < times.size:
                times = times[lo:hi]
                columns = {name: values[lo:hi] for name, values in columns.items()}
        parts.append((times, columns))
    return _merge(parts)


def time_range(conn: Connection, *, well_id: str) -> tuple[int, int] | None:
    """(first, last) stored time stamp of the well in UTC ns, or None if it has none."""
    stmt = select(func.min(chunks.c.t_start_ns), func.max(chunks.c.t_end_ns)).where(
        chunks.c.well_id == well_id
    )
    first, last = conn.execute(stmt).one()
    if first is None or last is None:
        return None
    return int(first), int(last)


def count_samples(conn: Connection, *, well_id: str) -> int:
    stmt = select(func.coalesce(func.sum(chunks.c.n_samples), 0)).where(chunks.c.well_id == well_id)
    return int(conn.execute(stmt).scalar_one())


def compact_chunks(
    conn: Connection,
    *,
    well_id: str,
    before_ns: int | None = None,
    max_samples: int = CHUNK_SAMPLES,
) -> int:
    """Merge runs of small chunks (in time order) into chunks of up to ``max_samples``.

    Only chunks ending before ``before_ns`` are touched (None = all), so the live tail can
    be left alone. The samples read back are unchanged (a channel a small chunk lacked may
    then read as all-NaN instead of absent). Returns how many chunks were removed.
    """
    if max_samples < 1:
        raise ValueError(f"well {well_id!r}: max_samples={max_samples} must be positive")
    lock_well(conn, well_id=well_id)
    stmt = select(chunks.c.id, chunks.c.n_samples).where(chunks.c.well_id == well_id)
    if before_ns is not None:
        stmt = stmt.where(chunks.c.t_end_ns < before_ns)
    plan = conn.execute(stmt.order_by(chunks.c.t_start_ns, chunks.c.id)).all()

    groups: list[list[int]] = []
    group: list[int] = []
    size = 0
    for chunk_id, n in plan:
        if group and size + n > max_samples:
            groups.append(group)
            group, size = [], 0
        group.append(int(chunk_id))
        size += int(n)
    groups.append(group)

    removed = 0
    for ids in groups:
        if len(ids) < 2:
            continue
        removed += _rewrite(conn, well_id, ids, max_samples)
    if removed:
        log.info("well %s: compacted telemetry, %d chunks fewer", well_id, removed)
    return removed


def _rewrite(conn: Connection, well_id: str, ids: Sequence[int], limit: int) -> int:
    stmt = select(chunks.c.channels, chunks.c.payload).where(chunks.c.id.in_(ids))
    parts = [
        decode_chunk(payload, names) for names, payload in conn.execute(stmt.order_by(chunks.c.id))
    ]
    return _replace(conn, well_id, ids, _merge(parts), limit)


def _replace(
    conn: Connection, well_id: str, ids: Sequence[int], merged: TelemetryBatch, limit: int
) -> int:
    """Replace the chunks ``ids`` by ``merged`` in chunks of ``limit``; how many chunks fewer."""
    conn.execute(delete(chunks).where(chunks.c.id.in_(ids)))
    rows = _chunk_rows(well_id, merged.times_ns, merged.channels, limit) if len(merged) else []
    if rows:
        conn.execute(insert(chunks), rows)
    return len(ids) - len(rows)
