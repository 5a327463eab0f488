"""Model registry: versions on disk under ``$DRILLWATCH_HOME/models/<version>`` plus a row each
in ``model_versions``; exactly one is active. The bundled model is registered on first start.
"""

from __future__ import annotations

import logging
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy import Engine

from models.artifact import BUNDLED_DIR, ModelArtifact, ModelError, load_model
from service.db import repo

log = logging.getLogger(__name__)


def register(db: Engine, model: ModelArtifact, registry_dir: Path, *, activate: bool) -> Path:
    """Copy a model into the registry (if it is not there yet) and record it."""
    target = registry_dir / model.version
    if model.path.resolve() != target.resolve():
        if target.exists():
            shutil.rmtree(target)
        shutil.copytree(model.path, target)
    metadata = model.metadata
    with db.begin() as conn:
        known = {v["id"] for v in repo.list_model_versions(conn)}
        if model.version not in known:
            # the feature names are in the files; the metrics have their own column
            summary = metadata.to_dict()
            for key in ("features", "metrics"):
                summary.pop(key, None)
            repo.register_model_version(
                conn,
                id=model.version,
                detector=metadata.detector,
                path=str(target),
                sha256=str(metadata.sha256),
                metrics=metadata.metrics,
                meta=summary,
                activate=activate,
            )
        elif activate:
            repo.activate_model_version(conn, id=model.version)
    return target


def load_active(db: Engine, registry_dir: Path, override: Path | None = None) -> ModelArtifact:
    """The model to serve: ``override`` if given, else the active version, else the bundled one."""
    if override is not None:
        return load_model(override)
    with db.connect() as conn:
        active = repo.get_active_model_version(conn)
    if active is not None:
        return load_model(Path(active["path"]))
    model = load_model(BUNDLED_DIR)
    register(db, model, registry_dir, activate=True)
    log.info("registered and activated the bundled model %s", model.version)
    return load_model(registry_dir / model.version)


def list_versions(db: Engine) -> list[dict[str, Any]]:
    """The registered versions, newest first, with their metrics and whether active."""
    with db.connect() as conn:
        return repo.list_model_versions(conn)


def activate(db: Engine, version: str) -> ModelArtifact:
    """Make ``version`` active after checking its files load (sha256 included)."""
    with db.connect() as conn:
        row = repo.get_model_version(conn, id=version)
    model = load_model(Path(row["path"]))
    with db.begin() as conn:
        repo.activate_model_version(conn, id=version)
    return model


def rollback(db: Engine) -> ModelArtifact:
    """Activate the newest version registered before the active one."""
    with db.connect() as conn:
        versions = repo.list_model_versions(conn)  # newest first
    ids = [v["id"] for v in versions]
    active = next((v["id"] for v in versions if v["active"]), None)
    if active is None:
        raise ModelError("no active model version to roll back from")
    older = ids[ids.index(active) + 1 :]
    if not older:
        raise ModelError(f"{active} is the oldest registered version: nothing to roll back to")
    return activate(db, older[0])


class ActiveModelWatcher:
    """Swaps the stream engine's model when another process (``drillwatch models activate``)
    changes the active version in the database; call ``check`` periodically. ``swap`` is
    ``service.lifecycle.swap_model`` bound to the database and stream engine."""

    def __init__(
        self, db: Engine, swap: Callable[[ModelArtifact], object], current: Callable[[], str]
    ) -> None:
        self.db, self.swap, self.current = db, swap, current

    def check(self) -> str | None:
        """Swap if the active version differs from the one served; returns the new version."""
        with self.db.connect() as conn:
            active = repo.get_active_model_version(conn)
        serving = self.current()
        if active is None or active["id"] == serving:
            return None
        try:
            model = load_model(Path(active["path"]))
        except ModelError:
            log.exception("active model %s cannot be loaded; keeping %s", active["id"], serving)
            return None
        self.swap(model)
        log.info("switched to model %s", model.version)
        return model.version
