"""Connections the database dropped (a restart, a failover) heal without a service restart."""

from __future__ import annotations

import uuid

import asyncpg
from sqlalchemy.exc import DBAPIError

from careflow.shared.db.engine import asyncpg_dsn
from careflow.shared.db.outage import is_database_outage
from careflow.shared.service.runtime import ServiceRuntime
from careflow.testing.probe_service import effects_of, emit, probe, wait_until


async def _drop_connections(url: str) -> int:
    """Ends every server process of this database but the caller's, as a restart would."""
    conn = await asyncpg.connect(asyncpg_dsn(url))
    try:
        return await conn.fetchval(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
    finally:
        await conn.close()


async def test_after_the_database_dropped_every_connection_work_resumes(
    running: ServiceRuntime, probe_db: str
):
    first, later = uuid.uuid4(), uuid.uuid4()
    await emit(running, [probe(first, 0)])
    await wait_until(lambda: effects_of(running, first))

    assert await _drop_connections(probe_db) > 0
    # Without a pre-ping the first use of a dropped pooled connection fails (an HTTP
    # request would answer 503, nothing acknowledged); the whole pool is then discarded,
    # so the retry gets a fresh connection: a second failure fails this test. The first
    # statement may be SQLAlchemy's or one on the driver (careflow.shared.db.driver).
    failed: list[BaseException] = []
    try:
        await emit(running, [probe(later, 0)])
    except Exception as exc:
        failed.append(exc)
        await emit(running, [probe(later, 0)])
    assert all(is_database_outage(exc) for exc in failed), failed
    assert all(exc.connection_invalidated for exc in failed if isinstance(exc, DBAPIError))
    # The relay (its LISTEN connection dropped too) and the consumer carry on by themselves.
    await wait_until(lambda: effects_of(running, later), within=30)
    assert [(s, a) for s, a, _ in await effects_of(running, later)] == [(0, 1)]
