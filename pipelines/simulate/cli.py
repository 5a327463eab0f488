"""``drillwatch simulate`` (also ``python -m pipelines.simulate``): a fleet to files."""

from __future__ import annotations

import argparse
import logging
import math
import sys
import tempfile
from datetime import datetime
from pathlib import Path
from typing import Any

from pipelines.simulate.core import HOUR, SimAccident
from pipelines.simulate.files import manifest_entry, write_accidents, write_manifest, write_well
from pipelines.simulate.fleet import iter_fleet
from pipelines.telemetry import validate_well_id

logger = logging.getLogger(__name__)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="drillwatch simulate",
        description=(
            "Simulate 1 Hz surface mud-logging telemetry for a fleet of wells, with drilling "
            "accidents (stuck pipe, pack-off, lost circulation, kick, washout, twist-off, bit "
            "balling) and their precursors. Writes one file per well plus accidents.csv. "
            "Deterministic: the same arguments give the same files."
        ),
        epilog="Example: drillwatch simulate --wells 12 --hours 24 --seed 7 --out var/sim",
    )
    parser.add_argument("--wells", type=int, required=True, help="number of wells (>= 1)")
    parser.add_argument("--hours", type=float, required=True, help="hours per well (> 0)")
    parser.add_argument("--seed", type=int, default=0, help="random seed (>= 0, default 0)")
    parser.add_argument("--out", type=Path, required=True, help="output directory (created)")
    parser.add_argument(
        "--format",
        choices=("csv", "parquet"),
        default="csv",
        help="file format per well (default csv)",
    )
    parser.add_argument(
        "--start",
        default=None,
        help="first sample time, ISO-8601 with offset (default 2026-01-01T00:00Z + seed h)",
    )
    parser.add_argument(
        "--prefix", default="SIM", help="well id prefix: <prefix>-<seed>-<nn> (default SIM)"
    )
    parser.add_argument(
        "--manifest",
        action="store_true",
        help="also write manifest.json (profiles, precursor starts, severities)",
    )
    return parser


def _fail(message: str) -> int:
    sys.stderr.write(f"drillwatch simulate: error: {message}\n")
    return 2


def _writable_dir(path: Path) -> str | None:
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        return f"--out {path}: cannot create directory ({exc.strerror or exc})"
    if not path.is_dir():
        return f"--out {path}: not a directory"
    try:
        with tempfile.TemporaryFile(dir=path):
            pass
    except OSError as exc:
        return f"--out {path}: not writable ({exc.strerror or exc})"
    return None


def main(argv: list[str] | None = None) -> int:
    """``drillwatch simulate --wells N --hours H --seed S --out DIR [--format csv|parquet]``."""
    parser = _parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse printed the usage and the reason
        return int(exc.code) if isinstance(exc.code, int) else 2
    if args.wells < 1:
        return _fail(f"--wells {args.wells}: need at least 1 well")
    if not math.isfinite(args.hours) or args.hours <= 0:
        return _fail(f"--hours {args.hours}: must be a positive number of hours")
    if round(args.hours * HOUR) < 1:
        return _fail(f"--hours {args.hours}: less than one second of data")
    if args.seed < 0:
        return _fail(f"--seed {args.seed}: must be >= 0")
    start = None
    if args.start is not None:
        try:
            start = datetime.fromisoformat(args.start)
        except ValueError:
            return _fail(f"--start {args.start!r}: not an ISO-8601 time")
        if start.tzinfo is None:
            return _fail(f"--start {args.start!r}: needs a UTC offset (add Z or +hh:mm)")
    try:
        validate_well_id(f"{args.prefix}-{args.seed}-00")
    except ValueError as exc:
        return _fail(f"--prefix {args.prefix!r}: {exc}")
    problem = _writable_dir(args.out)
    if problem:
        return _fail(problem)
    if not logging.getLogger().handlers:
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    out: Path = args.out
    accidents: list[SimAccident] = []
    entries: list[dict[str, Any]] = []
    try:
        for well in iter_fleet(
            args.wells, hours=args.hours, seed=args.seed, start=start, prefix=args.prefix
        ):
            path = write_well(well, out, args.format)
            logger.info("wrote %s", path)
            accidents.extend(well.accidents)
            if args.manifest:
                entries.append(manifest_entry(well))
        path = write_accidents(accidents, out)
        if args.manifest:
            write_manifest(entries, out)
    except OSError as exc:
        return _fail(f"--out {out}: {exc}")
    logger.info("wrote %s (%d accidents)", path, len(accidents))
    return 0
