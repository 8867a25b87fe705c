"""RFC 9457 problem details: the one error body every CareFlow API returns.

Routes raise `Problem`; `install_problem_handlers(app)` turns it, request
validation errors, Starlette HTTP exceptions and unhandled exceptions into
`application/problem+json` responses. Bodies never carry request input: it may
hold health data, and error bodies end up in client logs and support tickets.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Iterator, Mapping
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match

from careflow.shared.db.outage import is_database_outage

PROBLEM_MEDIA_TYPE = "application/problem+json"
_STANDARD_MEMBERS = frozenset({"type", "title", "status", "detail", "instance"})

logger = logging.getLogger(__name__)


class ProblemResponse(JSONResponse):
    """A JSON response with the problem details media type."""

    media_type = PROBLEM_MEDIA_TYPE


def _phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"


def problem_response(
    status: int,
    title: str | None = None,
    detail: str | None = None,
    *,
    type: str = "about:blank",
    instance: str | None = None,
    extensions: Mapping[str, Any] | None = None,
    headers: Mapping[str, str] | None = None,
) -> JSONResponse:
    """Build an `application/problem+json` response."""
    extra = dict(extensions or {})
    clashing = _STANDARD_MEMBERS & extra.keys()
    if clashing:
        raise ValueError(f"extension members clash with standard ones: {sorted(clashing)}")
    # RFC 9457 §4.2.1: with about:blank the title should be the status phrase.
    body: dict[str, Any] = {"type": type, "title": title or _phrase(status), "status": status}
    if detail is not None:
        body["detail"] = detail
    if instance is not None:
        body["instance"] = instance
    body.update(extra)
    return ProblemResponse(body, status_code=status, headers=dict(headers or {}))


class Problem(Exception):
    """An HTTP error rendered as RFC 9457 problem details."""

    def __init__(
        self,
        status: int,
        title: str | None = None,
        detail: str | None = None,
        *,
        type: str = "about:blank",
        instance: str | None = None,
        extensions: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(status, title or _phrase(status), detail)
        self.status = status
        self.title = title or _phrase(status)
        self.detail = detail
        self.type = type
        self.instance = instance
        self.extensions = dict(extensions or {})
        self.headers = dict(headers or {})

    def to_response(self) -> JSONResponse:
        """Render this problem as a response."""
        return problem_response(
            self.status,
            self.title,
            self.detail,
            type=self.type,
            instance=self.instance,
            extensions=self.extensions,
            headers=self.headers,
        )


def _leaves(value: Any, depth: int = 0) -> Iterator[str]:
    if isinstance(value, bool) or value is None:
        return
    if isinstance(value, str | int | float):
        yield str(value)
    elif depth < 4 and isinstance(value, Mapping):
        for item in value.values():
            yield from _leaves(item, depth + 1)
    elif depth < 4 and isinstance(value, list | tuple):
        for item in value:
            yield from _leaves(item, depth + 1)


def _safe_message(error: Mapping[str, Any]) -> str:
    # Some pydantic messages quote the input (union tags, custom validators);
    # drop the message rather than echo what may be health data.
    message = str(error.get("msg", ""))
    if any(len(leaf) >= 2 and leaf in message for leaf in _leaves(error.get("input"))):
        return "Invalid value."
    return message


def validation_errors(exc: RequestValidationError) -> list[dict[str, Any]]:
    """List validation errors as {loc, msg, type}, without input values."""
    return [
        {"loc": list(error.get("loc", ())), "msg": _safe_message(error), "type": error.get("type")}
        for error in exc.errors()
    ]


async def _on_problem(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, Problem)
    return exc.to_response()


async def _on_validation_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    return problem_response(
        422,
        detail="The request is not valid.",
        extensions={"errors": validation_errors(exc)},
    )


def _allowed_methods(request: Request) -> str:
    # Starlette's 405 names the methods of the first route on the path only;
    # a path served by several routes (GET and PUT /me/contact) allows them all.
    methods: set[str] = set()
    for route in request.app.router.routes:
        match, _ = route.matches(request.scope)
        if match is not Match.NONE:
            methods |= getattr(route, "methods", None) or set()
    return ", ".join(sorted(methods))


async def _on_http_exception(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    title = _phrase(exc.status_code)
    # Starlette fills `detail` with the phrase when none is given; don't repeat it.
    detail = exc.detail if isinstance(exc.detail, str) and exc.detail != title else None
    headers = dict(exc.headers or {})
    if exc.status_code == 405:
        headers["Allow"] = _allowed_methods(request)
    return problem_response(exc.status_code, title, detail, headers=headers)


#: Seconds a client waits before trying again after a database outage: a PostgreSQL
#: restart or failover takes a few.
OUTAGE_RETRY_AFTER_SECONDS = 5


async def _on_unhandled(request: Request, exc: Exception) -> JSONResponse:
    if is_database_outage(exc):
        # Not a bug: the database is restarting or failing over. Method and path only.
        logger.warning(
            "database unavailable on %s %s: %s",
            request.method,
            request.url.path,
            type(exc).__name__,
        )
        return problem_response(
            503,
            detail=(
                "A system the service depends on is unavailable; "
                "try again after Retry-After seconds."
            ),
            headers={"Retry-After": str(OUTAGE_RETRY_AFTER_SECONDS)},
        )
    # Method and path only: bodies and query strings may hold health data.
    logger.error(
        "unhandled error on %s %s",
        request.method,
        request.url.path,
        exc_info=(type(exc), exc, exc.__traceback__),
    )
    return problem_response(500, detail="An unexpected error occurred.")


def domain_error_handler(
    statuses: Mapping[type[Exception], int], *, default: int = 409
) -> Callable[[Request, Exception], Awaitable[JSONResponse]]:
    """An exception handler rendering a service's domain errors as problem details.

    `statuses` maps error classes to HTTP statuses; the most specific class in
    the error's MRO wins, anything else derived from the handled base gets
    `default`. The detail is the rule's own message: domain errors are written
    by the rules and never quote input.
    """
    table = dict(statuses)

    async def handle(_: Request, exc: Exception) -> JSONResponse:
        status = next((table[k] for k in type(exc).__mro__ if k in table), default)
        detail = getattr(exc, "detail", None) or str(exc) or None
        return problem_response(status, detail=detail)

    return handle


def install_problem_handlers(
    app: FastAPI,
    *,
    domain_errors: tuple[type[Exception], Mapping[type[Exception], int]] | None = None,
) -> None:
    """Render every error `app` raises as problem details.

    `domain_errors` is (the service's domain error base, its status table):
    the one way a service turns its refusals into responses.
    """
    if domain_errors is not None:
        base, statuses = domain_errors
        app.add_exception_handler(base, domain_error_handler(statuses))
    app.add_exception_handler(Problem, _on_problem)
    app.add_exception_handler(RequestValidationError, _on_validation_error)
    app.add_exception_handler(StarletteHTTPException, _on_http_exception)
    # Starlette re-raises after this handler so the server still sees the
    # error; the client only ever gets the generic body.
    app.add_exception_handler(Exception, _on_unhandled)
