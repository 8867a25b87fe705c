"""`create_app(settings=None)`: the HTTP API, consumers and relay of one workqueue process."""

from __future__ import annotations

from fastapi import FastAPI

from careflow.shared.service.app import create_service_app
from careflow.workqueue.bootstrap import build
from careflow.workqueue.entrypoints.api.routes import audit, items, queue
from careflow.workqueue.settings import Settings


def create_app(settings: Settings | None = None) -> FastAPI:
    """Builds the app; everything connects in its lifespan, nothing at import."""
    container = build(settings or Settings())
    app = create_service_app(
        container.runtime,
        routers=[queue.router, items.router, audit.router],
        title="CareFlow work queue",
    )
    app.state.container = container
    return app
