"""A simulated well streamed as WITS Level 0 through `drillwatch wits0` is stored and alerted
on exactly like the same well sent over REST."""

import os
import socket
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import httpx
import numpy as np
import pytest
from factories import wait_until

from pipelines.live.stream_client import Sender, Wits0Sender
from pipelines.simulate import random_profile, simulate_well
from pipelines.telemetry import TelemetryBatch, chunks

ROOT = Path(__file__).resolve().parents[3]  # the repository: `python -m service.cli` runs there


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def stored(base: str, well: str) -> dict:
    r = httpx.get(f"{base}/api/v1/wells/{well}/telemetry", params={"max_points": 100_000})
    return r.json() if r.status_code == 200 else {"time": [], "channels": {}}


@pytest.mark.slow  # two hours of a simulated well sent twice to a live server
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

        def all_arrived() -> bool:
            assert gateway.poll() is None, "the WITS0 gateway died"
            return len(stored(live_server, "EQ-WITS")["time"]) >= len(batch)

        # `stream` returns once its frames are on the socket; the gateway posts them over
        # REST afterwards, at its own pace: nothing to wait on but the stored telemetry.
        wait_until(all_arrived, timeout_s=120, what="WITS0 samples did not all arrive")
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

    # REST answers after storing a batch's alerts, so these are all of them; without one the
    # comparison below would prove nothing.
    via_rest_alerts = alerts("EQ-REST")
    assert via_rest_alerts, "the simulated kick raised no alert: the comparison would be empty"
    # The gateway's last batch stores its alerts just after its samples.
    wait_until(
        lambda: alerts("EQ-WITS") == via_rest_alerts,
        timeout_s=20,
        what=lambda: f"WITS0 alerts {alerts('EQ-WITS')} are not the REST ones {via_rest_alerts}",
    )
