"""Ingest throughput through the HTTP endpoint: 100 wells x 1 Hz telemetry in batches.

Starts `drillwatch serve` on a free port with a fresh DRILLWATCH_HOME (SQLite unless
DATABASE_URL is set), then sends every well's batches concurrently and prints samples/s
stored (each batch is stored, fed to the live path and answered before the next is sent).

    .venv/bin/python bench/ingest.py [--wells 100] [--batch-seconds 10] [--minutes 10]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime

import httpx
import numpy as np
import orjson

CHANNELS = (
    "DBTM",
    "DMEA",
    "HKLA",
    "WOBA",
    "TQA",
    "RPMA",
    "SPPA",
    "MFIA",
    "MFOA",
    "TVA",
    "GASA",
    "ROPA",
)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def make_bodies(well: int, n_batches: int, batch_s: int, t0: int) -> list[bytes]:
    rng = np.random.default_rng(well)
    n = n_batches * batch_s
    levels = {c: 100.0 + 50 * i for i, c in enumerate(CHANNELS)}
    walk = {c: levels[c] + np.cumsum(rng.normal(0, 0.5, n)) for c in CHANNELS}
    walk["DMEA"] = 2000.0 + np.arange(n) * 0.005
    walk["DBTM"] = walk["DMEA"] - 0.1
    bodies = []
    for b in range(n_batches):
        sl = slice(b * batch_s, (b + 1) * batch_s)
        times = [
            datetime.fromtimestamp(t0 + i, tz=UTC).isoformat() for i in range(sl.start, sl.stop)
        ]
        bodies.append(
            orjson.dumps(
                {"time": times, "channels": {c: walk[c][sl].round(3).tolist() for c in CHANNELS}}
            )
        )
    return bodies


async def send_well(
    client: httpx.AsyncClient, url: str, bodies: list[bytes], lat: list[float]
) -> int:
    stored = 0
    for body in bodies:
        t = time.perf_counter()
        r = await client.post(url, content=body, headers={"content-type": "application/json"})
        lat.append(time.perf_counter() - t)
        r.raise_for_status()
        stored += r.json()["stored"]
    return stored


async def main_async(args: argparse.Namespace, base: str) -> None:
    n_batches = args.minutes * 60 // args.batch_seconds
    t0 = int(time.time()) - args.minutes * 60
    bodies = [make_bodies(w, n_batches, args.batch_seconds, t0) for w in range(args.wells)]
    lat: list[float] = []
    limits = httpx.Limits(max_connections=args.wells)
    async with httpx.AsyncClient(timeout=120, limits=limits) as client:
        # warm-up well creation
        start = time.perf_counter()
        stored = await asyncio.gather(
            *(
                send_well(client, f"{base}/api/v1/wells/BENCH-{w:03d}/telemetry", bodies[w], lat)
                for w in range(args.wells)
            )
        )
        elapsed = time.perf_counter() - start
    total = sum(stored)
    lat_ms = np.array(lat) * 1000
    print(
        f"wells: {args.wells}, batches of {args.batch_seconds} samples x {len(CHANNELS)} channels"
    )
    print(f"stored samples: {total} in {elapsed:.1f} s")
    rate = total / elapsed
    print(f"throughput: {rate:,.0f} samples/s stored ({rate * len(CHANNELS):,.0f} values/s)")
    print(f"real-time capacity at 1 Hz: {rate:,.0f} wells")
    p50, p95, p99 = np.percentile(lat_ms, [50, 95, 99])
    print(f"batch latency ms: p50 {p50:.1f}, p95 {p95:.1f}, p99 {p99:.1f}")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--wells", type=int, default=100)
    parser.add_argument("--batch-seconds", type=int, default=10)
    parser.add_argument("--minutes", type=int, default=10)
    args = parser.parse_args()
    port = free_port()
    with tempfile.TemporaryDirectory() as home:
        env = dict(
            os.environ,
            DRILLWATCH_HOME=home,
            DRILLWATCH_PORT=str(port),
            DRILLWATCH_LOG_LEVEL="WARNING",
        )
        server = subprocess.Popen([sys.executable, "-m", "service.cli", "serve"], env=env)
        base = f"http://127.0.0.1:{port}"
        try:
            for _ in range(120):
                try:
                    if httpx.get(f"{base}/ready").status_code == 200:
                        break
                except httpx.TransportError:
                    time.sleep(0.5)
            print(f"database: {os.environ.get('DATABASE_URL', 'SQLite in ' + home)}")
            asyncio.run(main_async(args, base))
        finally:
            server.terminate()
            server.wait(timeout=30)


if __name__ == "__main__":
    main()
