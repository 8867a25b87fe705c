"""WebSocket pass-through (chat): the same edge checks, then two pumps.

Browsers cannot set an Authorization header on a WebSocket, so the token may also
come as the `access_token` query parameter (RFC 6750 §2.3); either is passed on to
the service, which checks it again. A refused handshake is answered before it is
accepted: with the problem as an HTTP answer where the server supports that ASGI
extension, else as a plain 403. The service's chosen subprotocol is the one accepted.
Once open, frames go both ways unchanged until either side closes; its close code
goes to the other side.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from urllib.parse import parse_qs

from starlette.responses import Response
from starlette.types import Receive, Scope, Send
from starlette.websockets import WebSocket, WebSocketDisconnect
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidStatus

from careflow.gateway.bootstrap import Container
from careflow.gateway.domain.routing import Upstream
from careflow.gateway.entrypoints.api.edges import REQUEST_ID, request_id
from careflow.gateway.entrypoints.api.proxy import RouteLabel, admit, header_token, raw_rest
from careflow.shared.http.problems import problem_response

log = logging.getLogger(__name__)
_PASSED = (b"authorization", b"traceparent", b"tracestate", b"user-agent", b"origin")
_GOING_AWAY = 1001
_INTERNAL = 1011
_BAD_GATEWAY = 1014


class WebSocketProxy:
    def __init__(self, container: Container, upstream: Upstream) -> None:
        self.container = container
        self.upstream = upstream
        self.label = RouteLabel(f"{upstream.prefix}/{{path:path}}")
        base = upstream.base_url
        self.ws_base = "wss" + base[5:] if base.startswith("https") else "ws" + base[4:]
        # Largest frame passed on: the platform's body limit.
        self.max_size = container.settings.request_limits.max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        scope["route"] = self.label
        websocket = WebSocket(scope, receive, send)
        upstream = self.upstream
        upstream_path = scope["path"][len(upstream.prefix) :] or "/"
        refused = await self._refusal(scope, upstream_path)
        if refused is not None:
            await self._deny(websocket, refused)
            return
        url = self.ws_base + raw_rest(scope, upstream.prefix, upstream_path).decode("latin-1")
        if scope.get("query_string"):
            url += "?" + scope["query_string"].decode("latin-1")
        headers = [(k.decode(), v.decode("latin-1")) for k, v in scope["headers"] if k in _PASSED]
        headers.append((REQUEST_ID.decode(), request_id(scope).decode()))
        try:
            service = await connect(
                url,
                additional_headers=headers,
                subprotocols=scope.get("subprotocols") or None,  # type: ignore[arg-type]
                open_timeout=upstream.connect_timeout,
                max_size=self.max_size,
                compression=None,
            )
        except InvalidStatus as exc:
            status = exc.response.status_code
            await self._deny(websocket, problem_response(status if 400 <= status < 500 else 502))
            return
        except (OSError, TimeoutError, InvalidHandshake) as exc:
            log.warning("%s websocket not reachable: %s", upstream.name, type(exc).__name__)
            status = 504 if isinstance(exc, TimeoutError) else 503
            await self._deny(websocket, problem_response(status))
            return
        async with service:
            await websocket.accept(subprotocol=service.subprotocol)
            await _pump(websocket, service)

    async def _refusal(self, scope: Scope, upstream_path: str) -> Response | None:
        token = header_token(scope)
        if token is None:
            query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
            token = (query.get("access_token") or [None])[0]
        return await admit(self.container, scope, self.upstream, upstream_path, token, "GET")

    @staticmethod
    async def _deny(websocket: WebSocket, response: Response) -> None:
        if "websocket.http.response" in websocket.scope.get("extensions", {}):
            await websocket.send_denial_response(response)
        else:
            await websocket.close(code=1008)


async def _pump(client: WebSocket, service: ClientConnection) -> None:
    async def to_service() -> None:
        try:
            while True:
                message = await client.receive()
                if message["type"] == "websocket.disconnect":
                    await service.close(code=message.get("code", _GOING_AWAY))
                    return
                if message.get("text") is not None:
                    await service.send(message["text"])
                elif message.get("bytes") is not None:
                    await service.send(message["bytes"])
        except (ConnectionClosed, WebSocketDisconnect):
            return

    async def to_client() -> None:
        try:
            async for frame in service:
                if isinstance(frame, str):
                    await client.send_text(frame)
                else:
                    await client.send_bytes(frame)
        except ConnectionClosed:
            pass
        code = service.close_code if service.close_code is not None else _BAD_GATEWAY
        with contextlib.suppress(RuntimeError, WebSocketDisconnect):
            await client.close(code=code if code != 1006 else _INTERNAL)

    tasks = [asyncio.create_task(to_service()), asyncio.create_task(to_client())]
    done, pending = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
    if tasks[0] in done:
        # The client left: give the service's close a moment to come back, then stop.
        done, pending = await asyncio.wait({tasks[1]}, timeout=2)
    for task in pending:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
