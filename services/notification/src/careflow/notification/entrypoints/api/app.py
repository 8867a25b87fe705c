"""`create_app(settings=None)`: the HTTP API, consumers, relay and senders of one process."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from fastapi import FastAPI

from careflow.notification.application.context import utc_now
from careflow.notification.bootstrap import build
from careflow.notification.domain.errors import DomainError, InvalidInput, NotAllowed, NotFound
from careflow.notification.entrypoints.api.routes import history
from careflow.notification.entrypoints.worker import loops, subscribers
from careflow.notification.settings import Settings
from careflow.shared.service.app import create_service_app

#: Every refusal of a rule as an HTTP status (other DomainErrors: 409). The detail is
#: the rule's message, written by the rule and never quoting input.
STATUSES: dict[type[Exception], int] = {NotFound: 404, NotAllowed: 403, InvalidInput: 422}


def create_app(
    settings: Settings | None = None, *, clock: Callable[[], datetime] = utc_now
) -> FastAPI:
    """The composition root: builds the container and declares what the process runs."""
    container = build(settings or Settings(), clock=clock)
    app = create_service_app(
        container.runtime,
        routers=[history.router],
        title="CareFlow notification",
        consumers=subscribers.consumers(container),
        background=loops.background(container),
        domain_errors=(DomainError, STATUSES),
    )
    app.state.container = container
    return app
