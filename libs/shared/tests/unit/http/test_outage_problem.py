"""A request that finds the database unreachable is answered 503 with Retry-After, as
problem details; a bug is still a 500."""

from __future__ import annotations

import asyncpg.exceptions as pg
import httpx
from fastapi import FastAPI
from sqlalchemy import exc as sa
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from careflow.local.ports import free_port
from careflow.shared.db.outage import is_database_outage
from careflow.shared.http.problems import install_problem_handlers


def _app() -> FastAPI:
    app = FastAPI()
    install_problem_handlers(app)
    # Nothing listens on this port: the connection is refused, as during a restart.
    engine = create_async_engine(f"postgresql+asyncpg://careflow@127.0.0.1:{free_port()}/none")

    @app.get("/query")
    async def query() -> dict[str, str]:
        async with engine.connect() as conn:
            await conn.execute(text("SELECT 1"))
        return {}

    @app.get("/bug")
    async def bug() -> dict[str, str]:
        raise FileNotFoundError("a template that is not there")

    return app


async def _get(path: str) -> httpx.Response:
    transport = httpx.ASGITransport(_app(), raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://svc") as client:
        return await client.get(path)


async def test_an_unreachable_database_is_a_503_with_retry_after():
    response = await _get("/query")
    assert response.status_code == 503
    assert response.headers["content-type"] == "application/problem+json"
    assert int(response.headers["Retry-After"]) > 0
    assert response.json()["status"] == 503


async def test_other_errors_stay_500():
    response = await _get("/bug")
    assert response.status_code == 500
    assert "Retry-After" not in response.headers


def _wrapped(orig: BaseException, *, invalidated: bool = False) -> sa.DBAPIError:
    """As SQLAlchemy raises it: the driver's error as the cause."""
    try:
        try:
            raise orig
        except BaseException as cause:
            raise sa.InternalError(
                "SELECT 1", {}, cause, connection_invalidated=invalidated
            ) from cause
    except sa.DBAPIError as wrapped:
        return wrapped


def test_outages_are_told_from_bugs():
    assert is_database_outage(_wrapped(pg.InternalClientError("cannot switch to state 12")))
    assert is_database_outage(_wrapped(pg.CannotConnectNowError("starting up")))
    assert is_database_outage(_wrapped(pg.AdminShutdownError("terminating")))
    assert is_database_outage(_wrapped(RuntimeError("x"), invalidated=True))
    assert is_database_outage(ConnectionRefusedError())
    # Raised bare on the driver path, by a pooled connection the server ended.
    assert is_database_outage(pg.InterfaceError("connection is closed"))
    assert not is_database_outage(pg.InterfaceError("another operation is in progress"))
    assert not is_database_outage(_wrapped(pg.UniqueViolationError("duplicate key")))
    assert not is_database_outage(FileNotFoundError())
    assert not is_database_outage(ValueError())
