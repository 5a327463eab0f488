"""Rig-side client: replays a simulated fleet or telemetry files to a drillwatch server.

``--source sim`` simulates a fleet whose first hour is history (sent at once, as a rig
would backfill its buffer) and then streams live: each sample is sent when its time has
come, ``--speed`` times faster than real time. ``--source PATH`` replays a file or a
directory of files (simulator output) keeping their time stamps.
"""

from __future__ import annotations

import logging
import socket
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import numpy as np
import orjson

from pipelines.formats.imports import FORMATS, read_any
from pipelines.telemetry import TelemetryBatch, chunks, ns_to_datetime

log = logging.getLogger(__name__)
NS = 1_000_000_000


@dataclass
class Feed:
    well_id: str
    batch: TelemetryBatch
    sent: int = 0  # samples sent so far


class Sender:
    def __init__(self, base_url: str, *, timeout: float = 30.0) -> None:
        self.base_url = base_url.rstrip("/")
        self.client = httpx.Client(timeout=timeout)

    def wait_ready(self, deadline_s: float = 180.0) -> None:
        until = time.monotonic() + deadline_s
        while True:
            try:
                if self.client.get(f"{self.base_url}/ready").status_code == 200:
                    return
            except httpx.TransportError:
                pass
            if time.monotonic() > until:
                raise ConnectionError(f"{self.base_url} was not ready within {deadline_s:.0f} s")
            time.sleep(1.0)

    def send(self, well_id: str, batch: TelemetryBatch) -> dict:
        body = orjson.dumps(batch.to_json_dict())
        for attempt in range(5):
            try:
                response = self.client.post(
                    f"{self.base_url}/api/v1/wells/{well_id}/telemetry",
                    content=body,
                    headers={"content-type": "application/json"},
                )
            except httpx.TransportError as exc:
                log.warning("send to %s failed (%s), retry %d", well_id, exc, attempt + 1)
                time.sleep(min(10.0, 2.0**attempt))
                continue
            if response.status_code >= 400:
                raise RuntimeError(
                    f"well {well_id}: server refused batch ({response.status_code}): "
                    f"{response.text[:300]}"
                )
            return response.json()
        raise ConnectionError(f"well {well_id}: could not send after 5 attempts")


class Wits0Sender:
    """Sends telemetry as WITS Level 0 frames over TCP, one connection per well (rig)."""

    def __init__(self, address: str) -> None:
        host, _, port = address.rpartition(":")
        if not host or not port.isdigit():
            raise ValueError(f"--wits0 {address!r} is not HOST:PORT")
        self.host, self.port = host, int(port)
        self.sockets: dict[str, socket.socket] = {}

    def wait_ready(self, deadline_s: float = 180.0) -> None:
        until = time.monotonic() + deadline_s
        while True:
            try:
                socket.create_connection((self.host, self.port), timeout=5).close()
                return
            except OSError:
                if time.monotonic() > until:
                    raise ConnectionError(
                        f"WITS0 listener {self.host}:{self.port} not reachable"
                    ) from None
                time.sleep(1.0)

    def send(self, well_id: str, batch: TelemetryBatch) -> dict:
        from pipelines.formats.wits0 import encode_frame

        sock = self.sockets.get(well_id)
        if sock is None:
            sock = self.sockets[well_id] = socket.create_connection((self.host, self.port))
        names = list(batch.channels)
        frames = [
            encode_frame(
                ns_to_datetime(int(t)),
                {name: float(batch.channels[name][i]) for name in names},
                well_id,
            )
            for i, t in enumerate(batch.times_ns)
        ]
        sock.sendall(b"".join(frames))
        return {"alerts": []}  # WITS0 is one-way: alerts are seen on the server

    def close(self) -> None:
        for sock in self.sockets.values():
            sock.close()


def send_due(sender: Sender | Wits0Sender, feed: Feed, until_ns: int, batch_seconds: float) -> int:
    """Send the feed's samples up to ``until_ns`` in batches; returns alerts raised."""
    end = int(np.searchsorted(feed.batch.times_ns, until_ns, side="right"))
    if end <= feed.sent:
        return 0
    part = feed.batch.select(slice(feed.sent, end))
    raised = 0
    for piece in chunks(part, batch_seconds):
        raised += len(sender.send(feed.well_id, piece)["alerts"])
    feed.sent = end
    return raised


def run(
    feeds: list[Feed],
    sender: Sender | Wits0Sender,
    *,
    speed: float,
    live_from_ns: int,
    tick_s: float = 1.0,
    backfill_batch_s: float = 600.0,
) -> None:
    """Backfill everything before ``live_from_ns``, then stream at ``speed`` x real time."""
    for feed in feeds:
        raised = send_due(sender, feed, live_from_ns, backfill_batch_s)
        log.info("%s: backfilled %d samples, %d alerts", feed.well_id, feed.sent, raised)
    wall0 = time.monotonic()
    while any(f.sent < len(f.batch) for f in feeds):
        data_now = live_from_ns + int((time.monotonic() - wall0) * speed * NS)
        for feed in feeds:
            raised = send_due(sender, feed, data_now, max(tick_s * speed, 1.0))
            if raised:
                log.info("%s: %d alert(s) raised", feed.well_id, raised)
        time.sleep(tick_s)
    log.info("all sources sent")


def sim_feeds(
    n_wells: int, *, hours: float, seed: int, backfill_h: float
) -> tuple[list[Feed], int]:
    from pipelines.simulate import demo_fleet

    now = datetime.now(UTC).replace(microsecond=0)
    start = now - timedelta(hours=backfill_h)
    wells = demo_fleet(n_wells, start=start, hours=hours + backfill_h, seed=seed, live_from=now)
    feeds = [Feed(w.profile.well_id, TelemetryBatch.from_frame(w.frame)) for w in wells]
    return feeds, int(now.timestamp()) * NS


def file_feeds(path: Path, well_id: str | None) -> list[Feed]:
    """A telemetry file (any format of ``pipelines.formats.imports``) or a directory of them."""
    if path.is_dir():
        files = sorted(p for p in path.iterdir() if p.suffix in FORMATS and p.stem != "accidents")
        return [Feed(p.stem, read_any(p)[0]) for p in files]
    return [Feed(well_id or path.stem, read_any(path)[0])]
