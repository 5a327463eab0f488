"""What the command modules share: the log, argument types and the database."""

from __future__ import annotations

import argparse
import logging
from typing import TYPE_CHECKING

from service.settings import get_settings

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from pipelines.telemetry import Accident, TelemetryBatch

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


class UsageError(ValueError):
    """A command's options name something that is not there (exit 2, message on stderr)."""


def labelled_wells(
    wells: str | None, data: str | None
) -> tuple[dict[str, TelemetryBatch], list[Accident], Engine | None]:
    """The wells of ``--wells W1,W2`` (imported: telemetry and recorded accidents, from the
    database, also returned) or of ``--data DIR`` (well files + accidents.csv)."""
    from pathlib import Path

    from pipelines.formats.files import FileFormatError, read_dataset
    from service.history import read_wells, unknown_wells

    if wells:
        wanted = [w.strip() for w in wells.split(",") if w.strip()]
        db = open_db()
        unknown = unknown_wells(db, wanted)
        if unknown:
            raise UsageError(
                f"--wells: no stored well {', '.join(unknown)} (drillwatch import first)"
            )
        found, accidents = read_wells(db, wanted)
        return found, accidents, db
    if not data or not Path(data).is_dir():
        raise UsageError(f"--data {data} is not a directory of well files")
    try:
        found, accidents = read_dataset(Path(data))
    except FileFormatError as exc:
        raise UsageError(str(exc)) from None
    if not found:
        raise UsageError(f"--data {data}: no well files")
    return found, accidents, None
