"""``drillwatch field``: teach a model's field detector from real history.

Real wells come from the database (``--wells``: telemetry imported with ``drillwatch import``
and its recorded accidents, confirmed alerts included) or from a folder of files
(``--data``). Their own rows, accident signatures laid over their quiet hours and pit
transfers train one booster per accident type over the transferable signs; simulated wells
(``--sims``) add variety. Thresholds come from leave-wells-out replays of the real wells.
The result is a new version of ``--model`` (same classifier, analogues and thresholds) that
carries the field detector: registered (``--activate`` to serve it) or written to ``--out``.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from service.cli.common import (
    UsageError,
    labelled_wells,
    log,
    open_db,
    positive_float,
    positive_int,
)
from service.settings import get_settings

if TYPE_CHECKING:
    from service.cli.common import Commands


def add_field(commands: Commands) -> None:
    p = commands.add_parser(
        "field",
        help="train a model's field detector on real wells (imported or files) + simulated wells",
    )
    source = p.add_mutually_exclusive_group(required=True)
    source.add_argument("--wells", help="comma-separated ids of imported wells")
    source.add_argument("--data", help="directory of <well>.csv|.parquet (+ accidents.csv)")
    p.add_argument("--sims", help="directory of simulated wells (drillwatch simulate --out)")
    p.add_argument(
        "--model", help="the model to extend (default: the active one, else the bundled one)"
    )
    p.add_argument("--version", required=True, help="version id of the new model")
    p.add_argument("--out", help="write the model here only; default: register it")
    p.add_argument("--activate", action="store_true", help="make the registered model active")
    p.add_argument(
        "--budget",
        type=positive_float,
        default=0.3,
        help="out-of-fold false alarms per 24 h on the real wells, all field types together",
    )
    p.add_argument("--per-type", type=positive_int, default=40, help="signatures laid per well")
    p.add_argument("--rounds", type=positive_int, default=150, help="boosting rounds per type")
    p.add_argument("--folds", type=positive_int, default=3, help="leave-wells-out rounds")
    p.add_argument("--seed", type=int, default=0)
    p.set_defaults(func=cmd_field)


def cmd_field(args: argparse.Namespace) -> int:
    from models.artifact import ModelError, attach_field, load_model
    from models.field import FieldDetector
    from pipelines.formats.files import read_dataset
    from pipelines.training.field import FieldConfig, train_field
    from service import registry

    def fail(message: str) -> int:
        print(f"drillwatch field: {message}", file=sys.stderr)
        return 2

    settings = get_settings()
    try:
        wells, accidents, db = labelled_wells(args.wells, args.data)
    except UsageError as exc:
        return fail(str(exc))
    real = (wells, accidents)
    sims = None
    if args.sims:
        if not Path(args.sims).is_dir():
            return fail(f"--sims {args.sims} is not a directory of simulated wells")
        sims = read_dataset(Path(args.sims))
    try:
        if args.model:
            model = load_model(Path(args.model))
        else:
            db = db or open_db()
            model = registry.load_active(db, settings.registry_dir)
    except ModelError as exc:
        return fail(f"--model: {exc}")
    cfg = FieldConfig(
        per_type=args.per_type, rounds=args.rounds, budget_per_day=args.budget, seed=args.seed
    )
    boosters, thresholds, summary = train_field(
        real, sims, cfg, folds=args.folds, progress=log.info
    )
    summary["from_model"] = model.version
    out = Path(args.out) if args.out else settings.registry_dir / args.version
    attach_field(
        model, FieldDetector(boosters, thresholds), out, version=args.version, training=summary
    )
    if not args.out:
        registry.register(
            db or open_db(), load_model(out), settings.registry_dir, activate=args.activate
        )
    print(
        json.dumps({"version": args.version, "path": str(out), "thresholds": thresholds}, indent=2)
    )
    return 0
