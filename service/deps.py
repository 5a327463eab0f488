"""Request dependencies as ``Annotated`` aliases; the objects live on ``app.state``."""

from __future__ import annotations

import re
from typing import Annotated, Any

from fastapi import Depends, Path, Request
from pydantic import AfterValidator, BeforeValidator
from sqlalchemy import Engine

from pipelines.live.streaming import StreamEngine
from service.events import Broadcaster, Jobs, Metrics
from service.ingest import Ingestor
from service.settings import Settings


def _settings(request: Request) -> Settings:
    return request.app.state.settings


def _db(request: Request) -> Engine:
    return request.app.state.db


def _ingestor(request: Request) -> Ingestor:
    return request.app.state.ingestor


def _stream(request: Request) -> StreamEngine:
    return request.app.state.stream


def _broadcaster(request: Request) -> Broadcaster:
    return request.app.state.broadcaster


def _metrics(request: Request) -> Metrics:
    return request.app.state.metrics


def _jobs(request: Request) -> Jobs:
    return request.app.state.jobs


SettingsDep = Annotated[Settings, Depends(_settings)]
DbDep = Annotated[Engine, Depends(_db)]
IngestorDep = Annotated[Ingestor, Depends(_ingestor)]
StreamDep = Annotated[StreamEngine, Depends(_stream)]
BroadcasterDep = Annotated[Broadcaster, Depends(_broadcaster)]
MetricsDep = Annotated[Metrics, Depends(_metrics)]
JobsDep = Annotated[Jobs, Depends(_jobs)]

INT64_MAX = 2**63 - 1
# A stored row's id (64-bit in the database): out of range is a 422, not a driver overflow.
RowId = Annotated[int, Path(ge=1, le=INT64_MAX, description="positive 64-bit id")]


def reject_nul(value: Any) -> Any:
    """Text (also inside lists and objects) without NUL: PostgreSQL cannot store it."""
    if isinstance(value, str) and "\x00" in value:
        raise ValueError("contains a NUL character (\\u0000)")
    items = [*value, *value.values()] if isinstance(value, dict) else value
    for item in items if isinstance(value, dict | list) else ():
        reject_nul(item)
    return value


NoNul = AfterValidator(reject_nul)


_NUMBER = re.compile(r"^\s*[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?\s*$")


def not_a_number(value: object) -> object:
    """Numbers are not times: pydantic would read ``12345`` or ``"12345"`` as Unix seconds
    (a 1970 date); a time must be ISO-8601 with an offset."""
    if isinstance(value, int | float) or (isinstance(value, str) and _NUMBER.match(value)):
        raise ValueError("expected an ISO-8601 time with an offset, not a number")
    return value


TimeText = BeforeValidator(not_a_number)  # for datetime fields and query parameters
