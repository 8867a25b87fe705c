"""Proxied HTTP requests on a lean ASGI path, beside FastAPI rather than through it.

Every proxied request used to cross FastAPI's telemetry wrapper, Starlette's error and
exception middlewares, the HTTP metrics, admission and edge-header middlewares (each
wrapping `send` once more and copying the response headers) and the router's regex
match over every route: about a fifth of the gateway's CPU per proxied request. Here
a request whose path starts with a service's prefix is matched by one dict lookup and
gets the same edge, in the same order, with one `send` wrapper:

1. the request id (`edges.assign_request_id`, as `EdgeHeaders`);
2. a server span, as the platform's sampler decides (`telemetry.sample_ratio`; the
   span's context is what `traceparent` passes on);
3. admission (the platform's `Admission`: 503 when the proxy is at capacity);
4. the route endpoint, `HttpProxy`: token, rate limits, route check, body limit,
   the pooled call, bodies streamed;
5. on the way out: the security headers and the request id on the answer, the HTTP
   metrics (`careflow_http_requests` / `_duration` by route template and status).

What is not proxied HTTP takes the FastAPI stack as before: the gateway's own routes,
WebSockets, paths that match no prefix, and - when CORS is on - any request with an
`Origin` (CORSMiddleware answers preflights and decorates answers there).
"""

from __future__ import annotations

import logging
import time
from typing import Any

from fastapi import FastAPI
from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.propagate import extract
from opentelemetry.trace import SpanKind, StatusCode
from starlette.types import Message, Receive, Scope, Send

from careflow.gateway.entrypoints.api.edges import (
    add_edge_headers,
    assign_request_id,
    security_headers,
)
from careflow.gateway.entrypoints.api.proxy import HttpProxy
from careflow.shared.http.admission import Admission
from careflow.shared.http.problems import problem_response
from careflow.shared.settings import AdmissionLimits
from careflow.shared.telemetry.metrics import HTTP_METRICS

log = logging.getLogger(__name__)

_TRACE_HEADERS = {b"traceparent": "traceparent", b"tracestate": "tracestate"}
_PROXY = "careflow.gateway.proxy"


class ProxiedPath:
    """The edge of proxied HTTP requests (module docstring)."""

    def __init__(self, proxies: list[HttpProxy], admission: AdmissionLimits, *, cors: bool) -> None:
        self._proxies = {p.upstream.prefix: p for p in proxies}
        self._admission = Admission(self._endpoint, admission)
        self._cors = cors
        self._tracer = trace.get_tracer("careflow.gateway")

    def match(self, scope: Scope) -> HttpProxy | None:
        """The proxy of `/<prefix>/...`, as the route `<prefix>/{path:path}` matched."""
        path: str = scope["path"]
        end = path.find("/", 1)
        proxy = self._proxies.get(path[:end]) if end > 0 else None
        if proxy is not None and self._cors and any(k == b"origin" for k, _ in scope["headers"]):
            return None
        return proxy

    async def __call__(self, scope: Scope, receive: Receive, send: Send, proxy: HttpProxy) -> None:
        rid = assign_request_id(scope)
        extra = security_headers(scope["path"])
        method: str = scope["method"]
        route = proxy.label.path
        started = time.perf_counter()
        status = 0
        span, token = self._start_span(scope, method, route)

        async def edge_send(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = message.get("headers")
                if not isinstance(headers, list):
                    headers = message["headers"] = list(headers or ())
                add_edge_headers(headers, extra, rid)
            await send(message)

        scope[_PROXY] = proxy
        try:
            await self._admission(scope, receive, edge_send)
        except Exception as exc:
            if status:
                raise  # the answer is under way: only cutting the connection is left
            # Method and route only: paths and bodies may hold ids and health data.
            log.error(
                "unhandled error on %s %s",
                method,
                route,
                exc_info=(type(exc), exc, exc.__traceback__),
            )
            await problem_response(500, detail="An unexpected error occurred.")(
                scope, receive, edge_send
            )
        finally:
            HTTP_METRICS.record(method, route, status or 500, time.perf_counter() - started)
            if span.is_recording():
                span.set_attribute("http.response.status_code", status or 500)
                if not status or status >= 500:
                    span.set_status(StatusCode.ERROR)
            span.end()
            otel_context.detach(token)

    def _start_span(self, scope: Scope, method: str, route: str) -> tuple[trace.Span, Any]:
        carrier = {
            _TRACE_HEADERS[k]: v.decode("latin-1")
            for k, v in scope["headers"]
            if k in _TRACE_HEADERS
        }
        parent = extract(carrier) if carrier else None
        span = self._tracer.start_span(
            f"{method} {route}",
            context=parent,
            kind=SpanKind.SERVER,
            # url.path is redacted by the platform's UrlRedaction when the span starts.
            attributes={
                "http.request.method": method,
                "http.route": route,
                "url.scheme": scope.get("scheme", "http"),
                "url.path": scope["path"],
            },
        )
        return span, otel_context.attach(trace.set_span_in_context(span, parent))

    @staticmethod
    async def _endpoint(scope: Scope, receive: Receive, send: Send) -> None:
        await scope[_PROXY](scope, receive, send)


class GatewayApp(FastAPI):
    """FastAPI, with proxied HTTP requests taken off before its stack (`ProxiedPath`)."""

    proxied: ProxiedPath | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        proxied = self.proxied
        if proxied is not None and scope["type"] == "http":
            proxy = proxied.match(scope)
            if proxy is not None:
                scope["app"] = self
                await proxied(scope, receive, send, proxy)
                return
        await super().__call__(scope, receive, send)
