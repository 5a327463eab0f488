"""``drillwatch serve``: the API, dashboard and live detection in one process."""

from __future__ import annotations

import argparse
import subprocess
import sys
from typing import TYPE_CHECKING

from service.settings import get_settings

if TYPE_CHECKING:
    from service.cli.common import Commands


def add_serve(commands: Commands) -> None:
    p = commands.add_parser("serve", help="run the API, dashboard and live detection")
    p.add_argument("--host", help="bind address (default DRILLWATCH_HOST or 127.0.0.1)")
    p.add_argument("--port", type=int, help="port (default DRILLWATCH_PORT or 8000)")
    p.add_argument(
        "--demo-wells", type=int, help="also start a simulated fleet of N wells streaming in"
    )
    p.add_argument("--access-log", action="store_true", help="log every HTTP request")
    p.add_argument("--wits0-port", type=int, help="also listen for WITS Level 0 on this TCP port")
    p.set_defaults(func=cmd_serve)


def cmd_serve(args: argparse.Namespace) -> int:
    import uvicorn

    from service.app import create_app

    settings = get_settings()
    overrides = {
        "host": args.host or settings.host,
        "port": args.port or settings.port,
        "demo_wells": settings.demo_wells if args.demo_wells is None else args.demo_wells,
    }
    settings = settings.model_copy(update=overrides)
    settings.ensure_home()
    gateway = None
    if args.wits0_port:
        url = f"http://{settings.host}:{settings.port}"
        gateway = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "service.cli",
                "wits0",
                "--port",
                str(args.wits0_port),
                "--to",
                url,
            ]
        )
    try:
        uvicorn.run(
            create_app(settings),
            host=settings.host,
            port=settings.port,
            log_level=settings.log_level.lower(),
            access_log=args.access_log,
        )
    finally:
        if gateway is not None:
            gateway.terminate()
            gateway.wait(timeout=10)
    return 0
