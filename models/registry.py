"""Model registry: versions on disk under ``$DRILLWATCH_HOME/models/<version>`` plus a row each
in ``model_versions``; exactly one is active. The bundled model is registered on first start.
"""

from __future__ import annotations

import logging
import shutil
from pathlib import Path

from sqlalchemy import Engine

from models.artifact import BUNDLED_DIR, ModelArtifact, load_model
from service.db import repo

log = logging.getLogger(__name__)


def register(db: Engine, model: ModelArtifact, registry_dir: Path, *, activate: bool) -> Path:
    """Copy a model into the registry (if it is not there yet) and record it."""
    target = registry_dir / model.version
    if model.path.resolve() != target.resolve():
        if target.exists():
            shutil.rmtree(target)
        shutil.copytree(model.path, target)
    with db.begin() as conn:
        known = {v["id"] for v in repo.list_model_versions(conn)}
        if model.version not in known:
            repo.register_model_version(
                conn,
                id=model.version,
                detector=str(model.meta.get("detector", "classifier")),
                path=str(target),
                sha256=str(model.meta["sha256"]),
                metrics=model.meta.get("metrics", {}),
                meta={k: v for k, v in model.meta.items() if k not in ("features", "metrics")},
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
