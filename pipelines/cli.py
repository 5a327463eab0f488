"""The ``drillwatch`` command line."""

from __future__ import annotations

import argparse
import json
import logging
import sys
from pathlib import Path

from service.settings import get_settings

log = logging.getLogger("drillwatch")


def _positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text} is not a positive integer")
    return value


def _positive_float(text: str) -> float:
    value = float(text)
    if not value > 0:
        raise argparse.ArgumentTypeError(f"{text} is not a positive number")
    return value


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
    uvicorn.run(
        create_app(settings),
        host=settings.host,
        port=settings.port,
        log_level=settings.log_level.lower(),
        access_log=args.access_log,
    )
    return 0


def cmd_simulate(args: argparse.Namespace) -> int:
    from pipelines import simulate

    return simulate.main(args.rest)


def cmd_train(args: argparse.Namespace) -> int:
    from models.artifact import BUNDLED_DIR
    from pipelines.files import read_dataset
    from pipelines.train import TrainConfig, train_model

    data = Path(args.data)
    if not data.is_dir():
        print(f"drillwatch train: --data {data} is not a directory of well files", file=sys.stderr)
        return 2
    wells, accidents = read_dataset(data)
    if args.wells:
        wanted = args.wells.split(",")
        missing = [w for w in wanted if w not in wells]
        if missing:
            print(f"drillwatch train: wells not in {data}: {', '.join(missing)}", file=sys.stderr)
            return 2
        wells = {w: wells[w] for w in wanted}
    if not wells:
        print(f"drillwatch train: no well files in {data}", file=sys.stderr)
        return 2
    out = Path(args.out) if args.out else BUNDLED_DIR
    cfg = TrainConfig(n_estimators=args.trees, seed=args.seed)
    model = train_model(
        wells,
        accidents,
        out,
        cfg=cfg,
        version=args.version,
        data_summary={"source": str(data), "wells": sorted(wells), "accidents": len(accidents)},
    )
    print(
        json.dumps({"version": model.version, "path": str(out), **model.meta["metrics"]}, indent=2)
    )
    return 0


def cmd_stream(args: argparse.Namespace) -> int:
    from pipelines.stream_client import Sender, file_feeds, run, sim_feeds

    sender = Sender(args.to)
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


def cmd_db_upgrade(_: argparse.Namespace) -> int:
    from service.db.engine import make_engine, migrate

    settings = get_settings()
    settings.ensure_home()
    migrate(make_engine(settings.sqlalchemy_url))
    print(f"database at {settings.sqlalchemy_url.split('@')[-1]} is up to date")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="drillwatch",
        description="Real-time drilling accident detection. Settings come from DRILLWATCH_* "
        "environment variables and DATABASE_URL.",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("serve", help="run the API, dashboard and live detection")
    p.add_argument("--host", help="bind address (default DRILLWATCH_HOST or 127.0.0.1)")
    p.add_argument("--port", type=int, help="port (default DRILLWATCH_PORT or 8000)")
    p.add_argument(
        "--demo-wells", type=int, help="also start a simulated fleet of N wells streaming in"
    )
    p.add_argument("--access-log", action="store_true", help="log every HTTP request")
    p.set_defaults(func=cmd_serve)

    p = sub.add_parser(
        "simulate", help="write simulated wells with accidents to files", add_help=False
    )
    p.add_argument("rest", nargs=argparse.REMAINDER)
    p.set_defaults(func=cmd_simulate)

    p = sub.add_parser("train", help="train a model on well files (simulator output)")
    p.add_argument("--data", required=True, help="directory of <well>.csv|.parquet + accidents.csv")
    p.add_argument("--wells", help="comma-separated well ids to use (default: all)")
    p.add_argument("--out", help="model directory (default: the bundled model, models/bundled)")
    p.add_argument("--version", help="version id (default: clf-<UTC time>)")
    p.add_argument("--trees", type=_positive_int, default=300, help="boosting rounds")
    p.add_argument("--seed", type=int, default=0)
    p.set_defaults(func=cmd_train)

    p = sub.add_parser("stream", help="send a simulated fleet or files to a server, as a rig")
    p.add_argument("--source", required=True, help="'sim' or a telemetry file / directory")
    p.add_argument("--to", default="http://127.0.0.1:8000", help="server base URL")
    p.add_argument("--speed", type=_positive_float, default=1.0, help="x real time")
    p.add_argument("--wells", type=_positive_int, default=3, help="simulated wells (sim)")
    p.add_argument("--hours", type=_positive_float, default=12.0, help="hours to stream (sim)")
    p.add_argument("--backfill-hours", type=float, default=1.0, help="history sent first (sim)")
    p.add_argument("--seed", type=int, default=7, help="simulation seed (sim)")
    p.add_argument("--well", help="well id for a single file (default: file name)")
    p.set_defaults(func=cmd_stream)

    p = sub.add_parser("db", help="database maintenance")
    dbsub = p.add_subparsers(dest="db_command", required=True, metavar="ACTION")
    dbsub.add_parser("upgrade", help="apply migrations").set_defaults(func=cmd_db_upgrade)
    return parser


def main(argv: list[str] | None = None) -> int:
    settings = get_settings()
    logging.basicConfig(
        level=settings.log_level.upper(),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    logging.getLogger("httpx").setLevel(logging.WARNING)
    args = build_parser().parse_args(argv)
    return int(args.func(args))


if __name__ == "__main__":
    sys.exit(main())
