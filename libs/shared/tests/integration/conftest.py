"""Fixtures of the platform integration tests."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import pytest

from careflow.local.tansu import TansuBroker
from careflow.shared.service.runtime import ServiceRuntime
from careflow.testing.probe_service import prepare_database, probe_runtime, settings_for


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
