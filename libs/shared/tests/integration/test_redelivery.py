"""Redelivery never causes a second effect: the inbox makes consumers idempotent."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable

import pytest
from aiokafka import AIOKafkaConsumer
from aiokafka.structs import ConsumerRecord, TopicPartition
from sqlalchemy import text

from careflow.contracts.probes import ProbeEmitted
from careflow.contracts.registry import PLATFORM_PROBES
from careflow.shared.outbox.relay import OutboxRelay
from careflow.shared.service.runtime import ServiceRuntime
from careflow.testing.probe_service import (
    effects_of,
    emit,
    envelope_headers,
    probe,
    probe_runtime,
    publish_raw,
    settings_for,
    wait_until,
)


async def test_same_event_delivered_twice_has_one_effect(running: ServiceRuntime, kafka):
    event = probe(uuid.uuid4(), 0)
    headers = envelope_headers(event)
    body = event.model_dump_json().encode()
    await publish_raw(
        kafka.bootstrap_servers,
        PLATFORM_PROBES.name,
        [(event.key().encode(), body, headers), (event.key().encode(), body, headers)],
    )
    await wait_until(lambda: effects_of(running, event.probe_id))
    await asyncio.sleep(1.0)
    assert [(s, applied) for s, applied, _ in await effects_of(running, event.probe_id)] == [(0, 1)]


async def test_fifty_redeliveries_under_load_have_no_second_effect(running: ServiceRuntime, kafka):
    probe_id, background = uuid.uuid4(), uuid.uuid4()
    events = [probe(probe_id, n) for n in range(500)]
    messages = [
        (e.key().encode(), e.model_dump_json().encode(), envelope_headers(e, _fixed_id(e)))
        for e in events
    ]
    redeliveries = messages[::10]  # 50 events delivered a second time, same event ids
    await asyncio.gather(
        publish_raw(kafka.bootstrap_servers, PLATFORM_PROBES.name, messages + redeliveries),
        emit(running, [probe(background, n) for n in range(500)]),  # load on the same path
    )
    await _wait_or_explain(running, lambda: _all_applied(running, probe_id, 500), within=60)
    await _wait_or_explain(running, lambda: _all_applied(running, background, 500), within=60)
    await asyncio.sleep(1.0)
    assert {a for _s, a, _ in await effects_of(running, probe_id)} == {1}
    assert {a for _s, a, _ in await effects_of(running, background)} == {1}


async def test_relay_killed_between_publish_and_mark_delivers_again_with_one_effect(
    probe_db: str, kafka
):
    class Crash(Exception):
        pass

    async def crash_after_publish(_rows: object) -> None:
        raise Crash

    settings = settings_for(probe_db, kafka.bootstrap_servers, enabled=False)
    runtime = probe_runtime(settings)
    await runtime.start()
    outcomes: list[str] = []
    process_batch = runtime.consumer.process_batch  # type: ignore[attr-defined]
    probe_id = uuid.uuid4()

    async def spy(records: list[ConsumerRecord]) -> list[str]:
        results = await process_batch(records)
        for record, outcome in zip(records, results, strict=True):
            if record.key == str(probe_id).encode():  # the topic holds other tests' probes too
                outcomes.append(outcome)
        return results

    runtime.consumer.process_batch = spy  # type: ignore[attr-defined]
    try:
        await emit(runtime, [probe(probe_id, 0)])
        crashing = OutboxRelay(
            runtime.engine,
            runtime.producer,
            settings.relay,
            service="probe",
            after_publish=crash_after_publish,
        )
        with pytest.raises(Crash):
            await crashing.drain_once()
        assert not await _published(runtime, probe_id)  # the mark never happened

        restarted = OutboxRelay(runtime.engine, runtime.producer, settings.relay, service="probe")
        assert await restarted.drain_once() == 1
        await wait_until(lambda: len(outcomes) >= 2)
        await asyncio.sleep(0.5)
        assert sorted(outcomes) == ["duplicate", "processed"]
        assert [(s, a) for s, a, _ in await effects_of(runtime, probe_id)] == [(0, 1)]
        assert await _published(runtime, probe_id)
    finally:
        await runtime.stop()


def _fixed_id(event: ProbeEmitted) -> str:
    return str(uuid.uuid5(event.probe_id, str(event.sequence)))


async def _all_applied(runtime: ServiceRuntime, probe_id: uuid.UUID, n: int) -> bool:
    return len(await effects_of(runtime, probe_id)) == n


async def _published(runtime: ServiceRuntime, probe_id: uuid.UUID) -> bool:
    async with runtime.sessions() as session:
        result = await session.execute(
            text("SELECT published_at IS NOT NULL FROM outbox WHERE key = :k"),
            {"k": str(probe_id)},
        )
        return bool(result.scalar_one())


async def _wait_or_explain(
    runtime: ServiceRuntime, predicate: Callable[[], object], *, within: float
) -> None:
    """`wait_until`, but a timeout says where the events are: still in the outbox,
    on the broker ahead of the group's committed positions, or held by a partition."""
    try:
        await wait_until(predicate, within=within)
    except AssertionError as exc:
        raise AssertionError(f"{exc}\n{await _where_events_are(runtime)}") from None


async def _where_events_are(runtime: ServiceRuntime) -> str:
    async with runtime.sessions() as session:
        unpublished, oldest = (
            await session.execute(
                text(
                    "SELECT count(*), extract(epoch FROM now() - min(created_at)) "
                    "FROM outbox WHERE published_at IS NULL"
                )
            )
        ).one()
    lines = [f"outbox: {unpublished} unpublished rows, oldest {oldest or 0:.1f}s old"]
    subscription = runtime.subscriptions[0]
    group = subscription.consumer.group
    reader = AIOKafkaConsumer(
        bootstrap_servers=runtime.settings.broker.bootstrap_servers,
        group_id=group,
        enable_auto_commit=False,
    )
    await reader.start()
    try:
        topic = PLATFORM_PROBES.name
        partitions = [TopicPartition(topic, p) for p in range(PLATFORM_PROBES.partitions)]
        # Tansu reports as the end the first offset of the last record batch + 1, so
        # after a multi-record batch its lag reads low (even negative); Kafka's is exact.
        ends = await reader.end_offsets(partitions)
        local = subscription.partition_states()
        for tp in partitions:
            committed = await reader.committed(tp)
            lines.append(
                f"{topic}[{tp.partition}] group {group}: committed {committed}, "
                f"end {ends[tp]}, lag {ends[tp] - (committed or 0)}; "
                f"member: {local.get(tp.partition, 'not owned')}"
            )
    finally:
        await reader.stop()
    return "\n".join(lines)
