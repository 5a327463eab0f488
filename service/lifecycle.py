"""The running model: how a model starts serving the live path.

Every model the stream engine serves goes through ``swap_model``: at startup, when another
process activates a version (``ActiveModelWatcher``), on ``POST /models/{id}/activate`` and
when a retrain is activated. It first adds the stored verdict windows (confirmed and
dismissed alerts, ``service.verdicts``) whose feature names match the model's to its
analogue database, so a swapped model searches them like the one it replaces.
"""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy import Engine

from models.artifact import ModelArtifact
from pipelines.live.streaming import StreamEngine
from service import registry, verdicts

log = logging.getLogger(__name__)


def swap_model(db: Engine, stream: StreamEngine, model: ModelArtifact) -> ModelArtifact:
    """Serve ``model`` from now on, with the verdict windows in its analogue database; wells
    keep their buffers, so detection continues at once. Reads the database: call it from a
    worker thread in async code."""
    verdicts.load_cases(db, model)
    stream.set_model(model)
    return model


def activate(db: Engine, stream: StreamEngine, version: str) -> ModelArtifact:
    """Make ``version`` the active one (its files checked first) and serve it."""
    return swap_model(db, stream, registry.activate(db, version))


def model_event(model_id: str, version: str | None = None) -> dict[str, Any]:
    """The ``model`` event published when the served model changes: the registered id and
    the version its metadata names (the same unless registered under another id)."""
    return {"id": model_id, "version": version or model_id, "active": True}
