"""``drillwatch stream`` (a simulated fleet or files sent to a server, as a rig would) and
``drillwatch wits0`` (a WITS Level 0 TCP listener forwarding rigs' frames to a server)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from service.cli.common import log, positive_float, positive_int

if TYPE_CHECKING:
    from pipelines.telemetry import TelemetryBatch
    from service.cli.common import Commands


def add_stream(commands: Commands) -> None:
    p = commands.add_parser("stream", help="send a simulated fleet or files to a server, as a rig")
    p.add_argument("--source", required=True, help="'sim' or a telemetry file / directory")
    p.add_argument("--to", default="http://127.0.0.1:8000", help="server base URL")
    p.add_argument("--wits0", metavar="HOST:PORT", help="send WITS Level 0 frames over TCP instead")
    p.add_argument("--speed", type=positive_float, default=1.0, help="x real time")
    p.add_argument("--wells", type=positive_int, default=3, help="simulated wells (sim)")
    p.add_argument("--hours", type=positive_float, default=12.0, help="hours to stream (sim)")
    p.add_argument("--backfill-hours", type=float, default=1.0, help="history sent first (sim)")
    p.add_argument("--seed", type=int, default=7, help="simulation seed (sim)")
    p.add_argument("--well", help="well id for a single file (default: file name)")
    p.set_defaults(func=cmd_stream)


def cmd_stream(args: argparse.Namespace) -> int:
    from pipelines.live.stream_client import Sender, Wits0Sender, file_feeds, run, sim_feeds

    try:
        sender: Sender | Wits0Sender = Wits0Sender(args.wits0) if args.wits0 else Sender(args.to)
    except ValueError as exc:
        print(f"drillwatch stream: {exc}", file=sys.stderr)
        return 2
    if args.source == "sim":
        feeds, live_from = sim_feeds(
            args.wells, hours=args.hours, seed=args.seed, backfill_h=args.backfill_hours
        )
    else:
        path = Path(args.source)
        if not path.exists():
            print(f"drillwatch stream: --source {path} does not exist", file=sys.stderr)
            return 2
        feeds = file_feeds(path, args.well)
        live_from = min(int(f.batch.times_ns[0]) for f in feeds if len(f.batch))
    try:
        sender.wait_ready()
        run(feeds, sender, speed=args.speed, live_from_ns=live_from)
    except (ConnectionError, RuntimeError) as exc:
        print(f"drillwatch stream: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    return 0


def add_wits0(commands: Commands) -> None:
    p = commands.add_parser(
        "wits0", help="WITS Level 0 TCP listener: frames from rigs are ingested into a server"
    )
    p.add_argument("--port", type=int, required=True, help="TCP port to listen on")
    p.add_argument("--host", default="127.0.0.1", help="bind address")
    p.add_argument("--to", default="http://127.0.0.1:8000", help="drillwatch server URL")
    p.add_argument("--well", help="well id for connections whose frames carry no item 0101")
    p.set_defaults(func=cmd_wits0)


def cmd_wits0(args: argparse.Namespace) -> int:
    import asyncio

    from pipelines.formats.wits0 import serve_wits0
    from pipelines.live.stream_client import Sender

    sender = Sender(args.to)

    async def forward(well_id: str, batch: TelemetryBatch) -> None:
        result = await asyncio.to_thread(sender.send, well_id, batch)
        log.info("WITS0 %s: %d samples, %d stored", well_id, len(batch), result["stored"])

    async def main_async() -> None:
        await asyncio.to_thread(sender.wait_ready)
        server = await serve_wits0(
            args.host, args.port, forward, well_for_peer=lambda *_: args.well
        )
        log.info("WITS0 listener on %s:%d forwarding to %s", args.host, server.port, args.to)
        async with server:
            await server.serve_forever()

    try:
        asyncio.run(main_async())
    except KeyboardInterrupt:
        return 130
    except (ConnectionError, OSError) as exc:
        print(f"drillwatch wits0: {exc}", file=sys.stderr)
        return 1
    return 0
