"""What the edge adds to every answer: a request id and the security headers.

The request id is the client's `X-Request-Id` when it is a short token, else a new
one; it goes to the service and back to the client, so one id names the request in
both logs. Security headers are set unless the service set them itself; the API
answers JSON, so its content security policy allows nothing (the interactive docs
pages load scripts and are left out).
"""

from __future__ import annotations

import re
import uuid

from starlette.types import ASGIApp, Message, Receive, Scope, Send

REQUEST_ID = b"x-request-id"
_VALID_ID = re.compile(rb"^[A-Za-z0-9._-]{1,64}$")
_SECURITY = (
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
    (b"strict-transport-security", b"max-age=31536000; includeSubDomains"),
    (b"cache-control", b"no-store"),
)
_CSP = (b"content-security-policy", b"default-src 'none'; frame-ancestors 'none'")
_DOCS = ("/docs", "/redoc")


def request_id(scope: Scope) -> bytes:
    return scope["state"]["request_id"]  # type: ignore[no-any-return]


def assign_request_id(scope: Scope) -> bytes:
    """The request's id (the client's when valid, else a new one), kept in its state."""
    given = next((v for k, v in scope["headers"] if k == REQUEST_ID), None)
    rid = given if given is not None and _VALID_ID.match(given) else uuid.uuid4().hex.encode()
    scope.setdefault("state", {})["request_id"] = rid
    return rid


_API = (*_SECURITY, _CSP)


def security_headers(path: str) -> tuple[tuple[bytes, bytes], ...]:
    return _SECURITY if path.startswith(_DOCS) else _API


def add_edge_headers(
    headers: list[tuple[bytes, bytes]], extra: tuple[tuple[bytes, bytes], ...], rid: bytes
) -> None:
    """Appends (in place) what the service did not set itself, and the request id."""
    present = {k.lower() for k, _ in headers}
    headers += [(k, v) for k, v in extra if k not in present]
    if REQUEST_ID not in present:
        headers.append((REQUEST_ID, rid))


class EdgeHeaders:
    """The edge's headers for the FastAPI stack (the gateway's own routes, CORS, and
    WebSockets); proxied HTTP requests get the same from `fast_path.ProxiedPath`."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        rid = assign_request_id(scope)
        if scope["type"] == "websocket":
            await self.app(scope, receive, send)
            return
        extra = security_headers(scope["path"])

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", ()))
                add_edge_headers(headers, extra, rid)
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, with_headers)
