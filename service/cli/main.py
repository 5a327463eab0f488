"""The ``drillwatch`` parser: one module of this package per command group adds its
commands, in the order ``drillwatch --help`` lists them."""

from __future__ import annotations

import argparse
import importlib
import logging
import sys

from service.cli import (
    db,
    evaluate,
    export,
    features,
    field,
    imports,
    models,
    serve,
    simulate,
    stream,
    train,
)
from service.settings import get_settings

# Commands with their own parsers get the rest of the line untouched (--help included).
DELEGATED: dict[tuple[str, ...], str] = {
    **simulate.DELEGATED,
    **evaluate.DELEGATED,
    **features.DELEGATED,
}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="drillwatch",
        description="Real-time drilling accident detection. Settings come from DRILLWATCH_* "
        "environment variables and DATABASE_URL.",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    serve.add_serve(commands)
    simulate.add_simulate(commands)
    train.add_train(commands)
    train.add_calibrate(commands)
    field.add_field(commands)
    stream.add_stream(commands)
    models.add_models(commands)
    imports.add_import(commands)
    evaluate.add_backtest(commands)
    export.add_export(commands)
    stream.add_wits0(commands)
    features.add_features(commands)
    evaluate.add_evaluate(commands)
    db.add_db(commands)
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
    for prefix, module in DELEGATED.items():
        if argv[: len(prefix)] == list(prefix):
            return int(importlib.import_module(module).main(argv[len(prefix) :]))
    args = build_parser().parse_args(argv)
    return int(args.func(args))
