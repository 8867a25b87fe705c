"""`create_app(settings=None)`: HTTP API, consumers, relay and loops of one messaging process."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from fastapi import FastAPI

from careflow.messaging.bootstrap import build, utc_now
from careflow.messaging.domain.errors import (
    DomainError,
    InvalidRequest,
    InvalidState,
    NotAllowed,
    NotFound,
    SendLimitReached,
)
from careflow.messaging.entrypoints.api.lean_sockets import LeanSocketsApp
from careflow.messaging.entrypoints.api.routes import (
    audit,
    case_messages,
    chat_channels,
    chat_socket,
    chats,
)
from careflow.messaging.entrypoints.worker import loops, subscribers
from careflow.messaging.settings import Settings
from careflow.shared.service.app import create_service_app

#: Every refusal of a rule as an HTTP status (other DomainErrors: 409). The detail is
#: the rule's message, written by the rule and never quoting input.
STATUSES: dict[type[Exception], int] = {
    NotFound: 404,
    NotAllowed: 403,
    InvalidRequest: 422,
    InvalidState: 409,
    SendLimitReached: 429,
}


def create_app(
    settings: Settings | None = None, *, clock: Callable[[], datetime] = utc_now
) -> FastAPI:
    """The composition root: builds the container and declares what the process runs."""
    container = build(settings or Settings(), clock=clock)
    app = create_service_app(
        container.runtime,
        routers=[
            case_messages.router,
            audit.router,
            chat_channels.router,
            chats.router,
            chat_socket.router,
        ],
        title="CareFlow messaging",
        consumers=subscribers.consumers(container),
        background=loops.background(container),
        domain_errors=(DomainError, STATUSES),
        # Open chat sockets skip the HTTP middleware stack: fewer objects per socket
        # for every full garbage collection to scan (lean_sockets).
        app_class=LeanSocketsApp,
    )
    app.state.container = container
    return app
