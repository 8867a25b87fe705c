"""`create_app(settings=None)`: HTTP API, consumers, relay and loops of one workqueue process."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from fastapi import FastAPI

from careflow.shared.service.app import create_service_app
from careflow.workqueue.bootstrap import build, utc_now
from careflow.workqueue.domain.errors import (
    AlreadyTaken,
    DomainError,
    InvalidRequest,
    InvalidState,
    ItemNotFound,
    NotAllowed,
)
from careflow.workqueue.entrypoints.api.routes import audit, items, queue
from careflow.workqueue.entrypoints.worker import loops, subscribers
from careflow.workqueue.settings import Settings

#: Every refusal of a rule as an HTTP status (other DomainErrors: 409). The detail is
#: the rule's message, written by the rule and never quoting input.
STATUSES: dict[type[Exception], int] = {
    ItemNotFound: 404,
    NotAllowed: 403,
    InvalidRequest: 422,
    AlreadyTaken: 409,
    InvalidState: 409,
}


def create_app(
    settings: Settings | None = None, *, clock: Callable[[], datetime] = utc_now
) -> FastAPI:
    """The composition root: builds the container and declares what the process runs."""
    container = build(settings or Settings(), clock=clock)
    app = create_service_app(
        container.runtime,
        routers=[queue.router, items.router, audit.router],
        title="CareFlow work queue",
        consumers=subscribers.consumers(container),
        background=loops.background(container),
        domain_errors=(DomainError, STATUSES),
    )
    app.state.container = container
    return app
