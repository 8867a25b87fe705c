"""`create_app(settings=None)`: the gateway's HTTP edge, its own routes and its loops."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from fastapi import FastAPI
from starlette.middleware.cors import CORSMiddleware
from starlette.routing import Route, WebSocketRoute

from careflow.gateway.bootstrap import Container, build
from careflow.gateway.domain.errors import DomainError
from careflow.gateway.entrypoints.api.edges import EdgeHeaders
from careflow.gateway.entrypoints.api.fast_path import GatewayApp, ProxiedPath
from careflow.gateway.entrypoints.api.proxy import HttpProxy
from careflow.gateway.entrypoints.api.routes import audit
from careflow.gateway.entrypoints.api.statuses import STATUSES
from careflow.gateway.entrypoints.api.websocket import WebSocketProxy
from careflow.gateway.entrypoints.worker import loops, subscribers
from careflow.gateway.settings import Settings
from careflow.shared.service.app import create_service_app

#: What browsers may send and read across origins.
_CORS_HEADERS = ["Authorization", "Content-Type", "Traceparent", "X-Request-Id"]
_CORS_EXPOSED = ["Retry-After", "X-Request-Id", "Location", "WWW-Authenticate"]


def create_app(
    settings: Settings | None = None, *, clock: Callable[[], float] = time.time
) -> FastAPI:
    """The composition root: builds the container and declares what the process runs."""
    container = build(settings or Settings(), clock=clock)
    app = create_service_app(
        container.runtime,
        routers=[audit.router],
        title="CareFlow API",
        consumers=subscribers.consumers(container),
        background=loops.background(container),
        domain_errors=(DomainError, STATUSES),
        # Bodies stream through; the proxy holds the body limit itself.
        request_edges=False,
        # Proxied HTTP requests take a lean path beside FastAPI's stack (fast_path.py).
        app_class=GatewayApp,
    )
    assert isinstance(app, GatewayApp)
    app.state.container = container
    proxies = _routes(app, container)
    _merged_openapi(app, container)
    cors = container.settings.cors
    app.proxied = ProxiedPath(proxies, container.settings.admission, cors=bool(cors.allow_origins))
    if cors.allow_origins:
        # A preflight is answered before any token or limit is asked for.
        app.add_middleware(
            CORSMiddleware,
            allow_origins=cors.allow_origins,
            allow_methods=["GET", "POST", "PUT", "PATCH", "DELETE"],
            allow_headers=_CORS_HEADERS,
            expose_headers=_CORS_EXPOSED,
            max_age=cors.max_age_seconds,
        )
    # Outermost: every answer, a preflight's too, gets the request id and security headers.
    app.add_middleware(EdgeHeaders)
    return app


def _routes(app: FastAPI, container: Container) -> list[HttpProxy]:
    """The routes of every service's prefix; proxied HTTP requests reach the same
    endpoints through `ProxiedPath` unless they need the FastAPI stack (CORS)."""
    proxies = []
    for upstream in container.routes.upstreams:
        path = f"{upstream.prefix}/{{path:path}}"
        proxy = HttpProxy(container, upstream)
        proxies.append(proxy)
        app.router.routes.append(Route(path, proxy, include_in_schema=False))
        app.router.routes.append(WebSocketRoute(path, WebSocketProxy(container, upstream)))
    return proxies


def _merged_openapi(app: FastAPI, container: Container) -> None:
    own: Callable[[], dict[str, Any]] = app.openapi
    container.document.own = own
    app.openapi = container.document.current  # type: ignore[method-assign]
