"""Fixtures of the platform integration tests."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from careflow.local.tansu import TansuBroker
from careflow.shared.service.runtime import ServiceRuntime
from careflow.testing.probe_service import prepare_database, probe_runtime, settings_for


@pytest.fixture
async def engine(fresh_database: str, request: pytest.FixtureRequest) -> AsyncIterator[AsyncEngine]:
    """An engine on a fresh database holding the tables of the test module's `metadata`."""
    engine = create_async_engine(fresh_database)
    async with engine.begin() as connection:
        await connection.run_sync(request.module.metadata.create_all)
    yield engine
    await engine.dispose()


@pytest.fixture
async def probe_db(fresh_database: str) -> str:
    await prepare_database(fresh_database)
    return fresh_database


@pytest.fixture
async def running(probe_db: str, kafka) -> AsyncIterator[ServiceRuntime]:  # type: ignore[no-untyped-def]
    runtime = probe_runtime(settings_for(probe_db, kafka.bootstrap_servers))
    await runtime.start()
    yield runtime
    await runtime.stop()


@pytest.fixture
def own_broker() -> Iterator[TansuBroker]:
    """A broker of the test's own: stopping it must not disturb other tests."""
    broker = TansuBroker()
    broker.start()
    yield broker
    broker.stop()
