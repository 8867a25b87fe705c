"""A tiny real upstream for the gateway's tests: echo, slow answers, a WebSocket echo,
an OpenAPI document; it counts what reached it."""

from __future__ import annotations

import asyncio
import hashlib
import threading
from collections import Counter
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, StreamingResponse
from starlette.routing import Route, WebSocketRoute
from starlette.websockets import WebSocket, WebSocketDisconnect

DOCUMENT: dict[str, Any] = {
    "openapi": "3.1.0",
    "info": {"title": "echo", "version": "1"},
    "paths": {
        "/things/{thing_id}": {
            "get": {
                "operationId": "get_thing",
                "tags": ["things"],
                "security": [{"HTTPBearer": []}],
                "parameters": [
                    {
                        "name": "thing_id",
                        "in": "path",
                        "required": True,
                        "schema": {"type": "string"},
                    }
                ],
                "responses": {
                    "200": {
                        "description": "ok",
                        "content": {
                            "application/json": {"schema": {"$ref": "#/components/schemas/Thing"}}
                        },
                    }
                },
            }
        }
    },
    "components": {
        "schemas": {"Thing": {"type": "object", "properties": {"id": {"type": "string"}}}},
        "securitySchemes": {"HTTPBearer": {"type": "http", "scheme": "bearer"}},
    },
}


def echo_app() -> tuple[Starlette, Counter[str], threading.Event]:
    seen: Counter[str] = Counter()
    release = threading.Event()

    async def echo(request: Request) -> JSONResponse:
        digest = hashlib.sha256()
        size = 0
        async for chunk in request.stream():
            digest.update(chunk)
            size += len(chunk)
        seen["echo"] += 1  # a whole request arrived
        return JSONResponse(
            {
                "method": request.method,
                "path": request.url.path,
                "query": request.url.query,
                "size": size,
                "sha256": digest.hexdigest(),
                "headers": {k: v for k, v in request.headers.items()},
            }
        )

    async def gate(_: Request) -> StreamingResponse:
        """Sends a first part, then waits until the test has read it (through the
        gateway) before sending the rest: a gateway holding bodies whole would stall."""

        async def parts():  # type: ignore[no-untyped-def]
            yield b"first\n"
            for _ in range(1000):
                if release.is_set():
                    break
                await asyncio.sleep(0.01)
            yield b"released\n" if release.is_set() else b"timed out\n"

        return StreamingResponse(parts(), media_type="text/plain")

    async def slow(request: Request) -> JSONResponse:
        seen["slow"] += 1
        await asyncio.sleep(float(request.query_params.get("seconds", "5")))
        return JSONResponse({"late": True})

    async def cookie(_: Request) -> JSONResponse:
        response = JSONResponse({"set": True})
        response.set_cookie("session", "for-the-first-caller-only")
        return response

    async def document(_: Request) -> JSONResponse:
        return JSONResponse(DOCUMENT)

    async def ws_echo(websocket: WebSocket) -> None:
        seen["ws"] += 1
        await websocket.accept(subprotocol=(websocket.scope.get("subprotocols") or [None])[0])
        try:
            while True:
                message = await websocket.receive()
                if message["type"] == "websocket.disconnect":
                    return
                if message.get("text") == "close please":
                    await websocket.close(code=4000)
                    return
                if message.get("text") is not None:
                    await websocket.send_text(message["text"])
                else:
                    await websocket.send_bytes(message["bytes"])
        except WebSocketDisconnect:
            return

    app = Starlette(
        routes=[
            Route("/openapi.json", document),
            Route("/echo/{rest:path}", echo, methods=["GET", "POST", "PUT", "DELETE", "PATCH"]),
            Route("/gate", gate),
            Route("/slow", slow),
            Route("/cookie", cookie),
            WebSocketRoute("/ws/echo", ws_echo),
        ]
    )
    return app, seen, release
