"""A miniature service built from the platform kit: probes in, effects counted.

Used by the platform's own tests and by `make bench`; no business rules.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable
from datetime import UTC, datetime

from aiokafka.structs import ConsumerRecord
from sqlalchemy import Column, Integer, String, Table, select, text
from sqlalchemy.ext.asyncio import create_async_engine

from careflow.contracts.envelope import Envelope
from careflow.contracts.probes import ProbeEmitted
from careflow.contracts.registry import PLATFORM_PROBES
from careflow.shared.db.metadata import new_metadata
from careflow.shared.messaging.consumer import EventConsumer
from careflow.shared.outbox.platform_migration import create_current_platform_tables
from careflow.shared.outbox.unit_of_work import SqlUnitOfWork
from careflow.shared.service.runtime import ServiceRuntime
from careflow.shared.settings import (
    BrokerSettings,
    DatabaseSettings,
    RelaySettings,
    ServiceSettings,
)
from careflow.testing.settings import quick_consumer

test_metadata = new_metadata()
effects = Table(
    "probe_effects",
    test_metadata,
    Column("probe_id", String(64), primary_key=True),
    Column("sequence", Integer, primary_key=True),
    Column("applied", Integer, nullable=False),
    Column("arrival", Integer, nullable=False),
)


async def prepare_database(url: str) -> None:
    engine = create_async_engine(url, hide_parameters=True)
    async with engine.begin() as conn:
        await conn.run_sync(create_current_platform_tables)
        await conn.run_sync(test_metadata.create_all)
        await conn.execute(text("CREATE SEQUENCE arrival_seq"))
    await engine.dispose()


# Plain SQL so the statement is compiled once (ON CONFLICT inserts are not cached).
RECORD_EFFECT = text(
    "INSERT INTO probe_effects (probe_id, sequence, applied, arrival) "
    "VALUES (:probe_id, :sequence, 1, nextval('arrival_seq')) "
    "ON CONFLICT (probe_id, sequence) DO UPDATE SET applied = probe_effects.applied + 1"
)


async def record_effect(event: ProbeEmitted, _envelope: Envelope, uow: SqlUnitOfWork) -> None:
    """The consumer's effect: +1 per application, so a duplicate would show as 2."""
    await uow.session.execute(
        RECORD_EFFECT, {"probe_id": str(event.probe_id), "sequence": event.sequence}
    )


# The same effect as a write of the unit of work's batch (positional parameters): it
# goes at the commit, in its one statement (careflow.shared.db.write_batch).
RECORD_EFFECT_WRITE = (
    "INSERT INTO probe_effects (probe_id, sequence, applied, arrival) "
    "VALUES ($1, $2, 1, nextval('arrival_seq')) "
    "ON CONFLICT (probe_id, sequence) DO UPDATE SET applied = probe_effects.applied + 1"
)


async def record_effect_at_commit(
    event: ProbeEmitted, _envelope: Envelope, uow: SqlUnitOfWork
) -> None:
    """`record_effect`, queued for the commit: the handler itself sends nothing."""
    uow.writes.add(RECORD_EFFECT_WRITE, str(event.probe_id), event.sequence)


def settings_for(db_url: str, bootstrap: str, **relay: object) -> ServiceSettings:
    return ServiceSettings(
        service_name="probe",
        database=DatabaseSettings(url=db_url, migrate_on_start=False),
        broker=BrokerSettings(bootstrap_servers=bootstrap, idempotent_producer=False),
        relay=RelaySettings(**{"idle_poll_seconds": 0.5, "retry_max_seconds": 1.0} | relay),  # type: ignore[arg-type]
        consumer=quick_consumer(),
    )


def probe_runtime(
    settings: ServiceSettings,
    *,
    group: str | None = None,
    handler: Callable[..., object] = record_effect,
    claim_at_commit: bool = False,
) -> ServiceRuntime:
    group_id = group or f"probe-{uuid.uuid4().hex[:8]}"

    def consumers(runtime: ServiceRuntime) -> list[EventConsumer[SqlUnitOfWork]]:
        consumer = EventConsumer(
            PLATFORM_PROBES,
            group=group_id,
            uow_factory=runtime.uow,
            producer=runtime.producer,
            settings=settings.consumer,
            claim_at_commit=claim_at_commit,
        )
        consumer.on(ProbeEmitted)(handler)  # type: ignore[arg-type]
        runtime.consumer = consumer  # type: ignore[attr-defined]
        return [consumer]

    return ServiceRuntime(settings, "probe", consumer_factory=consumers)


def probe(probe_id: uuid.UUID, sequence: int) -> ProbeEmitted:
    return ProbeEmitted(
        probe_id=probe_id, sequence=sequence, emitted_at=datetime.now(UTC), emitter="probe"
    )


async def emit(runtime: ServiceRuntime, events: list[ProbeEmitted]) -> None:
    async with runtime.uow() as uow:
        for event in events:
            uow.outbox.add(event)
        await uow.commit()


async def effects_of(runtime: ServiceRuntime, probe_id: uuid.UUID) -> list[tuple[int, int, int]]:
    async with runtime.sessions() as session:
        rows = await session.execute(
            select(effects.c.sequence, effects.c.applied, effects.c.arrival)
            .where(effects.c.probe_id == str(probe_id))
            .order_by(effects.c.sequence)
        )
        return [tuple(r) for r in rows]  # type: ignore[misc]


async def wait_until(predicate: Callable[[], object], within: float = 20.0) -> None:
    deadline = asyncio.get_running_loop().time() + within
    while True:
        result = predicate()
        if asyncio.iscoroutine(result):
            result = await result
        if result:
            return
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"condition not met within {within}s")
        await asyncio.sleep(0.05)


async def publish_raw(
    bootstrap_servers: str,
    topic: str,
    messages: list[tuple[bytes | None, bytes, list[tuple[str, bytes]]]],
) -> None:
    """Publishes (key, value, headers) as-is: duplicates, malformed input, replays."""
    from aiokafka import AIOKafkaProducer

    producer = AIOKafkaProducer(bootstrap_servers=bootstrap_servers, acks="all")
    await producer.start()
    try:
        for key, value, headers in messages:
            await producer.send_and_wait(topic, value=value, key=key, headers=headers)
    finally:
        await producer.stop()


def envelope_headers(event: ProbeEmitted, event_id: str | None = None) -> list[tuple[str, bytes]]:
    return Envelope(
        id=event_id or str(uuid.uuid4()),
        type=event.event_type,
        source="/careflow/tests",
        subject=event.key(),
    ).to_headers()


def probe_record(
    event: ProbeEmitted, offset: int = 0, extra_headers: list[tuple[str, bytes]] | None = None
) -> ConsumerRecord:
    """The record a consumer would fetch for `event`, for feeding a consumer directly."""
    return ConsumerRecord(
        topic=PLATFORM_PROBES.name,
        partition=0,
        offset=offset,
        timestamp=0,
        timestamp_type=0,
        key=event.key().encode(),
        value=event.model_dump_json().encode(),
        checksum=None,
        serialized_key_size=0,
        serialized_value_size=0,
        headers=envelope_headers(event) + (extra_headers or []),
    )
