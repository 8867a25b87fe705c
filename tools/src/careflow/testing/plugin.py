"""pytest plugin every CareFlow test suite loads (root pyproject `addopts`).

Session fixtures start one PostgreSQL server and one broker; each test that
needs isolation asks `fresh_database` for its own database.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator

import pytest
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from careflow.shared.settings import TelemetrySettings
from careflow.shared.telemetry.setup import configure_telemetry
from careflow.testing import hangs
from careflow.testing.servers import (
    BrokerForTests,
    PostgresForTests,
    ServiceDatabase,
    start_broker,
    start_postgres,
)

warnings.filterwarnings("ignore", message=".*XDG_RUNTIME_DIR.*")

_SPANS = InMemorySpanExporter()
_WATCHDOG = hangs.Watchdog()


def pytest_configure(config: pytest.Config) -> None:
    # Tests install the providers before any app does, with an in-memory
    # exporter so a test can read the spans it caused.
    configure_telemetry(
        TelemetrySettings(log_json=False, sample_ratio=1.0),  # every span, to assert on
        "tests",
        span_processors=[SimpleSpanProcessor(_SPANS)],
    )
    hangs.install()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_protocol(item: pytest.Item, nextitem: pytest.Item | None) -> object:
    # Setup, call and teardown together: a stuck fixture teardown is a hang too.
    _WATCHDOG.arm()
    try:
        return (yield)
    finally:
        _WATCHDOG.disarm()


@pytest.fixture(scope="session")
def span_exporter() -> InMemorySpanExporter:
    return _SPANS


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresForTests]:
    server = start_postgres()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def kafka(tmp_path_factory: pytest.TempPathFactory) -> Iterator[BrokerForTests]:
    broker = start_broker(tmp_path_factory.mktemp("broker"))
    yield broker
    broker.stop()


@pytest.fixture
async def fresh_database(postgres: PostgresForTests) -> str:
    """A new, empty database for this test; its asyncpg SQLAlchemy URL."""
    return await postgres.create_database()


@pytest.fixture
async def service_database(postgres: PostgresForTests) -> ServiceDatabase:
    """A new, empty database with an owner role for migrations and a service role that
    owns nothing, as a deployment has them (audit tables are append-only for the latter)."""
    return await postgres.create_service_database()
