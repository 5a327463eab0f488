"""``drillwatch backtest`` (stored or file telemetry through the live path, with a report)
and ``drillwatch evaluate`` (held-out simulated wells; ``pipelines.training.backtest``
parses its own options: ``main`` hands it the rest of the command line)."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from service.cli.common import log, open_db
from service.settings import get_settings

if TYPE_CHECKING:
    from pipelines.telemetry import Accident, TelemetryBatch
    from service.cli.common import Commands

# ``evaluate`` parses its own options (``main`` below): real wells here, simulated held-out
# sets in ``pipelines.training.backtest``.
DELEGATED: dict[tuple[str, ...], str] = {("evaluate",): "service.cli.evaluate"}


def add_backtest(commands: Commands) -> None:
    p = commands.add_parser(
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


def add_evaluate(commands: Commands) -> None:
    # listed in `drillwatch --help`; parsed by pipelines.training.backtest (see DELEGATED)
    commands.add_parser(
        "evaluate",
        help="labelled real wells (--data DIR or imported --wells W1,W2), or held-out "
        "simulated wells (new seeds, shifted profiles), through the live path",
        add_help=False,
    )


def _real_wells_asked(argv: list[str]) -> bool:
    """Whether ``evaluate`` is asked for real wells: ``--data``, or ``--wells`` naming wells
    rather than counting simulated ones."""
    for i, arg in enumerate(argv):
        if arg == "--data" or arg.startswith("--data="):
            return True
        value = arg.split("=", 1)[1] if arg.startswith("--wells=") else None
        if arg == "--wells" and i + 1 < len(argv):
            value = argv[i + 1]
        if value is not None and not value.strip().isdigit():
            return True
    return False


def main(argv: list[str]) -> int:
    """``drillwatch evaluate``: real wells if asked for, else the simulated held-out sets."""
    if not _real_wells_asked(argv):
        from pipelines.training.backtest import main as simulated

        return simulated(argv)
    parser = argparse.ArgumentParser(
        prog="drillwatch evaluate",
        description="Score labelled real wells per event (docs/domain.md §5) through the live "
        "path: the model, the rule baseline and the pit-volume totalizer alarm (1 m3 in 10 "
        "min), per accident type. Wells without accidents count as false-alarm background. "
        "Without --data or --wells W1,W2 it evaluates held-out simulated wells instead "
        "(--seeds, --wells N, --hours; see docs/detection.md).",
    )
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--data", help="directory of <well>.csv|.parquet + accidents.csv")
    source.add_argument("--wells", help="comma-separated ids of imported wells")
    parser.add_argument("--model", help="a model directory instead of the active model")
    parser.add_argument("--json", help="also write the metrics here")
    parser.add_argument("--out", help="also write the model's backtest report here")
    args = parser.parse_args(argv)
    return _evaluate_real(args)


def _evaluate_real(args: argparse.Namespace) -> int:
    from models.artifact import ModelError, load_model
    from pipelines.telemetry import Alert
    from pipelines.training.backtest import real_metrics
    from pipelines.training.evaluate import format_table
    from pipelines.training.report import write_report
    from service.cli.common import UsageError, labelled_wells
    from service.registry import load_active

    def fail(message: str) -> int:
        print(f"drillwatch evaluate: {message}", file=sys.stderr)
        return 2

    settings = get_settings()
    try:
        wells, accidents, engine = labelled_wells(args.wells, args.data)
    except UsageError as exc:
        return fail(str(exc))
    label = args.data or args.wells
    if not wells:
        return fail("no wells to evaluate")
    try:
        model = (
            load_model(Path(args.model))
            if args.model
            else load_active(engine or open_db(), settings.registry_dir, settings.model_path)
        )
    except ModelError as exc:
        return fail(f"--model: {exc}")
    metrics, result = real_metrics(
        model,
        wells,
        accidents,
        k=settings.alert_persistence_k,
        n=settings.alert_persistence_n,
        cooldown_s=settings.alert_cooldown_seconds,
    )
    hours = sum((b.end - b.start).total_seconds() for b in wells.values() if len(b)) / 3600
    print(f"{len(wells)} real wells ({label}), {hours:.1f} h, {len(accidents)} accidents\n")
    for name, m in metrics.items():
        print(format_table(m, f"== {name}") + "\n")
    if args.json:
        Path(args.json).write_text(json.dumps(metrics, indent=2, sort_keys=True) + "\n")
    if args.out:
        alerts = [Alert(a.well_id, a.time, a.type, a.probability) for a in result.alerts]
        write_report(
            Path(args.out),
            metrics={**metrics[model.version], "model_version": model.version},
            alerts=alerts,
            accidents=[a for a in accidents if a.well_id in wells],
            decisions=result.decisions,
        )
    return 0


def cmd_backtest(args: argparse.Namespace) -> int:
    from models.artifact import ModelError, load_model
    from pipelines.formats.files import read_dataset
    from pipelines.telemetry import Alert
    from pipelines.training.backtest import backtest
    from pipelines.training.report import per_sample_auc, write_report
    from service.history import read_wells, unknown_wells
    from service.registry import load_active

    settings = get_settings()
    engine = open_db()
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
        missing = unknown_wells(engine, wanted)
        if missing:
            print(f"drillwatch backtest: unknown wells {missing}", file=sys.stderr)
            return 2

        def loaded(well_id: str, i: int, batch: TelemetryBatch) -> None:
            log.info("loaded %s (%d/%d): %d samples", well_id, i, len(wanted), len(batch))

        wells, accidents = read_wells(engine, wanted, on_read=loaded)
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
