"""Server-Sent Events: alerts, alert status changes and per-well status, as they happen."""

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
    summary="Live events (text/event-stream): `alert`, `alert_status`, `well`",
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
