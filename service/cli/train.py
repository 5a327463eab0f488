"""``drillwatch train`` and ``drillwatch calibrate``: new model versions from well files,
and new alert thresholds for a model from simulated validation wells."""

from __future__ import annotations

import argparse
import json
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from service.cli.common import open_db, positive_float, positive_int
from service.settings import get_settings

if TYPE_CHECKING:
    from pipelines.telemetry import Accident, TelemetryBatch
    from service.cli.common import Commands


def head_types(text: str) -> tuple[str, ...]:
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


def add_train(commands: Commands) -> None:
    p = commands.add_parser("train", help="train a model on well files (simulator output)")
    p.add_argument(
        "--data",
        help="directory of <well>.csv|.parquet + accidents.csv (simulator output or your own "
        "files); without it, --wells names imported wells",
    )
    p.add_argument(
        "--wells",
        help="comma-separated well ids: with --data the files to use (default: all); without "
        "--data, imported wells with their recorded accidents (confirmed alerts included)",
    )
    p.add_argument(
        "--out",
        help="write the model here only (e.g. models/bundled); default: register it in "
        "$DRILLWATCH_HOME/models and the database",
    )
    p.add_argument("--version", help="version id (default: clf-<UTC time>)")
    p.add_argument("--activate", action="store_true", help="make the registered model active")
    p.add_argument("--trees", type=positive_int, default=300, help="boosting rounds")
    p.add_argument(
        "--detector",
        choices=["classifier", "analogue"],
        default="classifier",
        help="the detector the model decides with (both are trained): classifier = "
        "multiclass XGBoost over window features; analogue = the paper's pairwise similarity "
        "to past accident windows",
    )
    p.add_argument("--folds", type=positive_int, default=4, help="grouped-by-well CV folds")
    p.add_argument(
        "--members",
        type=positive_int,
        default=1,
        help="boosters trained with seeds seed, seed+1, ... and averaged into one model "
        "(default %(default)s); each costs one more fit per fold and adds its trees to the "
        "live one-row walk (3 members: about 1 ms per decision, bench/detect.py)",
    )
    p.add_argument(
        "--heads",
        type=head_types,
        default="all",
        help="accident types to train a precursor head for (all, none or comma-separated; "
        "default %(default)s): a binary booster of the type's precursor 30-5 min before "
        "its start against normal drilling, kept only where it warns earlier out of fold; "
        "each costs one binary fit per fold",
    )
    p.add_argument(
        "--budget",
        type=positive_float,
        default=0.1,
        help="false alarms per 24 h allowed on new wells (default %(default)s); thresholds "
        "are calibrated out of fold to 0.7 x this (TrainConfig.calibration_margin), since "
        "new wells raise more",
    )
    p.add_argument("--seed", type=int, default=0)
    p.set_defaults(func=cmd_train)


def cmd_train(args: argparse.Namespace) -> int:
    from pipelines.formats.files import read_dataset
    from pipelines.simulate import with_precursors

    if args.data is None:
        from service.cli.common import UsageError, labelled_wells

        if not args.wells:
            print("drillwatch train: give --data DIR or imported --wells W1,W2", file=sys.stderr)
            return 2
        try:
            wells, accidents, _ = labelled_wells(args.wells, None)
        except UsageError as exc:
            print(f"drillwatch train: {exc}", file=sys.stderr)
            return 2
        return _train(args, wells, accidents, source=f"imported wells {args.wells}")
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
    return _train(args, wells, accidents, source=str(data))


def _train(
    args: argparse.Namespace,
    wells: dict[str, TelemetryBatch],
    accidents: list[Accident],
    *,
    source: str,
) -> int:
    from pipelines.training.train import TrainConfig, train_model
    from service.registry import register

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
        data_summary={"source": source, "wells": sorted(wells), "accidents": len(accidents)},
        detector=args.detector,
    )
    if not args.out:
        register(open_db(), model, settings.registry_dir, activate=args.activate)
    summary = {"version": model.version, "path": str(out), **model.metadata.metrics}
    print(json.dumps(summary, indent=2))
    return 0


def add_calibrate(commands: Commands) -> None:
    p = commands.add_parser(
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
    p.add_argument("--wells", type=positive_int, default=8, help="wells per set (two a seed)")
    p.add_argument("--hours", type=positive_float, default=24.0, help="hours per well")
    p.add_argument(
        "--budget",
        type=positive_float,
        default=0.1,
        help="false alarms per 24 h allowed on the validation wells (default %(default)s)",
    )
    p.add_argument(
        "--mistype-share",
        type=positive_float,
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


def cmd_calibrate(args: argparse.Namespace) -> int:
    import shutil

    from models.artifact import META_FILE, ModelError, load_model
    from models.metadata import ModelMetadata
    from pipelines.training.backtest import calibrate_on_validation, seeds_arg
    from pipelines.training.evaluate import format_table
    from service.registry import register

    def fail(message: str) -> int:
        print(f"drillwatch calibrate: {message}", file=sys.stderr)
        return 2

    source = Path(args.model)
    if not (source / META_FILE).is_file():
        return fail(f"--model {source}: no {META_FILE} there (not a model directory)")
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
    after = result["after"]
    metadata = ModelMetadata.load(out)
    # one record per detector, as the held-out metrics are kept
    calibration = metadata.record_calibration(
        version=args.version,
        detector=model.metadata.detector,
        thresholds=result["thresholds"],
        # the validation figures (what the models page shows) are now those of the new
        # thresholds; training's out-of-fold ones, with the old thresholds, are kept with them
        validation={
            **after,
            "method": f"seeds {args.seeds} (plain and profile-shifted) replayed through the "
            "live path, thresholds calibrated on them (optimistic)",
        },
        seeds=result["seeds"],
        wells=result["wells"],
        budget_per_day=result["budget_per_day"],
        mistype_share=result["mistype_share"],
        days_outside_windows=after["monitored_days_outside_windows"],
        false_alarms=after["false_alarms"],
        command=(
            f"drillwatch calibrate --model {source} --detector {model.detector} "
            f"--seeds {args.seeds} --wells {args.wells} --hours {args.hours:g} "
            f"--budget {args.budget:g} --mistype-share {args.mistype_share:g} "
            f"--version {args.version}" + (f" --out {args.out}" if args.out else "")
        ),
    )
    metadata.save(out)
    previous = calibration.previous
    print(format_table(result["before"], f"== validation wells, {previous.version} thresholds"))
    print()
    print(format_table(after, f"== validation wells, {args.version} thresholds"))
    print(f"\nthresholds: {previous.thresholds} -> {metadata.thresholds_of(model.detector)}")
    if not args.out:
        register(open_db(), load_model(out), settings.registry_dir, activate=args.activate)
    print(f"wrote {args.version} to {out}")
    return 0
