"""``drillwatch db upgrade``: database maintenance."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from service.cli.common import open_db

if TYPE_CHECKING:
    from service.cli.common import Commands


def add_db(commands: Commands) -> None:
    p = commands.add_parser("db", help="database maintenance")
    actions = p.add_subparsers(dest="db_command", required=True, metavar="ACTION")
    actions.add_parser("upgrade", help="apply migrations").set_defaults(func=cmd_db_upgrade)


def cmd_db_upgrade(_: argparse.Namespace) -> int:
    engine = open_db()  # migrates
    print(f"database {engine.url.render_as_string(hide_password=True)} is up to date")
    return 0
