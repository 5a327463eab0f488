"""A simulated well streamed as WITS Level 0 through `drillwatch wits0` is stored and alerted
on exactly like the same well sent over REST."""

import os
import socket
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import httpx
import numpy as np
import pytest

from pipelines.live.stream_client import Sender, Wits0Sender
from pipelines.simulate import random_profile, simulate_well
from pipelines.telemetry import TelemetryBatch, chunks

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def stored(base: str, well: str) -> dict:
    r = httpx.get(f"{base}/api/v1/wells/{well}/telemetry", params={"max_points": 100_000})
    return r.json() if r.status_code == 200 else {"time": [], "channels": {}}


def test_wits0_and_rest_give_the_same_stored_telemetry_and_alerts(
    live_server: str, tmp_path: Path
) -> None:
    profile = random_profile("EQ", np.random.default_rng(1))
    well = simulate_well(
        profile,
        start=datetime(2026, 3, 1, tzinfo=UTC),
        hours=2.0,
        seed=1,
        accidents=[("kick", 80 * 60)],
    )
    batch = TelemetryBatch.from_frame(well.frame.drop(columns=["ACTC"], errors="ignore"))
    rest = Sender(live_server)
    for part in chunks(batch, 60):
        rest.send("EQ-REST", part)

    port = free_port()
    gateway = subprocess.Popen(
        [sys.executable, "-m", "service.cli", "wits0", "--port", str(port), "--to", live_server],
        cwd=ROOT,
        env=dict(os.environ),
    )
    try:
        Wits0Sender(f"127.0.0.1:{port}").wait_ready(60)
        # The rig side as a user runs it: `drillwatch stream --wits0` replaying the well.
        source = tmp_path / "EQ.parquet"
        batch.to_frame().reset_index().to_parquet(source, index=False)
        streamed = subprocess.run(
            [
                *(sys.executable, "-m", "service.cli", "stream", "--source", str(source)),
                *("--well", "EQ-WITS", "--wits0", f"127.0.0.1:{port}", "--speed", "100000"),
            ],
            cwd=ROOT,
            env=dict(os.environ),
            timeout=120,
            check=False,
        )
        assert streamed.returncode == 0, "drillwatch stream --wits0 failed"
        deadline = time.monotonic() + 120
        while len(stored(live_server, "EQ-WITS")["time"]) < len(batch):
            assert time.monotonic() < deadline, "WITS0 samples did not all arrive"
            assert gateway.poll() is None, "the WITS0 gateway died"
            time.sleep(0.5)
    finally:
        gateway.terminate()
        gateway.wait(timeout=15)

    via_rest, via_wits = stored(live_server, "EQ-REST"), stored(live_server, "EQ-WITS")
    assert len(via_rest["time"]) == len(batch)  # nothing thinned: every sample compared
    assert via_wits["time"] == via_rest["time"]
    assert sorted(via_wits["channels"]) == sorted(via_rest["channels"])
    for name, values in via_rest["channels"].items():
        np.testing.assert_array_equal(
            np.array(via_wits["channels"][name], dtype=float), np.array(values, dtype=float)
        )

    def alerts(well_id: str) -> list[tuple[str, str]]:
        rows = httpx.get(f"{live_server}/api/v1/alerts", params={"well_id": well_id}).json()
        return sorted((a["time"], a["type"]) for a in rows)

    # The last batch's alerts are stored just after its samples: give it a moment.
    deadline = time.monotonic() + 20
    while alerts("EQ-WITS") != alerts("EQ-REST") and time.monotonic() < deadline:
        time.sleep(0.5)
    assert alerts("EQ-WITS") == alerts("EQ-REST")
    if not alerts("EQ-REST"):
        pytest.fail("the simulated kick raised no alert: the comparison would be empty")
