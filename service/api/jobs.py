"""Background jobs of this process (e.g. a retrain): status and progress."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field

from service.deps import JobsDep
from service.errors import ApiError

router = APIRouter(prefix="/api/v1/jobs", tags=["jobs"])


class JobOut(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "id": "3f2a9c1be07d",
                    "kind": "retrain",
                    "params": {"wells": None, "n_estimators": 300, "folds": 4, "activate": False},
                    "status": "succeeded",
                    "progress": "done",
                    "created_at": "2026-11-24T12:00:00Z",
                    "started_at": "2026-11-24T12:00:00Z",
                    "finished_at": "2026-11-24T12:03:10Z",
                    "result": {"model_id": "retrain-20261124T120000Z-3f2a9c", "activated": False},
                    "error": None,
                }
            ]
        }
    )

    id: str
    kind: str
    params: dict[str, Any]
    status: Literal["queued", "running", "succeeded", "failed"]
    progress: str = Field(description="what the job is doing now")
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    result: dict[str, Any] | None
    error: str | None


@router.get(
    "", summary="Background jobs of this process, oldest first", response_model=list[JobOut]
)
def list_jobs(jobs: JobsDep) -> list[dict[str, Any]]:
    return [job.as_dict() for job in jobs.all()]


@router.get("/{job_id}", summary="One background job with its progress", response_model=JobOut)
def get_job(job_id: str, jobs: JobsDep) -> dict[str, Any]:
    job = jobs.get(job_id)
    if job is None:
        raise ApiError(404, "id", f"job {job_id!r} not found")
    return job.as_dict()
