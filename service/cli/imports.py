"""``drillwatch import telemetry|accidents``: history from files into the store."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from service.cli.common import log, open_db

if TYPE_CHECKING:
    from pipelines.telemetry import TelemetryBatch
    from service.cli.common import Commands


def add_import(commands: Commands) -> None:
    p = commands.add_parser("import", help="import history: telemetry files or labelled accidents")
    what = p.add_subparsers(dest="import_command", required=True, metavar="WHAT")
    q = what.add_parser(
        "telemetry",
        help="a telemetry file: CSV/Parquet (`time` column with offsets, one column per "
        "channel, missing values empty), WITSML 1.4.1.1 log (.xml), LAS 2.0 (.las) or a "
        "recorded WITS Level 0 stream (.wits). All or nothing: a malformed file is refused "
        "naming the line or curve (exit 2) and nothing is stored",
        description="Import a time-indexed telemetry file into the store. Curve names are "
        "mapped to WITS mnemonics (aliases) and units converted to internal units; see "
        "docs/formats.md. Depth-indexed logs are refused.",
    )
    q.add_argument(
        "path",
        help="a .csv, .parquet, .xml (WITSML 1.4.1.1 log), .las (LAS 2.0) or .wits (WITS0) file",
    )
    q.add_argument(
        "--well",
        help="well id to store it under (default: the well named in a WITSML/LAS/WITS0 file, "
        "the file's name for CSV/Parquet)",
    )
    q.add_argument(
        "--units",
        help="units by the file's own curve/column names, e.g. HKLA=klbf,SPPA=psi: for "
        "CSV/Parquet the column units (default: internal units); for WITSML/LAS they replace "
        "the declared units, e.g. TOTGAS=%% to import a gas curve declared in Euc as GASA; "
        "for WITS0 the units the rig sent, by channel",
    )
    q.add_argument(
        "--channels",
        metavar="A,B",
        help="import only these channels, by their names after mapping (e.g. TVA for a "
        "WITSML/LAS curve PIT_DRILL); a name the file lacks is refused, listing the channels "
        "it has. Several logs of one well merge: values are added to samples already stored "
        "at the same times, and a log with other values of a stored channel is refused, "
        "naming the channels to leave out",
    )
    q.add_argument(
        "--timezone",
        metavar="ZONE",
        help="zone of CSV/Parquet time stamps written without one: an IANA name (Europe/Oslo), "
        "UTC, or an offset (+01:00); time stamps with an offset keep it",
    )
    order = q.add_mutually_exclusive_group()
    order.add_argument(
        "--dayfirst",
        dest="dayfirst",
        action="store_const",
        const=True,
        default=None,
        help="CSV/Parquet dates such as 03/07/2009 are day first (3 July)",
    )
    order.add_argument(
        "--monthfirst",
        dest="dayfirst",
        action="store_const",
        const=False,
        help="CSV/Parquet dates such as 03/07/2009 are month first (7 March)",
    )
    q.add_argument(
        "--time-column",
        metavar="NAME",
        help="the CSV/Parquet column holding the time stamps, when its name does not say",
    )
    q.add_argument(
        "--columns",
        metavar="COLUMN=CHANNEL,...",
        help="choose the mapping of CSV/Parquet columns, e.g. 'Averaged WOB kkgf=WOBA' "
        "(a WITS mnemonic, or another channel name to keep a column under)",
    )
    q.set_defaults(func=cmd_import_telemetry)
    q = what.add_parser("accidents", help="a CSV file: well,type,start,end[,depth,notes]")
    q.add_argument("path")
    q.set_defaults(func=cmd_import_accidents)


def _select_channels(
    batch: TelemetryBatch, text: str, *, path: str, curves: dict[str, Any] | None
) -> TelemetryBatch:
    """Only the channels named in ``--channels A,B`` (names after mapping, e.g. TVA)."""
    from pipelines.telemetry import BatchError, TelemetryBatch

    wanted = list(dict.fromkeys(filter(None, (p.strip() for p in text.split(",")))))
    if not wanted:
        raise BatchError("--channels", f"{text!r} names no channel (e.g. --channels TVA)")
    unknown = [name for name in wanted if name not in batch.channels]
    if unknown:
        hints = [
            f"{curve} is imported as {info['channel']}"
            for curve, info in (curves or {}).items()
            for name in unknown
            if curve.lower() == name.lower() and info.get("channel") not in (None, curve)
        ]
        hint = f" ({'; '.join(hints)})" if hints else ""
        raise BatchError(
            "--channels",
            f"{', '.join(map(repr, unknown))} {'is' if len(unknown) == 1 else 'are'} not "
            f"{'a channel' if len(unknown) == 1 else 'channels'} of {path}{hint}; it has "
            f"{', '.join(sorted(batch.channels))}",
        )
    return TelemetryBatch(batch.times_ns, {name: batch.channels[name] for name in wanted})


def cmd_import_telemetry(args: argparse.Namespace) -> int:
    from pipelines.formats.files import FileFormatError
    from pipelines.formats.imports import mapping_lines, parse_columns, parse_units, read_any
    from pipelines.telemetry import BatchError, validate_well_id
    from service.imports import ImportConflict, import_telemetry

    try:
        path = Path(args.path)
        tabular = path.suffix.lower() in (".csv", ".parquet")
        options = (
            {
                "timezone": args.timezone,
                "dayfirst": args.dayfirst,
                "time_column": args.time_column,
                "columns": parse_columns(args.columns),
            }
            if tabular
            else {}
        )
        batch, info = read_any(path, units=parse_units(args.units), **options)
        if tabular and not info.get("well_id"):
            info["well_id"] = path.stem
        if not (args.well or info.get("well_id")):
            raise BatchError("--well", f"the {info['format']} file names no well: give --well ID")
        well_id = validate_well_id(args.well or info.get("well_id") or "")
        if args.channels is not None:
            batch = _select_channels(
                batch, args.channels, path=args.path, curves=info.get("curves")
            )
    except (BatchError, FileFormatError) as exc:
        print(f"drillwatch import telemetry: {exc}", file=sys.stderr)
        return 2
    if info.get("format") in ("csv", "parquet"):
        print(f"{args.path}: columns mapped as follows")
        for line in mapping_lines(info):
            print(f"  {line}")
    for key in ("collisions", "skipped", "unconverted"):
        if info.get(key):
            log.warning("%s: %s %s", args.path, key, info[key])

    def progress(day: int, days: int, new: int, added: int) -> None:
        log.info(
            "import %s: day %d/%d, %d new samples stored, %d values added",
            well_id,
            day,
            days,
            new,
            added,
        )

    try:
        stored = import_telemetry(open_db(), well_id=well_id, batch=batch, on_day=progress)
    except ImportConflict as exc:
        _print_import_conflicts(args.path, well_id, batch, exc.conflicts)
        return 2
    print(
        f"well {well_id}: {len(batch)} samples read from {args.path}, {stored.new} new samples "
        f"stored, {stored.added} values added to samples already stored; "
        f"channels {', '.join(sorted(batch.channels))}"
    )
    return 0


def _print_import_conflicts(
    path: str, well_id: str, batch: TelemetryBatch, conflicts: dict[str, int]
) -> None:
    names = ", ".join(f"{name} ({n})" for name, n in sorted(conflicts.items()))
    others = sorted(set(batch.channels) - set(conflicts))
    how = (
        f"import without them with --channels {','.join(others)}, or import the file "
        "under another --well"
        if others
        else "import it under another --well"
    )
    print(
        f"drillwatch import telemetry: {path}: well {well_id} already has samples at these "
        f"times with other values of channels {names}; stored values are never overwritten, "
        f"so nothing was stored: {how}",
        file=sys.stderr,
    )


def cmd_import_accidents(args: argparse.Namespace) -> int:
    from pipelines.formats.files import FileFormatError, read_accidents_file
    from service.imports import import_accidents

    try:
        rows = read_accidents_file(Path(args.path))
    except FileFormatError as exc:
        print(f"drillwatch import accidents: {exc}", file=sys.stderr)
        return 2
    n = import_accidents(
        open_db(),
        [
            {
                "well_id": r.accident.well_id,
                "type": r.accident.type,
                "start": r.accident.start,
                "end": r.accident.end,
                "depth_m": r.depth_m,
                "notes": r.notes,
                "source": "import",
            }
            for r in rows
        ],
    )
    print(f"{n} accidents imported from {args.path}")
    return 0
