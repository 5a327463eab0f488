"""``drillwatch models list|activate|rollback``: the model registry."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

from service.cli.common import open_db
from service.settings import get_settings

if TYPE_CHECKING:
    from service.cli.common import Commands


def add_models(commands: Commands) -> None:
    p = commands.add_parser("models", help="model registry: list, activate, roll back")
    actions = p.add_subparsers(dest="models_command", required=True, metavar="ACTION")
    actions.add_parser("list", help="versions with validation metrics (* = active)").set_defaults(
        func=cmd_models
    )
    q = actions.add_parser("activate", help="make a version active (a running service swaps to it)")
    q.add_argument("id")
    q.set_defaults(func=cmd_models)
    actions.add_parser(
        "rollback", help="activate the newest version registered before the active one"
    ).set_defaults(func=cmd_models)


def cmd_models(args: argparse.Namespace) -> int:
    from models.artifact import ModelError
    from service.db.repo import NotFound
    from service.registry import activate, list_versions, load_active, rollback

    settings = get_settings()
    engine = open_db()
    load_active(engine, settings.registry_dir)  # registers the bundled model on first use
    try:
        if args.models_command == "activate":
            print(f"active model: {activate(engine, args.id).version}")
        elif args.models_command == "rollback":
            print(f"active model: {rollback(engine).version}")
    except (ModelError, NotFound) as exc:
        print(f"drillwatch models {args.models_command}: {exc}", file=sys.stderr)
        return 2
    if args.models_command == "list":
        print(f"  {'version':28} {'detector':11} {'created (UTC)':20} recall  FA/day  type acc")
        for v in list_versions(engine):
            m = (v["metrics"] or {}).get("validation", {})
            print(
                f"{'*' if v['active'] else ' '} {v['id']:28} {v['detector']:11} "
                f"{v['created_at']:%Y-%m-%d %H:%M:%S}  {_fmt(m.get('recall')):>6}  "
                f"{_fmt(m.get('false_alarms_per_day')):>6}  {_fmt(m.get('type_accuracy')):>8}"
            )
    return 0


def _fmt(value: object) -> str:
    return f"{value:.2f}" if isinstance(value, float) else "-"
