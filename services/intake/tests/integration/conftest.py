"""Intake against real PostgreSQL and the real broker; the API through httpx ASGI transport."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from careflow.intake.bootstrap import MIGRATIONS
from careflow.intake.domain.urgency_rules import RED_FLAGS
from careflow.intake.entrypoints.api.app import create_app
from careflow.intake.settings import CloserSettings, ParkingSettings, Settings
from careflow.shared.auth.claims import (
    AuthLevel,
    Child,
    Principal,
    ProfessionalPrincipal,
    ResidentPrincipal,
)
from careflow.shared.auth.signing import generate_keypair, load_signing_key, mint_token
from careflow.shared.db.migrate import migrate_async
from careflow.shared.settings import (
    AuthSettings,
    BrokerSettings,
    RelaySettings,
)
from careflow.testing.servers import ServiceDatabase
from careflow.testing.settings import quick_consumer


class Clock:
    def __init__(self) -> None:
        self.now = datetime.now(UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@pytest.fixture(scope="session")
def keys(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str, Any]:
    directory = tmp_path_factory.mktemp("keys")
    kid = generate_keypair(directory)
    _kid, key = load_signing_key(directory, kid)
    return directory, kid, key


@pytest.fixture
async def intake_db(service_database: ServiceDatabase) -> ServiceDatabase:
    """Migrated by the owner role; the service connects as a role that owns nothing."""
    await migrate_async(MIGRATIONS, service_database.settings())
    return service_database


PARKING_TIMEOUT_S = 600.0


def intake_settings(
    db: ServiceDatabase,
    bootstrap: str,
    jwks: Path,
    *,
    closer: bool = False,
    consumers: bool = False,
) -> Settings:
    return Settings(
        environment="test",
        database=db.settings(migrate_on_start=False, pool_size=5),
        broker=BrokerSettings(bootstrap_servers=bootstrap, idempotent_producer=False),
        relay=RelaySettings(idle_poll_seconds=0.5, retry_max_seconds=1.0),
        consumer=quick_consumer(),
        auth=AuthSettings(jwks_path=jwks / "jwks.json"),
        anonymous_pre_information_forms=["checkup-basic"],
        closer=CloserSettings(enabled=closer, poll_seconds=0.2),
        parking=ParkingSettings(timeout_seconds=PARKING_TIMEOUT_S, sweep_seconds=0.2),
        # Each test its own group: a new member of a shared group waits for a rebalance.
        consumer_group=f"intake-{uuid.uuid4().hex[:8]}",
        consumers_enabled=consumers,
    )


@dataclass
class Api:
    app: FastAPI
    client: httpx.AsyncClient
    clock: Clock
    db: ServiceDatabase
    token_for: Callable[[Principal], str]

    async def call(
        self, method: str, path: str, who: Principal | None, json: Any = None
    ) -> httpx.Response:
        headers = {"Authorization": f"Bearer {self.token_for(who)}"} if who else {}
        return await self.client.request(method, path, json=json, headers=headers)

    async def rows(self, sql: str, **params: Any) -> list[Any]:
        engine = create_async_engine(self.db.owner_url)
        try:
            async with engine.connect() as conn:
                return list(await conn.execute(text(sql), params))
        finally:
            await engine.dispose()


@pytest.fixture
async def api(intake_db: ServiceDatabase, kafka, keys) -> AsyncIterator[Api]:  # type: ignore[no-untyped-def]
    directory, kid, key = keys
    settings = intake_settings(intake_db, kafka.bootstrap_servers, directory)
    clock = Clock()
    app = create_app(settings, clock=clock)

    def token_for(principal: Principal) -> str:
        return mint_token(
            key, kid, principal, issuer=settings.auth.issuer, audience=settings.auth.audience
        )

    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://intake") as client,
    ):
        api = Api(app, client, clock, intake_db, token_for)
        yield api
        await drain_outbox(api)


@pytest.fixture
async def worker(intake_db: ServiceDatabase, kafka, keys) -> AsyncIterator[Api]:  # type: ignore[no-untyped-def]
    """The service with its consumers and parked-event sweeper running."""
    directory, kid, key = keys
    settings = intake_settings(intake_db, kafka.bootstrap_servers, directory, consumers=True)
    clock = Clock()
    app = create_app(settings, clock=clock)

    def token_for(principal: Principal) -> str:
        return mint_token(
            key, kid, principal, issuer=settings.auth.issuer, audience=settings.auth.audience
        )

    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://intake") as client,
    ):
        yield Api(app, client, clock, intake_db, token_for)


async def drain_outbox(api: Api) -> None:
    """Lets the relay finish publishing before the runtime stops.

    Stopping the runtime while the relay's first publish is in flight has hung
    teardown in this suite (see the service README, "Known gaps").
    """
    with contextlib.suppress(AssertionError):
        await wait_until(lambda: _nothing_pending(api), within=15.0)


async def _nothing_pending(api: Api) -> bool:
    return not await api.rows("SELECT id FROM outbox WHERE published_at IS NULL")


def resident(subject: str, children: list[tuple[str, str]] = ()) -> ResidentPrincipal:  # type: ignore[assignment]
    return ResidentPrincipal(
        subject=subject,
        auth_level=AuthLevel.STRONG,
        guardian_of=[Child(subject=s, birth_date=b) for s, b in children],
    )


def anonymous(subject: str = "anon-session") -> ResidentPrincipal:
    return ResidentPrincipal(subject=subject, auth_level=AuthLevel.ANONYMOUS)


def professional(
    subject: str = "nurse-1", org: str = "org-1", roles: list[str] | None = None
) -> ProfessionalPrincipal:
    return ProfessionalPrincipal(
        subject=subject, organisation=org, unit="unit-1", roles=roles or ["nurse"]
    )


#: Every red flag of the urgency rules answered "no".
NO_RED_FLAGS = {flag: False for flag in RED_FLAGS}
#: Fever for three days: P3 under symptoms-1.
FEVER = {**NO_RED_FLAGS, "fever": True, "symptom_days": 3}


def symptom_form(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "kind": "symptom_assessment",
        "language": "sv",
        "organisation_id": "org-1",
        "phone": "+358401234567",
        "answers": FEVER,
    }
    body.update(overrides)
    return body


async def wait_until(predicate: Callable[[], Any], within: float = 20.0) -> Any:
    deadline = asyncio.get_running_loop().time() + within
    while True:
        result = predicate()
        if asyncio.iscoroutine(result):
            result = await result
        if result:
            return result
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"condition not met within {within}s")
        await asyncio.sleep(0.1)
