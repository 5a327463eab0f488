"""Benchmark of the telemetry store: write and read throughput, compressed size.

    .venv/bin/python bench/telemetry_store.py                      # SQLite in a temp dir
    .venv/bin/python bench/telemetry_store.py --database-url postgresql+psycopg://...

Data: ``--wells`` wells × ``--hours`` of 1 Hz samples × ``--channels`` channels of noisy
random walks, rounded to two decimals as decimal telemetry arrives (``--full-precision``
keeps every float bit). Scenarios:

* bulk: one hour per ``store_batch`` call, one transaction per well (file import);
* resend: the same data again (every sample a duplicate: the de-duplication cost);
* live: ``--live-batch`` samples per call and transaction (streaming ingest);
* read: ``read_range`` of each well's whole history.

PostgreSQL runs go into a scratch database created and dropped by the benchmark.
"""

from __future__ import annotations

import argparse
import secrets
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np
from sqlalchemy import Engine, create_engine, func, make_url, select, text
from sqlalchemy.pool import NullPool

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from pipelines.telemetry import NS_PER_S, TelemetryBatch  # noqa: E402
from service.db import repo  # noqa: E402
from service.db.engine import make_engine, migrate  # noqa: E402
from service.db.tables import telemetry_chunks  # noqa: E402
from service.db.telemetry_store import read_range, store_batch  # noqa: E402

CHANNELS = ["DBTM", "DMEA", "BPOS", "ROPA", "HKLA", "WOBA", "TQA", "RPMA", "SPPA", "MFIA",
            "MFOA", "TVA", "GASA", "CHKP", "ACTC", "MFOP"]  # fmt: skip
# level, random-walk step, sensor noise (internal units)
PROFILE = [(2500, 0.02, 0.005), (2500, 0.02, 0.0), (15, 0.2, 0.01), (20, 0.5, 0.3),
           (1200, 2.0, 1.5), (80, 0.8, 0.6), (12, 0.1, 0.08), (120, 0.5, 0.5),
           (18000, 20.0, 15.0), (2400, 5.0, 3.0), (2380, 5.0, 4.0), (60, 0.01, 0.005),
           (0.5, 0.01, 0.01), (300, 1.0, 0.5), (1, 0.0, 0.0), (40, 0.5, 0.5)]  # fmt: skip
T0 = 1_709_272_800 * NS_PER_S  # 2024-03-01T06:00:00Z


def make_well_data(seed: int, n: int, n_channels: int, full_precision: bool) -> TelemetryBatch:
    rng = np.random.default_rng(seed)
    jitter = rng.integers(-20, 21, n) * 1_000_000  # ±20 ms jitter, millisecond time stamps
    times = T0 + np.arange(n, dtype=np.int64) * NS_PER_S + jitter
    channels = {}
    for i in range(n_channels):
        level, step, noise = PROFILE[i % len(PROFILE)]
        values = level + np.cumsum(rng.normal(0, step, n)) + rng.normal(0, noise, n)
        if not full_precision:
            values = np.round(values, 2)
        values[rng.random(n) < 0.01] = np.nan  # 1% dropouts
        channels[CHANNELS[i % len(CHANNELS)] + ("" if i < len(CHANNELS) else str(i))] = values
    return TelemetryBatch(times.astype(np.int64), channels)


@contextmanager
def scratch_postgres(url: str) -> Iterator[str]:
    admin = create_engine(url, poolclass=NullPool, isolation_level="AUTOCOMMIT")
    name = f"drillwatch_bench_{secrets.token_hex(4)}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def timed(label: str, samples: int, fn: object) -> float:
    start = time.perf_counter()
    fn()  # type: ignore[operator]
    elapsed = time.perf_counter() - start
    print(f"  {label:<34} {samples:>10,} samples {elapsed:8.2f} s {samples / elapsed:>12,.0f} /s")
    return elapsed


def run(engine: Engine, args: argparse.Namespace) -> None:
    migrate(engine)
    n = int(args.hours * 3600)
    wells = [f"W-{i:03d}" for i in range(args.wells)]
    t = time.perf_counter()
    data = {
        w: make_well_data(i, n, args.channels, args.full_precision) for i, w in enumerate(wells)
    }
    print(f"  generated data in {time.perf_counter() - t:.1f} s")
    total = args.wells * n
    with engine.begin() as conn:
        for w in wells:
            repo.ensure_well(conn, well_id=w)

    def bulk() -> None:
        for w in wells:
            batch = data[w]
            for lo in range(0, n, 3600):
                with engine.begin() as conn:
                    stored = store_batch(conn, well_id=w, batch=batch.select(slice(lo, lo + 3600)))
                assert stored == min(3600, n - lo)

    def resend() -> None:
        for w in wells:
            with engine.begin() as conn:
                assert store_batch(conn, well_id=w, batch=data[w]) == 0

    timed("bulk store (1 h per call)", total, bulk)
    timed("re-send, all duplicates", total, resend)

    with engine.connect() as conn:
        chunks, payload_bytes = conn.execute(
            select(func.count(), func.sum(func.length(telemetry_chunks.c.payload)))
        ).one()
    values = total * args.channels
    print(
        f"  compressed: {payload_bytes / total:.2f} bytes/sample, {payload_bytes / values:.3f} "
        f"bytes/value ({args.channels} channels; raw float64 + int64 time = "
        f"{8 * (args.channels + 1)} bytes/sample), {chunks} chunks"
    )

    def read_all() -> None:
        for w in wells:
            with engine.connect() as conn:
                assert len(read_range(conn, well_id=w)) == n

    timed("read back (whole well per call)", total, read_all)

    live_wells = wells[: max(1, args.wells // 10)]
    live_n = min(n, 600)
    step = args.live_batch

    def live() -> None:
        for lo in range(0, live_n, step):
            for w in live_wells:
                batch = data[w]
                shifted = TelemetryBatch(
                    batch.times_ns[lo : lo + step] + n * NS_PER_S,
                    {c: v[lo : lo + step] for c, v in batch.channels.items()},
                )
                with engine.begin() as conn:
                    store_batch(conn, well_id=w, batch=shifted)
                    repo.touch_well(
                        conn, well_id=w, last_sample_at=shifted.end, rig_state="drilling"
                    )

    timed(
        f"live ({step} samples per call, {len(live_wells)} wells)",
        live_n * len(live_wells),
        live,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--database-url", help="PostgreSQL server URL (a scratch DB is used)")
    parser.add_argument("--wells", type=int, default=100)
    parser.add_argument("--hours", type=float, default=1.0)
    parser.add_argument("--channels", type=int, default=12)
    parser.add_argument("--live-batch", type=int, default=10)
    parser.add_argument("--full-precision", action="store_true")
    args = parser.parse_args()

    kind = "full-precision" if args.full_precision else "2-decimal"
    print(
        f"telemetry store: {args.wells} wells x {args.hours:g} h at 1 Hz x {args.channels} "
        f"channels, {kind} noisy random walks, 1% gaps"
    )
    with tempfile.TemporaryDirectory() as tmp:
        print("SQLite (WAL, synchronous=NORMAL):")
        engine = make_engine(f"sqlite:///{Path(tmp) / 'bench.db'}")
        try:
            run(engine, args)
        finally:
            engine.dispose()
        size = sum(p.stat().st_size for p in Path(tmp).glob("bench.db*"))
        print(f"  database files: {size / 1e6:.1f} MB")
    if args.database_url:
        with scratch_postgres(args.database_url) as url:
            print(f"PostgreSQL ({make_url(url).render_as_string(hide_password=True)}):")
            engine = make_engine(url)
            try:
                run(engine, args)
            finally:
                engine.dispose()


if __name__ == "__main__":
    main()
