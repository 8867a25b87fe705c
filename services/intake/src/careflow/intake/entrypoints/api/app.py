"""create_app(settings=None): intake's HTTP API, consumers, relay and 72-hour closer."""

from __future__ import annotations

from fastapi import FastAPI

from careflow.intake.application.context import Clock
from careflow.intake.bootstrap import build, system_clock
from careflow.intake.domain.errors import (
    DomainError,
    InvalidInput,
    NotFound,
    NotPermitted,
    WrongState,
)
from careflow.intake.entrypoints.api.routes import professionals, residents
from careflow.intake.entrypoints.worker import loops, subscribers
from careflow.intake.settings import Settings
from careflow.shared.service.app import create_service_app

#: Every refusal of a rule as an HTTP status (other DomainErrors: 409). The detail is
#: the rule's message, written by the rule and never quoting input.
STATUSES: dict[type[Exception], int] = {
    InvalidInput: 422,
    NotPermitted: 403,
    NotFound: 404,
    WrongState: 409,
}


def create_app(settings: Settings | None = None, *, clock: Clock = system_clock) -> FastAPI:
    """The composition root: builds the container and declares what the process runs."""
    container = build(settings or Settings(), clock=clock)
    app = create_service_app(
        container.runtime,
        routers=[residents.router, professionals.router],
        title="CareFlow intake",
        consumers=subscribers.consumers(container),
        background=loops.background(container),
        domain_errors=(DomainError, STATUSES),
    )
    app.state.container = container
    return app
