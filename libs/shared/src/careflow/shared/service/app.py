"""`create_service_app`: the FastAPI application shell every service shares.

Health (`/healthz`, `/readyz`) and `/metrics` are the only routes without a
token; everything a service adds sits behind its own auth dependencies.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Iterable, Mapping, MutableMapping
from contextlib import asynccontextmanager
from typing import Any

from fastapi import APIRouter, FastAPI, Request, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from starlette.types import ASGIApp, Receive, Scope, Send

from careflow.shared.service.gc_tuning import freeze_startup_objects
from careflow.shared.service.runtime import BackgroundTask, ConsumerFactory, ServiceRuntime
from careflow.shared.service.stalls import StallWatch
from careflow.shared.telemetry.metrics import HTTP_METRICS
from careflow.shared.telemetry.setup import configure_logging, configure_telemetry


def create_service_app(
    runtime: ServiceRuntime,
    *,
    routers: Iterable[APIRouter] = (),
    title: str | None = None,
    consumers: ConsumerFactory | None = None,
    background: Iterable[BackgroundTask] = (),
    domain_errors: tuple[type[Exception], Mapping[type[Exception], int]] | None = None,
    request_edges: bool = True,
    app_class: type[FastAPI] = FastAPI,
) -> FastAPI:
    """The one call a service's composition root makes: routes, consumers, loops, errors.

    `consumers` and `background` are handed to the runtime here, so what a
    process runs is declared in one place (the service's `create_app`) and the
    service's `bootstrap` never needs to import an entry point. `request_edges=False`
    is for an app that passes bodies on as they stream (the gateway): the edges read a
    JSON body whole before the route sees it; such an app holds its own body limit.
    `app_class` is for an app that answers some requests before FastAPI's stack (the
    gateway's proxied path); it must be FastAPI or a subclass.
    """
    settings = runtime.settings
    if consumers is not None:
        runtime.consumer_factory = consumers
    runtime.background.extend(background)
    configure_telemetry(settings.telemetry, runtime.name, environment=settings.environment)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        configure_logging(settings.telemetry, runtime.name)
        from careflow.shared.auth.verify import TokenVerifier

        verifier = app.state.token_verifier = TokenVerifier(settings.auth)
        # The issuer's keys (AUTH__ISSUER_URL): fetched once before the first
        # request, then kept fresh in the background. An issuer that is down
        # delays start-up by the fetch timeout at most; its keys come later.
        await verifier.start()
        try:
            await runtime.start()
            if getattr(app.state, "freeze_gc_after_start", False):
                freeze_startup_objects(settings.gc)
            stalls = StallWatch(report_seconds=settings.telemetry.stall_report_seconds)
            stalls.start()
            try:
                yield
            finally:
                await stalls.stop()
                await runtime.stop()
        finally:
            await verifier.stop()

    app = app_class(
        title=title or f"CareFlow {runtime.name}",
        lifespan=lifespan,
        # FastAPI's own OpenTelemetry support: one server span per request, named by
        # route template, trace context taken from `traceparent`. It replaced the
        # contrib ASGI middleware, which matched the route a second time and recorded
        # more per request (a fifth of intake's CPU under the case-flow bench).
        # No operation spans (dependencies, serialisation: noise for on-call), no
        # exception logs (messages may quote what a resident typed), and the metrics
        # are HttpMetricsMiddleware's. UrlRedaction takes the ids out of url.path.
        telemetry={
            "tracing": True,
            "metrics": False,
            "logs": False,
            "operation_spans": False,
            "exclude": _not_traced,
        },
    )
    app.state.runtime = runtime
    from careflow.shared.http.admission import Admission
    from careflow.shared.http.edges import RequestEdges
    from careflow.shared.http.openapi import install_problem_openapi
    from careflow.shared.http.problems import install_problem_handlers

    install_problem_handlers(app, domain_errors=domain_errors)
    install_problem_openapi(app, set(domain_errors[1].values()) if domain_errors else ())
    app.include_router(_operational_routes(runtime))
    for router in routers:
        app.include_router(router)
    # Inside the metrics middleware, so refused requests are counted too; admission
    # outside the edges, so a request refused for overload is refused before its body
    # is read. The gateway checks its edges itself, streaming (request_edges=False).
    if request_edges:
        app.add_middleware(RequestEdges, limits=settings.request_limits)
    app.add_middleware(Admission, limits=settings.admission)
    app.add_middleware(HttpMetricsMiddleware)
    return app


def _operational_routes(runtime: ServiceRuntime) -> APIRouter:
    router = APIRouter(tags=["operations"])

    @router.get("/healthz", include_in_schema=False)
    async def healthz() -> JSONResponse:
        """Liveness: the process answers and none of its background tasks (relay, topic
        keeper, senders, timers) has died; a restart is the cure for one that has."""
        if runtime.dead_tasks:
            return JSONResponse({"status": "failed", "dead": runtime.dead_tasks}, status_code=503)
        return JSONResponse({"status": "ok"})

    @router.get("/readyz", include_in_schema=False)
    async def readyz() -> JSONResponse:
        """Readiness: the database answers and the broker is reachable."""
        checks = {
            "database": "ok" if await runtime.database_ready() else "unavailable",
            "broker": "ok" if runtime.broker_ready() else "unavailable",
        }
        ready = all(v == "ok" for v in checks.values())
        return JSONResponse(
            {"status": "ok" if ready else "unavailable", "checks": checks},
            status_code=200 if ready else 503,
        )

    @router.get("/metrics", include_in_schema=False)
    async def metrics() -> Response:
        """Prometheus exposition of the process's metrics."""
        return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)

    return router


class HttpMetricsMiddleware:
    """Counts requests by route template (never the raw path: it may hold ids)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = {"code": 500}

        async def capture(message: dict) -> None:  # type: ignore[type-arg]
            if message["type"] == "http.response.start":
                status["code"] = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, capture)  # type: ignore[arg-type]
        finally:
            HTTP_METRICS.record(
                scope["method"],
                getattr(scope.get("route"), "path", "<unmatched>"),
                status["code"],
                time.perf_counter() - started,
            )


_OPERATIONAL_PATHS = frozenset({"/healthz", "/readyz", "/metrics"})


def _not_traced(scope: MutableMapping[str, Any]) -> bool:
    """Probes and scrapes would be most of the spans and say nothing."""
    return scope.get("path") in _OPERATIONAL_PATHS


def runtime_of(request: Request) -> ServiceRuntime:
    return request.app.state.runtime  # type: ignore[no-any-return]
