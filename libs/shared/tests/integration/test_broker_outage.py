"""Broker outages: nothing written to the outbox is lost, order per key holds."""

from __future__ import annotations

import asyncio
import uuid

from aiokafka.admin import AIOKafkaAdminClient
from sqlalchemy import text

from careflow.contracts.registry import TOPICS
from careflow.local.tansu import TansuBroker
from careflow.shared.messaging.topics_cli import ensure_topics_retrying
from careflow.shared.service.runtime import ServiceRuntime
from careflow.shared.settings import BrokerSettings
from careflow.testing.probe_service import (
    effects_of,
    emit,
    probe,
    probe_runtime,
    record_effect,
    settings_for,
    wait_until,
)


async def _topics(bootstrap: str) -> set[str]:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        return set(await admin.list_topics())
    finally:
        await admin.close()


async def _in_order(runtime: ServiceRuntime, keys: list[uuid.UUID], per_key: int) -> bool:
    for key in keys:
        rows = await effects_of(runtime, key)
        if len(rows) != per_key:
            return False
    return True


async def test_events_written_while_broker_is_down_arrive_in_order_after_restart(
    probe_db: str, own_broker: TansuBroker
):
    runtime = probe_runtime(settings_for(probe_db, own_broker.bootstrap_servers))
    await runtime.start()
    try:
        warmup = uuid.uuid4()
        await emit(runtime, [probe(warmup, 0)])
        await wait_until(lambda: effects_of(runtime, warmup))

        own_broker.stop()  # memory storage: topics, offsets and groups are gone
        keys = [uuid.uuid4() for _ in range(5)]
        for n in range(20):  # 100 events, 100 transactions, interleaved keys
            for key in keys:
                await emit(runtime, [probe(key, n)])
        await asyncio.sleep(2)
        own_broker.start()

        await wait_until(lambda: _in_order(runtime, keys, 20), within=120)
        expected = {t.name for t in TOPICS} | {t.dlq for t in TOPICS}

        # Tansu's topic list can come back empty for a moment after a restart.
        async def all_topics_listed() -> bool:
            return expected <= await _topics(own_broker.bootstrap_servers)

        await wait_until(all_topics_listed, within=10)
        for key in keys:
            rows = await effects_of(runtime, key)
            assert [applied for _s, applied, _a in rows] == [1] * 20
            arrivals = [arrival for _s, _applied, arrival in rows]
            assert arrivals == sorted(arrivals), f"key {key} applied out of order"

        # The same process keeps working on the restarted broker: no service restart.
        after = uuid.uuid4()
        await emit(runtime, [probe(after, 0)])
        await wait_until(lambda: effects_of(runtime, after), within=60)
    finally:
        await runtime.stop()


async def test_a_broker_that_lost_its_state_is_recovered_from_although_another_process_recreated_the_topics(  # noqa: E501
    probe_db: str, own_broker: TansuBroker
):
    """Seen in `make chaos`: after a broker restart the first service to look re-creates
    every topic; the others found them present, did not recover, and lost what the broker
    had acknowledged but not yet delivered."""
    gate = asyncio.Event()

    async def held(event, envelope, uow) -> None:  # type: ignore[no-untyped-def]
        await gate.wait()
        await record_effect(event, envelope, uow)

    settings = settings_for(probe_db, own_broker.bootstrap_servers)
    # One record per batch: the partition is paused two records in, so the rest of what
    # is published stays on the broker, unfetched, when it goes.
    settings = settings.model_copy(
        update={"consumer": settings.consumer.model_copy(update={"batch_max_records": 1})}
    )
    runtime = probe_runtime(settings, handler=held)
    await runtime.start()
    try:
        key = uuid.uuid4()
        await emit(runtime, [probe(key, n) for n in range(10)])
        await wait_until(lambda: _all_published(runtime), within=30)

        own_broker.stop()  # memory storage: the eight unfetched events are gone
        await asyncio.sleep(3)
        own_broker.start()
        # Another service's keeper wins the race and re-creates every topic at once.
        await ensure_topics_retrying(
            BrokerSettings(bootstrap_servers=own_broker.bootstrap_servers), TOPICS, within=30
        )
        gate.set()

        async def all_ten() -> bool:
            return len(await effects_of(runtime, key)) == 10

        await wait_until(all_ten, within=120)
        assert sorted(s for s, _a, _r in await effects_of(runtime, key)) == list(range(10))
    finally:
        gate.set()
        await runtime.stop()


async def _all_published(runtime: ServiceRuntime) -> bool:
    async with runtime.engine.connect() as conn:
        unpublished = await conn.scalar(
            text("SELECT count(*) FROM outbox WHERE published_at IS NULL")
        )
    return unpublished == 0


async def test_a_process_killed_before_it_saw_the_broker_lose_its_state_re_publishes_at_start(
    probe_db: str, own_broker: TansuBroker
):
    """Seen in `make chaos`: intake killed seconds after a broker restart, before its
    keeper noticed; the events the broker had acknowledged and then lost were marked
    published, and its next process did not know to send them again."""
    never = asyncio.Event()

    async def stuck(event, envelope, uow) -> None:  # type: ignore[no-untyped-def]
        await never.wait()

    settings = settings_for(probe_db, own_broker.bootstrap_servers)
    first = probe_runtime(settings, handler=stuck)
    await first.start()
    key = uuid.uuid4()
    try:
        await emit(first, [probe(key, n) for n in range(5)])
        await wait_until(lambda: _all_published(first), within=30)
    finally:
        await first.stop()  # the process is gone; nothing was applied
    own_broker.stop()  # memory storage: the five events are gone
    own_broker.start()

    second = probe_runtime(settings)
    await second.start()
    try:

        async def all_five() -> bool:
            return len(await effects_of(second, key)) == 5

        await wait_until(all_five, within=120)
    finally:
        await second.stop()
