"""The baseline ``bench/live.py`` starts beside the service: ``uvicorn --factory --app-dir bench
live_servers:relay_app``. A bare Starlette WebSocket endpoint that hands every message of one Redis
channel to every open socket, through one pub/sub connection per process — the fan-out alone, with no
protocol, no token, no branch and no re-authorisation, so the service's figure can be read against it.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from redis.asyncio import Redis
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import Route, WebSocketRoute
from starlette.websockets import WebSocket, WebSocketDisconnect

CHANNEL = "bench:live:baseline"


def relay_app() -> Starlette:
    sockets: set[WebSocket] = set()

    async def relay(redis: Redis) -> None:
        async with redis.pubsub(ignore_subscribe_messages=True) as pubsub:
            await pubsub.subscribe(CHANNEL)
            async for message in pubsub.listen():
                text = message["data"].decode() if isinstance(message["data"], bytes) else str(message["data"])
                await asyncio.gather(*(ws.send_text(text) for ws in list(sockets)), return_exceptions=True)

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        redis = Redis.from_url(os.environ["BENCH_REDIS_URL"])
        task = asyncio.create_task(relay(redis))
        try:
            yield
        finally:
            task.cancel()
            with contextlib.suppress(BaseException):
                await task
            await redis.aclose()

    async def endpoint(websocket: WebSocket) -> None:
        await websocket.accept()
        sockets.add(websocket)
        try:
            while True:
                await websocket.receive_text()
        except WebSocketDisconnect:
            pass
        finally:
            sockets.discard(websocket)

    async def healthz(request: Request) -> PlainTextResponse:
        return PlainTextResponse("ok")

    return Starlette(routes=[WebSocketRoute("/ws", endpoint), Route("/healthz", healthz)], lifespan=lifespan)
