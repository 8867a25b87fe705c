"""`create_app(settings=None)`: the HTTP API, consumers, relay and senders of one process."""

from __future__ import annotations

from fastapi import FastAPI

from careflow.notification.bootstrap import build
from careflow.notification.entrypoints.api.routes import history
from careflow.notification.settings import Settings
from careflow.shared.service.app import create_service_app


def create_app(settings: Settings | None = None) -> FastAPI:
    """Builds the app; everything connects in its lifespan, nothing at import."""
    container = build(settings or Settings())
    app = create_service_app(
        container.runtime, routers=[history.router], title="CareFlow notification"
    )
    app.state.container = container
    return app
