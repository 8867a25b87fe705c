"""create_app(settings=None): intake's HTTP API, consumers, relay and 72-hour closer."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from careflow.intake.application.context import Clock
from careflow.intake.bootstrap import bootstrap, system_clock
from careflow.intake.domain.errors import DomainError, InvalidInput, NotFound, NotPermitted
from careflow.intake.entrypoints.api.routes import professionals, residents
from careflow.intake.settings import Settings
from careflow.shared.http.problems import problem_response
from careflow.shared.service.app import create_service_app

_STATUS = {InvalidInput: 422, NotPermitted: 403, NotFound: 404}


async def _on_domain_error(_: Request, exc: Exception) -> JSONResponse:
    # The message is written by the rule, never quoted from input.
    status = next((s for kind, s in _STATUS.items() if isinstance(exc, kind)), 409)
    return problem_response(status, detail=str(exc))


def create_app(settings: Settings | None = None, *, clock: Clock = system_clock) -> FastAPI:
    wiring = bootstrap(settings or Settings(), clock=clock)
    app = create_service_app(
        wiring.runtime, routers=[residents.router, professionals.router], title="CareFlow intake"
    )
    app.state.intake = wiring.intake
    app.state.closer = wiring.closer
    app.state.intake_runtime = wiring.runtime
    app.add_exception_handler(DomainError, _on_domain_error)
    return app
