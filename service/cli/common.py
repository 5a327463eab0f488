"""What the command modules share: the log, argument types and the database."""

from __future__ import annotations

import argparse
import logging
from typing import TYPE_CHECKING

from service.settings import get_settings

if TYPE_CHECKING:
    from sqlalchemy import Engine

    # what build_parser hands each command module to add its commands to
    Commands = argparse._SubParsersAction[argparse.ArgumentParser]

log = logging.getLogger("drillwatch")


def positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text} is not a positive integer")
    return value


def positive_float(text: str) -> float:
    value = float(text)
    if not value > 0:
        raise argparse.ArgumentTypeError(f"{text} is not a positive number")
    return value


def open_db() -> Engine:
    """The database of the settings, migrated to the current schema."""
    from service.db.engine import make_engine, migrate

    settings = get_settings()
    settings.ensure_home()
    engine = make_engine(settings.sqlalchemy_url)
    migrate(engine)
    return engine
