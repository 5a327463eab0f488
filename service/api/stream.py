"""Server-Sent Events: alerts, alert status changes, per-well status and model swaps."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import orjson
from fastapi import APIRouter, Request
from fastapi.responses import StreamingResponse

from service.deps import BroadcasterDep

router = APIRouter(prefix="/api/v1", tags=["stream"])
HEARTBEAT_S = 15.0


@router.get(
    "/stream",
    summary="Live events (text/event-stream): `alert`, `alert_status`, `well`, `model`, `job`",
    description=(
        "Each event is `event: <name>` and `data: <JSON>`; comments (`: heartbeat`) every "
        f"{HEARTBEAT_S:g} s.\n\n"
        "- `alert`: a new alert, as `GET /api/v1/alerts/{id}` returns it\n"
        "- `alert_status`: `{id, well_id, type, status, who, comment, at, accident_id}` after "
        "an acknowledge, confirm (with `accident_id`) or dismiss\n"
        "- `well`: `{id, last_sample_at, rig_state, created}` after each ingested batch\n"
        "- `model`: `{id, version, active}` after a model version is activated\n"
        "- `job`: the job (as `GET /api/v1/jobs/{id}`) when a background job ends"
    ),
    response_class=StreamingResponse,
)
async def stream(request: Request, broadcaster: BroadcasterDep) -> StreamingResponse:
    queue = broadcaster.subscribe()

    async def events() -> AsyncIterator[bytes]:
        try:
            yield b"retry: 3000\n: connected\n\n"
            while True:
                try:
                    item = await asyncio.wait_for(queue.get(), timeout=HEARTBEAT_S)
                except TimeoutError:
                    if await request.is_disconnected():
                        return
                    yield b": heartbeat\n\n"
                    continue
                if item is None:
                    return
                data = orjson.dumps(item["data"], default=str)
                yield b"event: " + item["event"].encode() + b"\ndata: " + data + b"\n\n"
        finally:
            broadcaster.unsubscribe(queue)

    return StreamingResponse(
        events(),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )
