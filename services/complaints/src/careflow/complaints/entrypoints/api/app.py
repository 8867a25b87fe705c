"""`create_app(settings=None)`: the HTTP API, relay and background loops of one process."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from fastapi import FastAPI

from careflow.complaints.application.context import utc_now
from careflow.complaints.bootstrap import build
from careflow.complaints.domain.errors import (
    DirectoryUnavailable,
    DomainError,
    HandledElsewhere,
    InvalidInput,
    NotAllowed,
    NotFound,
    Refused,
    ServiceClosed,
)
from careflow.complaints.entrypoints.api.routes import (
    addressing,
    admin,
    integration,
    residents,
    staff,
    support,
)
from careflow.complaints.entrypoints.worker import loops, subscribers
from careflow.complaints.settings import Settings
from careflow.shared.service.app import create_service_app

#: Every refusal of a rule as an HTTP status (other DomainErrors: 409). The detail is
#: the rule's message, written by the rule and never quoting input.
STATUSES: dict[type[Exception], int] = {
    NotFound: 404,
    NotAllowed: 403,
    InvalidInput: 422,
    Refused: 409,
    ServiceClosed: 409,
    HandledElsewhere: 409,
    DirectoryUnavailable: 503,
}


def create_app(
    settings: Settings | None = None, *, clock: Callable[[], datetime] = utc_now
) -> FastAPI:
    """The composition root: builds the container and declares what the process runs."""
    container = build(settings or Settings(), clock=clock)
    app = create_service_app(
        container.runtime,
        routers=[
            residents.router,
            staff.router,
            staff.audit_router,
            admin.router,
            support.router,
            addressing.router,
            integration.router,
        ],
        title="CareFlow complaints",
        consumers=subscribers.consumers(container),
        background=loops.background(container),
        domain_errors=(DomainError, STATUSES),
    )
    app.state.container = container
    return app
