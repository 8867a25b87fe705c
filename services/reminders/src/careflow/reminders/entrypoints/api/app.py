"""`create_app(settings=None)`: HTTP API, consumers, relay and scheduler of one process."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from fastapi import FastAPI

from careflow.reminders.application.context import utc_now
from careflow.reminders.bootstrap import build
from careflow.reminders.domain.errors import DomainError, InvalidInput, NotAllowed, NotFound
from careflow.reminders.entrypoints.api.routes import reminders, setup
from careflow.reminders.entrypoints.worker import loops, subscribers
from careflow.reminders.settings import Settings
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
        routers=[reminders.router, setup.router],
        title="CareFlow reminders",
        consumers=subscribers.consumers(container),
        background=loops.background(container),
        domain_errors=(DomainError, STATUSES),
    )
    app.state.container = container
    return app
