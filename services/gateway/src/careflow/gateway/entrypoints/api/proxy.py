"""HTTP pass-through: one ASGI endpoint per service, bodies streamed both ways.

Order at the edge: who is calling (token, verified as every service does), rate
limits (caller and address, before the route check so refused tokens are limited
too), the route's check, the body limit (Content-Length at once, a streamed body as
it passes the limit), then the request goes to the service on a pooled connection
with the route's timeout. Neither body is ever held whole: chunks go on as they come.

Retries: only idempotent methods, and only when the connection failed before the
service could have seen the request (connect errors, a pooled connection the service
had closed); a read timeout is never retried — a slow service is not made faster by
asking it twice, and the client would wait `retries` times as long for its 504.
"""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import quote

import aiohttp
import yarl
from opentelemetry.propagate import inject
from starlette.responses import Response
from starlette.types import Message, Receive, Scope, Send

from careflow.gateway.adapters.upstreams import classify_proxied
from careflow.gateway.bootstrap import Container
from careflow.gateway.domain.routing import IDEMPOTENT, Upstream, check
from careflow.gateway.entrypoints.api.access import (
    bearer,
    caller_of,
    principal_of,
    refusal_response,
    too_many,
)
from careflow.gateway.entrypoints.api.edges import REQUEST_ID, request_id
from careflow.gateway.entrypoints.api.statuses import status_of
from careflow.shared.http.problems import problem_response

log = logging.getLogger(__name__)

HOP_BY_HOP = frozenset(
    {
        b"connection",
        b"keep-alive",
        b"proxy-authenticate",
        b"proxy-authorization",
        b"te",
        b"trailer",
        b"trailers",
        b"transfer-encoding",
        b"upgrade",
        b"host",
    }
)
# The gateway sets these itself; a client's own Host/Proto claims are not passed on.
_NOT_FORWARDED = HOP_BY_HOP | {
    REQUEST_ID,
    b"traceparent",
    b"tracestate",
    b"x-forwarded-for",
    b"x-forwarded-host",
    b"x-forwarded-proto",
    b"forwarded",
}
# The gateway's own server sets these.
_NOT_RETURNED = HOP_BY_HOP | {b"server", b"date"}
# Failures before the service could have read the request: no connection made, or a
# pooled connection the service had closed.
_RETRYABLE = (aiohttp.ClientConnectorError, aiohttp.ServerDisconnectedError)
_TOO_LARGE = "The request body is larger than this API accepts."


class BodyTooLarge(Exception):
    pass


class ClientGone(Exception):
    pass


def header(scope: Scope, name: bytes) -> bytes | None:
    return next((v for k, v in scope["headers"] if k == name), None)


def client_address(scope: Scope) -> str | None:
    client = scope.get("client")
    return client[0] if client else None


def raw_rest(scope: Scope, prefix: str, rest: str) -> bytes:
    """The path after the prefix as the client encoded it (so `%2F` stays one segment);
    re-encoded from the decoded path if the client encoded the prefix itself."""
    raw: bytes | None = scope.get("raw_path")
    if raw is not None and raw.startswith(prefix.encode() + b"/"):
        return raw[len(prefix) :]
    return quote(rest, safe="/:@!$&'()*+,;=-._~").encode()


class RouteLabel:
    """What the metrics middleware reads from `scope["route"]`: a template, no ids."""

    def __init__(self, path: str) -> None:
        self.path = path


def header_token(scope: Scope) -> str | None:
    raw = header(scope, b"authorization")
    return bearer(raw.decode("latin-1")) if raw else None


async def admit(
    container: Container,
    scope: Scope,
    upstream: Upstream,
    upstream_path: str,
    token: str | None,
    method: str,
) -> Response | None:
    """The refusal to answer instead (401/403/429), or None to pass the request on."""
    verifier = scope["app"].state.token_verifier
    principal, presented = await principal_of(verifier, token)
    if container.settings.rate_limit.enabled:
        subject = principal.subject if principal is not None else None
        wait = await container.limiter.admit(subject, client_address(scope))
        if wait is not None:
            return too_many(wait)
    rule = upstream.rule_for(method, upstream_path)
    refusal = check(rule.access, caller_of(principal))
    return refusal_response(refusal, presented) if refusal is not None else None


class HttpProxy:
    """The ASGI endpoint of one service's prefix."""

    def __init__(self, container: Container, upstream: Upstream) -> None:
        self.container = container
        self.upstream = upstream
        self.max_body = container.settings.request_limits.max_body_bytes
        self.label = RouteLabel(f"{upstream.prefix}/{{path:path}}")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        scope["route"] = self.label
        upstream = self.upstream
        upstream_path = scope["path"][len(upstream.prefix) :] or "/"
        upstream_raw = raw_rest(scope, upstream.prefix, upstream_path)
        refused = await admit(
            self.container, scope, upstream, upstream_path, header_token(scope), scope["method"]
        )
        if refused is not None:
            await refused(scope, receive, send)
            return
        method: str = scope["method"]
        length = header(scope, b"content-length")
        # Whatever the method: a TRACE or GET with a body is passed on (the service
        # refuses it) and held to the same limit.
        has_body = (length is not None and length != b"0") or header(
            scope, b"transfer-encoding"
        ) is not None
        if length is not None and length.isdigit() and int(length) > self.max_body:
            await problem_response(413, detail=_TOO_LARGE)(scope, receive, send)
            return
        rule = upstream.rule_for(method, upstream_path)
        read = upstream.read_timeout(rule)
        # `connect` bounds the wait for a pooled connection and the connect together
        # (httpx's pool timeout was the read timeout too), `sock_connect` the connect.
        timeout = aiohttp.ClientTimeout(
            total=None, connect=read, sock_connect=upstream.connect_timeout, sock_read=read
        )
        url = upstream.base_url + upstream_raw.decode("latin-1")
        if scope.get("query_string"):
            url += "?" + scope["query_string"].decode("latin-1")
        headers = self._headers(scope)
        consumed = False

        async def body() -> Any:
            nonlocal consumed
            consumed = True
            size = 0
            while True:
                message = await receive()
                if message["type"] == "http.disconnect":
                    raise ClientGone
                chunk = message.get("body", b"")
                size += len(chunk)
                if size > self.max_body:
                    raise BodyTooLarge
                if chunk:
                    yield chunk
                if not message.get("more_body", False):
                    return

        session = self.container.pools.session(upstream.name)
        attempt = 0
        while True:
            try:
                response = await session.request(
                    method,
                    yarl.URL(url, encoded=True),
                    headers=headers,
                    data=body() if has_body else None,
                    timeout=timeout,
                    allow_redirects=False,
                    compress=None,
                )
                break
            except (TimeoutError, aiohttp.ClientError) as exc:
                # aiohttp sends the body in a task of its own: what our body generator
                # raised comes back as the cause of a connection error.
                if isinstance(exc.__cause__, BodyTooLarge):
                    await problem_response(413, detail=_TOO_LARGE)(scope, receive, send)
                    return
                if isinstance(exc.__cause__, ClientGone):
                    return
                retry = (
                    method in IDEMPOTENT
                    and not consumed
                    and attempt < upstream.retries
                    and isinstance(exc, _RETRYABLE)
                )
                if retry:
                    attempt += 1
                    continue
                error = classify_proxied(exc, upstream.name)
                status = status_of(error)
                log.warning("%s %s: %s", upstream.name, status, type(exc).__name__)
                await problem_response(status, detail=str(error))(scope, receive, send)
                return
        await self._relay(response, send)

    def _headers(self, scope: Scope) -> list[tuple[str, str]]:
        # One pass over the client's headers; aiohttp takes them as text (latin-1 is
        # byte for byte).
        headers: list[tuple[str, str]] = []
        forwarded_for = host = traceparent = tracestate = None
        for k, v in scope["headers"]:
            if k in _NOT_FORWARDED:
                if k == b"x-forwarded-for":
                    forwarded_for = v
                elif k == b"host":
                    host = v
                elif k == b"traceparent":
                    traceparent = v
                elif k == b"tracestate":
                    tracestate = v
                continue
            headers.append((k.decode("latin-1"), v.decode("latin-1")))
        client = client_address(scope)
        if client:
            chain = f"{forwarded_for.decode('latin-1')}, {client}" if forwarded_for else client
            headers.append(("x-forwarded-for", chain))
        if host:
            headers.append(("x-forwarded-host", host.decode("latin-1")))
        headers.append(("x-forwarded-proto", scope.get("scheme", "http")))
        headers.append(("x-request-id", request_id(scope).decode("latin-1")))
        # The current span's context when tracing runs, else the client's as it came.
        carrier: dict[str, str] = {}
        inject(carrier)
        for name, given in (("traceparent", traceparent), ("tracestate", tracestate)):
            value = carrier.get(name)
            if value:
                headers.append((name, value))
            elif given:
                headers.append((name, given.decode("latin-1")))
        return headers

    async def _relay(self, response: aiohttp.ClientResponse, send: Send) -> None:
        headers = [(k, v) for k, v in response.raw_headers if k.lower() not in _NOT_RETURNED]
        try:
            await send(
                {"type": "http.response.start", "status": response.status, "headers": headers}
            )
            async for chunk in response.content.iter_any():
                message: Message = {"type": "http.response.body", "body": chunk, "more_body": True}
                await send(message)
            await send({"type": "http.response.body", "body": b"", "more_body": False})
        except (TimeoutError, aiohttp.ClientError) as exc:
            # The status is gone already: cutting the connection is the only way left to
            # tell the client the body is incomplete.
            log.warning("%s broke off its answer: %s", self.upstream.name, type(exc).__name__)
            response.close()
            raise
        except BaseException:
            # The client went away mid-answer: the connection cannot be reused.
            response.close()
            raise
        response.release()
