"""Liveness and readiness."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from sqlalchemy import text

from service.deps import DbDep, StreamDep

router = APIRouter(tags=["health"])


@router.get("/health", summary="The process is up")
def health() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/ready", summary="Database reachable and a model loaded")
def ready(db: DbDep, stream: StreamDep) -> Any:
    try:
        with db.connect() as conn:
            conn.execute(text("SELECT 1"))
    except Exception as exc:
        return JSONResponse(status_code=503, content={"status": "unavailable", "reason": str(exc)})
    return {"status": "ready", "model_version": stream.model.version}
