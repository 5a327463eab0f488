"""``drillwatch export``: a well's stored telemetry to CSV, Parquet or LAS."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from service.cli.common import open_db

if TYPE_CHECKING:
    from service.cli.common import Commands


def add_export(commands: Commands) -> None:
    p = commands.add_parser(
        "export",
        help="write a well's stored telemetry to CSV, Parquet or LAS",
        description="Write a well's stored telemetry, in canonical names and internal units. "
        "LAS 2.0: TIME in Unix seconds (UTC, ms), NULL -999.25, values exact; channel names "
        "(any case, with dots) come back unchanged on `drillwatch import telemetry`.",
    )
    p.add_argument("--well", required=True, help="a stored well id")
    p.add_argument("--out", required=True, help="output file")
    p.add_argument(
        "--format",
        choices=["csv", "parquet", "las"],
        help="default: by suffix (.las, .parquet, anything else csv)",
    )
    p.add_argument("--start", help="ISO-8601 with offset")
    p.add_argument("--end", help="ISO-8601 with offset")
    p.set_defaults(func=cmd_export)


def cmd_export(args: argparse.Namespace) -> int:
    from pipelines.formats.las import write_las
    from pipelines.telemetry import BatchError, ns_to_iso, parse_time, validate_well_id
    from service.db.repo import NotFound
    from service.history import read_well

    try:
        well_id = validate_well_id(args.well)
        start = parse_time(args.start, "--start") if args.start else None
        end = parse_time(args.end, "--end") if args.end else None
    except BatchError as exc:
        print(f"drillwatch export: {exc}", file=sys.stderr)
        return 2
    out = Path(args.out)
    fmt = args.format or {".las": "las", ".parquet": "parquet"}.get(out.suffix.lower(), "csv")
    try:
        batch = read_well(open_db(), well_id, start_ns=start, end_ns=end)
    except NotFound as exc:
        print(f"drillwatch export: {exc}", file=sys.stderr)
        return 2
    if len(batch) == 0:
        print(f"drillwatch export: well {well_id} has no telemetry in that range", file=sys.stderr)
        return 2
    out.parent.mkdir(parents=True, exist_ok=True)
    if fmt == "las":
        write_las(batch, out, well_id=well_id)
    elif fmt == "parquet":
        batch.to_frame().reset_index().to_parquet(out, index=False)
    else:
        frame = batch.to_frame()
        frame.index = [ns_to_iso(int(t)) for t in batch.times_ns]
        frame.index.name = "time"
        frame.to_csv(out, float_format="%.10g")
    print(f"well {well_id}: {len(batch)} samples written to {out} ({fmt})")
    return 0
