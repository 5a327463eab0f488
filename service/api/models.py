"""Model versions: list with metrics, activate one without a restart, retrain in the
background on the stored telemetry and accidents."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

import anyio
from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import Engine

from models.artifact import ModelArtifact, ModelError
from pipelines.live.streaming import StreamEngine
from pipelines.telemetry import Accident
from pipelines.training.train import TrainConfig, train_model
from service import lifecycle, registry, verdicts
from service.api.jobs import JobOut
from service.db import repo, telemetry_store
from service.deps import BroadcasterDep, DbDep, JobsDep, SettingsDep, StreamDep
from service.errors import ApiError
from service.events import Broadcaster, Job
from service.settings import Settings

log = logging.getLogger(__name__)

router = APIRouter(prefix="/api/v1/models", tags=["models"])

MODEL_EXAMPLE: dict[str, Any] = {
    "id": "2026-11-20-a",
    "created_at": "2026-11-20T08:00:00Z",
    "detector": "classifier",
    "path": "var/models/2026-11-20-a",
    "sha256": "4f" * 32,
    "metrics": {"event_recall": 0.86, "false_alarms_per_24h": 0.7},
    "meta": {"version": "2026-11-20-a", "classes": ["normal", "kick", "stuck_pipe"]},
    "active": True,
}


class ModelVersionOut(BaseModel):
    model_config = ConfigDict(extra="allow", json_schema_extra={"examples": [MODEL_EXAMPLE]})

    id: str
    created_at: datetime
    detector: str
    path: str
    sha256: str
    metrics: dict[str, Any] = Field(description="validation metrics recorded at training")
    meta: dict[str, Any]
    active: bool = Field(description="the version serving detection")


@router.get(
    "", summary="Model versions, newest first, with metrics", response_model=list[ModelVersionOut]
)
def list_models(db: DbDep) -> list[dict[str, Any]]:
    return registry.list_versions(db)


def _activate(
    db: Engine, stream: StreamEngine, model_id: str
) -> tuple[ModelArtifact, dict[str, Any]]:
    """Load the version (sha256 checked), make it active and serve it (verdict windows
    included); 409 if it cannot be loaded. The model served and its registry row."""
    if "\x00" in model_id:
        raise ApiError(404, "id", f"model version {model_id!r} not found")
    try:
        model = lifecycle.activate(db, stream, model_id)
    except (ModelError, OSError, ValueError, KeyError) as exc:
        raise ApiError(409, "id", f"model version {model_id!r} cannot be loaded: {exc}") from None
    with db.connect() as conn:
        return model, repo.get_model_version(conn, id=model_id)


@router.post(
    "/{model_id}/activate",
    summary="Make a model version the active one, swapping the running model",
    description=(
        "Loads the artifact (sha256 checked) first: 409 if it cannot be loaded, 404 if the "
        "version is unknown. Wells keep their buffers, so detection continues at once. "
        "Publishes a `model` event."
    ),
    response_model=ModelVersionOut,
)
async def activate_model(
    model_id: str, db: DbDep, stream: StreamDep, broadcaster: BroadcasterDep
) -> dict[str, Any]:
    model, row = await anyio.to_thread.run_sync(_activate, db, stream, model_id)
    broadcaster.publish("model", lifecycle.model_event(row["id"], model.version))
    return row


class RetrainBody(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"wells": ["B-2", "B-3"], "activate": False}]},
    )

    wells: list[str] | None = Field(
        default=None, min_length=1, description="wells to train on; default: all"
    )
    n_estimators: int = Field(default=300, ge=1, le=5000, description="boosting rounds")
    folds: int = Field(default=4, ge=2, le=10, description="grouped-by-well CV folds")
    activate: bool = Field(default=False, description="activate the new version when done")


def _train(db: Engine, settings: Settings, job: Job, body: RetrainBody) -> str:
    """Train on the stored telemetry and accidents and register the new version; its id."""
    job.progress = "reading stored telemetry and accidents"
    with db.connect() as conn:
        well_ids = body.wells or [w["id"] for w in repo.list_wells(conn)]
        wells = {w: telemetry_store.read_range(conn, well_id=w) for w in well_ids}
        stored = [a for a in repo.list_accidents(conn) if a["well_id"] in wells]
        accidents = [Accident(a["well_id"], a["type"], a["start"], a["end"]) for a in stored]
        # dismissed alerts are normal examples; confirmed ones are accidents (source alert)
        normals = verdicts.dismissed_normals(conn, list(wells))
    wells = {w: batch for w, batch in wells.items() if len(batch)}
    normals = [n for n in normals if n[0] in wells]
    if not wells:
        raise ValueError("no stored telemetry for the wells asked for")
    if not accidents:
        raise ValueError("no accidents recorded for these wells: nothing to learn")
    version = f"retrain-{datetime.now(UTC):%Y%m%dT%H%M%SZ}-{job.id[:6]}"
    job.progress = f"training on {len(wells)} wells and {len(accidents)} accidents"
    model = train_model(
        wells,
        accidents,
        settings.home / "jobs" / job.id,
        cfg=TrainConfig(n_estimators=body.n_estimators, folds=body.folds),
        version=version,
        data_summary={
            "source": "api retrain",
            "wells": sorted(wells),
            "accidents": len(accidents),
            "confirmed_alerts": sum(
                a["source"] == "alert" for a in stored if a["well_id"] in wells
            ),
            "dismissed_alerts": len(normals),
        },
        normals=normals,
    )
    job.progress = "registering"
    registry.register(db, model, settings.registry_dir, activate=False)
    return model.version


async def _run_retrain(
    job: Job,
    body: RetrainBody,
    db: Engine,
    settings: Settings,
    stream: StreamEngine,
    broadcaster: Broadcaster,
) -> None:
    job.status, job.started_at = "running", datetime.now(UTC)
    try:
        version = await anyio.to_thread.run_sync(_train, db, settings, job, body)
        if body.activate:
            job.progress = "activating"
            # the registered copy is served, with the verdict windows, like any activation
            model, row = await anyio.to_thread.run_sync(_activate, db, stream, version)
            broadcaster.publish("model", lifecycle.model_event(row["id"], model.version))
        job.result = {"model_id": version, "activated": body.activate}
        job.status, job.progress = "succeeded", "done"
    except Exception as exc:
        log.exception("retrain job %s failed", job.id)
        job.status, job.progress, job.error = "failed", "failed", f"{type(exc).__name__}: {exc}"
    finally:
        job.finished_at = datetime.now(UTC)
        broadcaster.publish("job", job.as_dict())


@router.post(
    "/retrain",
    summary="Retrain on the stored telemetry and accidents, as a background job",
    description=(
        "Returns 202 with the job; poll `GET /api/v1/jobs/{id}`. The new version is "
        "registered (and activated if asked). 409 while another retrain runs; 422 naming "
        "an unknown well. Publishes a `job` event when it ends."
    ),
    status_code=202,
    response_model=JobOut,
)
async def retrain(
    body: RetrainBody,
    db: DbDep,
    settings: SettingsDep,
    stream: StreamDep,
    broadcaster: BroadcasterDep,
    jobs: JobsDep,
) -> dict[str, Any]:
    running = jobs.active("retrain")
    if running is not None:
        raise ApiError(409, "job", f"retrain job {running.id} is still {running.status}")
    if body.wells:
        known = {w["id"] for w in await anyio.to_thread.run_sync(_wells, db)}
        for i, well_id in enumerate(body.wells):
            if well_id not in known:
                raise ApiError(422, f"wells.{i}", f"well {well_id!r} not found")
    job = jobs.create("retrain", body.model_dump())
    jobs.start(_run_retrain(job, body, db, settings, stream, broadcaster))
    return job.as_dict()


def _wells(db: Engine) -> list[dict[str, Any]]:
    with db.connect() as conn:
        return repo.list_wells(conn)
