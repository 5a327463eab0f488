"""The FastAPI application: API, dashboard and the live detection path in one process.

Engines, the model and the stream engine are created in the lifespan, not at import.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import os
import subprocess
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import anyio
from fastapi import FastAPI
from fastapi.responses import FileResponse
from fastapi.staticfiles import StaticFiles

from pipelines.live.streaming import StreamEngine
from service import errors
from service.api import (
    accidents,
    alerts,
    analogues,
    health,
    jobs,
    metrics,
    models,
    stream,
    telemetry,
    wells,
)
from service.db.engine import make_engine, migrate
from service.events import Broadcaster, Jobs, Metrics
from service.ingest import Ingestor
from service.lifecycle import model_event, swap_model
from service.registry import ActiveModelWatcher, load_active
from service.settings import Settings, get_settings

log = logging.getLogger(__name__)
STATIC_DIR = Path(__file__).resolve().parent / "static"


def _start_demo(settings: Settings) -> subprocess.Popen[bytes]:
    """The simulated rig fleet is a separate process talking HTTP, like a real rig."""
    url = f"http://{settings.host}:{settings.port}"
    cmd = [
        sys.executable,
        "-m",
        "service.cli",
        "stream",
        "--source",
        "sim",
        "--wells",
        str(settings.demo_wells),
        "--to",
        url,
        "--speed",
        str(settings.demo_speed),
    ]
    log.info("starting simulated rig fleet: %s", " ".join(cmd[2:]))
    return subprocess.Popen(cmd, env=dict(os.environ))


MODEL_POLL_S = 5.0


async def _watch_active_model(app: FastAPI, watcher: ActiveModelWatcher, every_s: float) -> None:
    """Follow `drillwatch models activate|rollback` run elsewhere: swap without a restart."""
    while True:
        await asyncio.sleep(every_s)
        try:
            version = await anyio.to_thread.run_sync(watcher.check)
        except Exception:  # keep serving with the current model
            log.exception("checking the active model version failed")
            continue
        if version is not None:
            app.state.broadcaster.publish("model", model_event(version))


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        settings.ensure_home()
        db = make_engine(settings.sqlalchemy_url)
        migrate(db)
        model = load_active(db, settings.registry_dir, settings.model_path)
        engine = StreamEngine(
            model,
            k=settings.alert_persistence_k,
            n=settings.alert_persistence_n,
            cooldown_s=settings.alert_cooldown_seconds,
            stride_s=settings.stride_seconds,
        )
        # served like every later swap: with the verdict windows in its analogue search
        # (nothing is fed before the app starts, so no decision is made without them)
        await anyio.to_thread.run_sync(swap_model, db, engine, model)
        app.state.settings = settings
        app.state.db = db
        app.state.stream = engine
        app.state.ingestor = Ingestor(db, engine)
        app.state.broadcaster = Broadcaster()
        app.state.metrics = Metrics()
        app.state.jobs = Jobs()
        demo = _start_demo(settings) if settings.demo_wells > 0 else None
        log.info(
            "drillwatch ready: model %s, database %s", model.version, db.url.render_as_string()
        )
        watcher = ActiveModelWatcher(
            db, functools.partial(swap_model, db, engine), lambda: engine.model.version
        )
        app.state.model_watcher = watcher
        watch = asyncio.create_task(_watch_active_model(app, watcher, MODEL_POLL_S))
        try:
            yield
        finally:
            watch.cancel()
            if demo is not None:
                demo.terminate()
                demo.wait(timeout=10)
            app.state.broadcaster.close()
            db.dispose()

    app = FastAPI(
        title="drillwatch",
        version="0.1.0",
        description="Real-time drilling accident detection: telemetry in, typed alerts out.",
        lifespan=lifespan,
    )
    errors.install(app)
    for module in (
        telemetry,
        wells,
        accidents,
        alerts,
        analogues,
        models,
        jobs,
        stream,
        health,
        metrics,
    ):
        app.include_router(module.router)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")

    @app.get("/", include_in_schema=False)
    def dashboard() -> FileResponse:
        return FileResponse(STATIC_DIR / "index.html")

    return app
