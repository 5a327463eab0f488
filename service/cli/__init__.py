"""The ``drillwatch`` command line."""

from __future__ import annotations

import argparse
import importlib
import json
import logging
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from service.settings import get_settings

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from pipelines.telemetry import TelemetryBatch

log = logging.getLogger("drillwatch")


def _positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text} is not a positive integer")
    return value


def _head_types(text: str) -> tuple[str, ...]:
    """``--heads``: all, none, or comma-separated accident types."""
    from models.channels import ACCIDENT_TYPES

    if text == "all":
        return tuple(ACCIDENT_TYPES)
    if text == "none":
        return ()
    names = tuple(t.strip() for t in text.split(","))
    if not all(names):
        raise argparse.ArgumentTypeError(f"{text!r}: an empty type name")
    return names


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


def cmd_train(args: argparse.Namespace) -> int:
    from pipelines.formats.files import read_dataset
    from pipelines.simulate import with_precursors
    from pipelines.training.train import TrainConfig, train_model
    from service.registry import register

    data = Path(args.data)
    if not data.is_dir():
        print(f"drillwatch train: --data {data} is not a directory of well files", file=sys.stderr)
        return 2
    wells, accidents = read_dataset(data)
    accidents = with_precursors(accidents, data)  # simulator output: label precursors too
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
    settings = get_settings()
    version = args.version or datetime.now(UTC).strftime("clf-%Y%m%dT%H%M%SZ")
    out = Path(args.out) if args.out else settings.registry_dir / version
    cfg = TrainConfig(
        n_estimators=args.trees,
        seed=args.seed,
        folds=args.folds,
        members=args.members,
        heads=args.heads,
        false_alarm_budget_per_day=args.budget,
    )
    model = train_model(
        wells,
        accidents,
        out,
        cfg=cfg,
        version=version,
        data_summary={"source": str(data), "wells": sorted(wells), "accidents": len(accidents)},
        detector=args.detector,
    )
    if not args.out:
        register(_engine(), model, settings.registry_dir, activate=args.activate)
    summary = {"version": model.version, "path": str(out), **model.meta["metrics"]}
    print(json.dumps(summary, indent=2))
    return 0


def cmd_calibrate(args: argparse.Namespace) -> int:
    import shutil

    from models.artifact import ModelError, load_model
    from pipelines.training.backtest import calibrate_on_validation, seeds_arg
    from pipelines.training.evaluate import format_table
    from service.registry import register

    def fail(message: str) -> int:
        print(f"drillwatch calibrate: {message}", file=sys.stderr)
        return 2

    source = Path(args.model)
    if not (source / "metadata.json").is_file():
        return fail(f"--model {source}: no metadata.json there (not a model directory)")
    try:
        seeds = seeds_arg(args.seeds)
    except ValueError as exc:
        return fail(f"--seeds {exc}")
    try:
        model = load_model(source)
        if args.detector:
            model = model.with_detector(args.detector)
    except ModelError as exc:
        return fail(f"--model {source}: {exc}")
    settings = get_settings()
    out = Path(args.out) if args.out else settings.registry_dir / args.version
    if out.exists() and out.resolve() != source.resolve():
        return fail(f"--out {out} exists; give a new directory (or the model's own, in place)")
    try:
        result = calibrate_on_validation(
            model,
            seeds=tuple(seeds),
            wells=args.wells,
            hours=args.hours,
            budget_per_day=args.budget,
            mistype_share=args.mistype_share,
        )
    except ValueError as exc:
        return fail(f"--seeds {args.seeds}: {exc}")
    if out.resolve() != source.resolve():
        shutil.copytree(source, out)
    meta_path = out / "metadata.json"
    meta = json.loads(meta_path.read_text())
    table = meta["thresholds"] if model.detector == "classifier" else meta["pairwise"]["thresholds"]
    previous = {"version": meta["version"], "thresholds": dict(table)}
    table.clear()
    table.update({t: round(v, 4) for t, v in result["thresholds"].items()})
    meta["version"] = args.version
    after = result["after"]
    # one record per detector, as the held-out metrics are kept
    suffix = "" if model.detector == "classifier" else f"_{model.detector}"
    meta[f"calibration{suffix}"] = {
        "detector": model.detector,
        "seeds": result["seeds"],
        "wells": result["wells"],
        "budget_per_day": result["budget_per_day"],
        "mistype_share": result["mistype_share"],
        "days_outside_windows": after["monitored_days_outside_windows"],
        "false_alarms": after["false_alarms"],
        "previous": previous,
        "command": (
            f"drillwatch calibrate --model {source} --detector {model.detector} "
            f"--seeds {args.seeds} --wells {args.wells} --hours {args.hours:g} "
            f"--budget {args.budget:g} --mistype-share {args.mistype_share:g} "
            f"--version {args.version}" + (f" --out {args.out}" if args.out else "")
        ),
    }
    # held-out figures measured with the old thresholds no longer describe this model
    metrics = meta.setdefault("metrics", {})
    metrics.pop(f"heldout{suffix}", None)
    # the validation figures (what the models page shows) are now those of the new thresholds;
    # training's out-of-fold ones, with the old thresholds, are kept with them
    previous["validation"] = metrics.get(f"validation{suffix}")
    metrics[f"validation{suffix}"] = {
        **after,
        "method": f"seeds {args.seeds} (plain and profile-shifted) replayed through the live "
        "path, thresholds calibrated on them (optimistic)",
    }
    meta_path.write_text(json.dumps(meta, indent=2, sort_keys=True) + "\n")
    print(format_table(result["before"], f"== validation wells, {previous['version']} thresholds"))
    print()
    print(format_table(after, f"== validation wells, {args.version} thresholds"))
    print(f"\nthresholds: {previous['thresholds']} -> {table}")
    if not args.out:
        register(_engine(), load_model(out), settings.registry_dir, activate=args.activate)
    print(f"wrote {args.version} to {out}")
    return 0


def cmd_models(args: argparse.Namespace) -> int:
    from models.artifact import ModelError
    from service.db import repo
    from service.registry import activate, load_active, rollback

    settings = get_settings()
    engine = _engine()
    load_active(engine, settings.registry_dir)  # registers the bundled model on first use
    try:
        if args.models_command == "activate":
            print(f"active model: {activate(engine, args.id).version}")
        elif args.models_command == "rollback":
            print(f"active model: {rollback(engine).version}")
    except (ModelError, repo.NotFound) as exc:
        print(f"drillwatch models {args.models_command}: {exc}", file=sys.stderr)
        return 2
    if args.models_command == "list":
        with engine.connect() as conn:
            versions = repo.list_model_versions(conn)
        print(f"  {'version':28} {'detector':11} {'created (UTC)':20} recall  FA/day  type acc")
        for v in versions:
            m = (v["metrics"] or {}).get("validation", {})
            print(
                f"{'*' if v['active'] else ' '} {v['id']:28} {v['detector']:11} "
                f"{v['created_at']:%Y-%m-%d %H:%M:%S}  {_fmt(m.get('recall')):>6}  "
                f"{_fmt(m.get('false_alarms_per_day')):>6}  {_fmt(m.get('type_accuracy')):>8}"
            )
    return 0


def _fmt(value: object) -> str:
    return f"{value:.2f}" if isinstance(value, float) else "-"


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


def _engine() -> Engine:
    from service.db.engine import make_engine, migrate

    settings = get_settings()
    settings.ensure_home()
    engine = make_engine(settings.sqlalchemy_url)
    migrate(engine)
    return engine


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
    from models.rigstate import RigState, rig_states
    from pipelines.formats.files import FileFormatError
    from pipelines.formats.imports import overlap_conflicts, parse_units, read_any
    from pipelines.telemetry import BatchError, validate_well_id
    from service.db import repo, telemetry_store

    try:
        batch, info = read_any(Path(args.path), units=parse_units(args.units))
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
    for key in ("collisions", "skipped", "unconverted"):
        if info.get(key):
            log.warning("%s: %s %s", args.path, key, info[key])
    engine = _engine()
    new = added = 0
    day_ns = 86_400 * 1_000_000_000
    days = max(1, int((batch.times_ns[-1] - batch.times_ns[0]) // day_ns) + 1)
    # One transaction, the well locked from the conflict check on: all or nothing.
    with engine.connect() as conn, conn.begin() as tx:
        repo.ensure_well(conn, well_id=well_id)
        repo.lock_well(conn, well_id=well_id)
        before = telemetry_store.read_range(
            conn,
            well_id=well_id,
            start_ns=int(batch.times_ns[0]),
            end_ns=int(batch.times_ns[-1]),
            channels=list(batch.channels),
        )
        conflicts = overlap_conflicts(before, batch)
        if conflicts:
            tx.rollback()
            _print_import_conflicts(args.path, well_id, batch, conflicts)
            return 2
        for i in range(days):
            lo = batch.times_ns[0] + i * day_ns
            part = batch.select((batch.times_ns >= lo) & (batch.times_ns < lo + day_ns))
            if len(part):
                n_new, n_added = telemetry_store.merge_batch(conn, well_id=well_id, batch=part)
                new, added = new + n_new, added + n_added
            log.info(
                "import %s: day %d/%d, %d new samples stored, %d values added",
                well_id,
                i + 1,
                days,
                new,
                added,
            )
        # the fleet view and the well page start from the newest sample (never moved back)
        state = RigState(int(rig_states(batch.times_ns, batch.channels)[-1])).label
        repo.touch_well(conn, well_id=well_id, last_sample_at=batch.end, rig_state=state)
    print(
        f"well {well_id}: {len(batch)} samples read from {args.path}, {new} new samples "
        f"stored, {added} values added to samples already stored; "
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
    from service.db import repo

    try:
        rows = read_accidents_file(Path(args.path))
    except FileFormatError as exc:
        print(f"drillwatch import accidents: {exc}", file=sys.stderr)
        return 2
    engine = _engine()
    with engine.begin() as conn:
        for well_id in sorted({r.accident.well_id for r in rows}):
            repo.ensure_well(conn, well_id=well_id)
        n = repo.insert_accidents(
            conn,
            rows=[
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


def cmd_backtest(args: argparse.Namespace) -> int:
    from models.artifact import ModelError, load_model
    from pipelines.formats.files import read_dataset
    from pipelines.telemetry import Accident, Alert
    from pipelines.training.backtest import backtest
    from pipelines.training.report import per_sample_auc, write_report
    from service.db import repo, telemetry_store
    from service.registry import load_active

    settings = get_settings()
    engine = _engine()
    wanted = args.wells.split(",") if args.wells else None
    wells: dict[str, TelemetryBatch] = {}
    accidents: list[Accident]
    if args.data:
        wells, accidents = read_dataset(Path(args.data))
        if wanted:
            missing = [w for w in wanted if w not in wells]
            if missing:
                print(f"drillwatch backtest: not in {args.data}: {missing}", file=sys.stderr)
                return 2
            wells = {w: wells[w] for w in wanted}
    else:
        if not wanted:
            print("drillwatch backtest: give --wells W1,W2 (or --data DIR)", file=sys.stderr)
            return 2
        with engine.connect() as conn:
            known = {w["id"] for w in repo.list_wells(conn)}
            missing = [w for w in wanted if w not in known]
            if missing:
                print(f"drillwatch backtest: unknown wells {missing}", file=sys.stderr)
                return 2
            for i, well_id in enumerate(wanted, start=1):
                wells[well_id] = telemetry_store.read_range(conn, well_id=well_id)
                log.info(
                    "loaded %s (%d/%d): %d samples", well_id, i, len(wanted), len(wells[well_id])
                )
            accidents = [
                Accident(a["well_id"], a["type"], a["start"], a["end"])
                for a in repo.list_accidents(conn)
                if a["well_id"] in wells
            ]
    try:
        model = (
            load_model(Path(args.model))
            if args.model
            else load_active(engine, settings.registry_dir, settings.model_path)
        )
        if args.detector:
            model = model.with_detector(args.detector)
    except ModelError as exc:
        print(f"drillwatch backtest: --model: {exc}", file=sys.stderr)
        return 2
    log.info("backtest with model %s (%s) over %d wells", model.version, model.detector, len(wells))
    result = backtest(
        model,
        wells,
        accidents,
        k=settings.alert_persistence_k,
        n=settings.alert_persistence_n,
        cooldown_s=settings.alert_cooldown_seconds,
    )
    accidents = [a for a in accidents if a.well_id in wells]
    metrics = {
        **result.metrics,
        "model_version": model.version,
        "wells": sorted(wells),
        "per_sample_auc": per_sample_auc(result.decisions, accidents, model.classes),
    }
    alerts = [Alert(a.well_id, a.time, a.type, a.probability) for a in result.alerts]
    out = Path(args.out)
    write_report(
        out, metrics=metrics, alerts=alerts, accidents=accidents, decisions=result.decisions
    )
    summary = {
        k: metrics[k]
        for k in ("recall", "type_accuracy", "false_alarms_per_day", "median_lead_min")
    }
    print(json.dumps({"out": str(out), **summary}, indent=2))
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    from pipelines.formats.las import write_las
    from pipelines.telemetry import BatchError, ns_to_iso, parse_time, validate_well_id
    from service.db import repo, telemetry_store

    try:
        well_id = validate_well_id(args.well)
        start = parse_time(args.start, "--start") if args.start else None
        end = parse_time(args.end, "--end") if args.end else None
    except BatchError as exc:
        print(f"drillwatch export: {exc}", file=sys.stderr)
        return 2
    out = Path(args.out)
    fmt = args.format or {".las": "las", ".parquet": "parquet"}.get(out.suffix.lower(), "csv")
    engine = _engine()
    with engine.connect() as conn:
        try:
            repo.get_well(conn, well_id=well_id)
        except repo.NotFound as exc:
            print(f"drillwatch export: {exc}", file=sys.stderr)
            return 2
        batch = telemetry_store.read_range(conn, well_id=well_id, start_ns=start, end_ns=end)
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


def cmd_db_upgrade(_: argparse.Namespace) -> int:
    engine = _engine()
    print(f"database {engine.url.render_as_string(hide_password=True)} is up to date")
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
    p.add_argument("--wits0-port", type=int, help="also listen for WITS Level 0 on this TCP port")
    p.set_defaults(func=cmd_serve)

    p = sub.add_parser(
        "simulate", help="write simulated wells with accidents to files", add_help=False
    )

    p = sub.add_parser("train", help="train a model on well files (simulator output)")
    p.add_argument("--data", required=True, help="directory of <well>.csv|.parquet + accidents.csv")
    p.add_argument("--wells", help="comma-separated well ids to use (default: all)")
    p.add_argument(
        "--out",
        help="write the model here only (e.g. models/bundled); default: register it in "
        "$DRILLWATCH_HOME/models and the database",
    )
    p.add_argument("--version", help="version id (default: clf-<UTC time>)")
    p.add_argument("--activate", action="store_true", help="make the registered model active")
    p.add_argument("--trees", type=_positive_int, default=300, help="boosting rounds")
    p.add_argument(
        "--detector",
        choices=["classifier", "analogue"],
        default="classifier",
        help="the detector the model decides with (both are trained): classifier = "
        "multiclass XGBoost over window features; analogue = the paper's pairwise similarity "
        "to past accident windows",
    )
    p.add_argument("--folds", type=_positive_int, default=4, help="grouped-by-well CV folds")
    p.add_argument(
        "--members",
        type=_positive_int,
        default=1,
        help="boosters trained with seeds seed, seed+1, ... and averaged into one model "
        "(default %(default)s); each costs one more fit per fold and adds its trees to the "
        "live one-row walk (3 members: about 1 ms per decision, bench/detect.py)",
    )
    p.add_argument(
        "--heads",
        type=_head_types,
        default="all",
        help="accident types to train a precursor head for (all, none or comma-separated; "
        "default %(default)s): a binary booster of the type's precursor 30-5 min before "
        "its start against normal drilling, kept only where it warns earlier out of fold; "
        "each costs one binary fit per fold",
    )
    p.add_argument(
        "--budget",
        type=_positive_float,
        default=0.1,
        help="false alarms per 24 h allowed on new wells (default %(default)s); thresholds "
        "are calibrated out of fold to 0.7 x this (TrainConfig.calibration_margin), since "
        "new wells raise more",
    )
    p.add_argument("--seed", type=int, default=0)
    p.set_defaults(func=cmd_train)

    p = sub.add_parser(
        "calibrate",
        help="re-calibrate a model's alert thresholds on simulated validation wells",
        description="Replay simulated validation wells (plain and profile-shifted, as "
        "`drillwatch evaluate` draws them; never the held-out seeds 2-5) through the live path "
        "and set the model's alert thresholds to the false-alarm budget: the budget is spent "
        "where it catches accidents, or warns of them in time (5 min before the start, or "
        "before the crew reacted). Writes a new model version (the same trees, new thresholds).",
    )
    p.add_argument("--model", required=True, help="model directory (e.g. models/bundled)")
    p.add_argument("--seeds", required=True, help="validation seeds: 7,8,9 or 7-16")
    p.add_argument("--version", required=True, help="version id of the re-calibrated model")
    p.add_argument(
        "--out",
        help="write it here (a new directory, or the model's own to rewrite it in place); "
        "default: register it in $DRILLWATCH_HOME/models and the database",
    )
    p.add_argument("--activate", action="store_true", help="make the registered model active")
    p.add_argument("--wells", type=_positive_int, default=8, help="wells per set (two a seed)")
    p.add_argument("--hours", type=_positive_float, default=24.0, help="hours per well")
    p.add_argument(
        "--budget",
        type=_positive_float,
        default=0.1,
        help="false alarms per 24 h allowed on the validation wells (default %(default)s)",
    )
    p.add_argument(
        "--mistype-share",
        type=_positive_float,
        default=0.3,
        help="a threshold is admissible while its alerts inside other types' accident windows "
        "stay under this share of those inside its own (default %(default)s)",
    )
    p.add_argument(
        "--detector",
        choices=["classifier", "analogue"],
        help="the detector to calibrate (default: the model's own choice)",
    )
    p.set_defaults(func=cmd_calibrate)

    p = sub.add_parser("stream", help="send a simulated fleet or files to a server, as a rig")
    p.add_argument("--source", required=True, help="'sim' or a telemetry file / directory")
    p.add_argument("--to", default="http://127.0.0.1:8000", help="server base URL")
    p.add_argument("--wits0", metavar="HOST:PORT", help="send WITS Level 0 frames over TCP instead")
    p.add_argument("--speed", type=_positive_float, default=1.0, help="x real time")
    p.add_argument("--wells", type=_positive_int, default=3, help="simulated wells (sim)")
    p.add_argument("--hours", type=_positive_float, default=12.0, help="hours to stream (sim)")
    p.add_argument("--backfill-hours", type=float, default=1.0, help="history sent first (sim)")
    p.add_argument("--seed", type=int, default=7, help="simulation seed (sim)")
    p.add_argument("--well", help="well id for a single file (default: file name)")
    p.set_defaults(func=cmd_stream)

    p = sub.add_parser("models", help="model registry: list, activate, roll back")
    msub = p.add_subparsers(dest="models_command", required=True, metavar="ACTION")
    msub.add_parser("list", help="versions with validation metrics (* = active)").set_defaults(
        func=cmd_models
    )
    q = msub.add_parser("activate", help="make a version active (a running service swaps to it)")
    q.add_argument("id")
    q.set_defaults(func=cmd_models)
    msub.add_parser(
        "rollback", help="activate the newest version registered before the active one"
    ).set_defaults(func=cmd_models)

    p = sub.add_parser("import", help="import history: telemetry files or labelled accidents")
    isub = p.add_subparsers(dest="import_command", required=True, metavar="WHAT")
    q = isub.add_parser(
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
        help="well id to store it under (default: the well named in a WITSML/LAS/WITS0 file)",
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
    q.set_defaults(func=cmd_import_telemetry)
    q = isub.add_parser("accidents", help="a CSV file: well,type,start,end[,depth,notes]")
    q.add_argument("path")
    q.set_defaults(func=cmd_import_accidents)

    p = sub.add_parser(
        "backtest",
        help="replay stored telemetry through the live path; alerts.csv, metrics.json, pictures",
    )
    p.add_argument("--wells", help="comma-separated stored well ids")
    p.add_argument("--data", help="instead of stored wells: a directory of well files")
    p.add_argument("--out", required=True, help="output directory")
    p.add_argument("--model", help="a model directory instead of the active model")
    p.add_argument(
        "--detector",
        choices=("classifier", "analogue"),
        help="decide with this detector of the model (default: the model's own choice)",
    )
    p.set_defaults(func=cmd_backtest)

    p = sub.add_parser(
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

    p = sub.add_parser(
        "wits0", help="WITS Level 0 TCP listener: frames from rigs are ingested into a server"
    )
    p.add_argument("--port", type=int, required=True, help="TCP port to listen on")
    p.add_argument("--host", default="127.0.0.1", help="bind address")
    p.add_argument("--to", default="http://127.0.0.1:8000", help="drillwatch server URL")
    p.add_argument("--well", help="well id for connections whose frames carry no item 0101")
    p.set_defaults(func=cmd_wits0)

    p = sub.add_parser(
        "features", help="offline feature screening: `features select --data DIR --out FILE`"
    )
    fsub = p.add_subparsers(dest="features_command", required=True, metavar="ACTION")
    q = fsub.add_parser(
        "select", help="tsfresh relevance tests on labelled windows", add_help=False
    )

    p = sub.add_parser(
        "evaluate",
        help="held-out simulated wells (new seeds, shifted profiles) through the live path",
        add_help=False,
    )

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
    for noisy in ("httpx", "alembic", "service.db.engine"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    argv = sys.argv[1:] if argv is None else argv
    # Commands with their own parsers get the rest of the line untouched (--help included).
    for prefix, module in DELEGATED.items():
        if argv[: len(prefix)] == list(prefix):
            return int(importlib.import_module(module).main(argv[len(prefix) :]))
    args = build_parser().parse_args(argv)
    return int(args.func(args))


DELEGATED = {
    ("simulate",): "pipelines.simulate",
    ("evaluate",): "pipelines.training.backtest",
    ("features", "select"): "pipelines.training.feature_select",
}


if __name__ == "__main__":
    sys.exit(main())
