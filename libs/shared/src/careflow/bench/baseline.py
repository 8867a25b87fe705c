"""The same broker driven by plain FastStream: no outbox, no inbox, no database.

Mirrors the CareFlow phases: publish a backlog (concurrent publishes, acks=all,
linger 2 ms like the relay's producer), drain it with a subscriber group (one
consumer per partition), then publish → consume latency at the offered rate.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import uuid
from datetime import UTC, datetime
from typing import Any

from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import TopicAlreadyExistsError
from faststream.kafka import KafkaBroker

from careflow.bench.harness import (
    Recorder,
    Send,
    keys_covering,
    latency_run,
    start_group_at_end,
    wait_for_assignment,
    wait_for_count,
)
from careflow.bench.plan import Plan
from careflow.contracts.registry import PLATFORM_PROBES

RAW_TOPIC = "bench.raw-faststream.v1"
PARTITIONS = PLATFORM_PROBES.partitions


async def create_raw_topic(bootstrap: str) -> None:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        if RAW_TOPIC not in set(await admin.list_topics()):
            with contextlib.suppress(TopicAlreadyExistsError):
                await admin.create_topics([NewTopic(RAW_TOPIC, PARTITIONS, 1)])
    finally:
        await admin.close()


def _broker(bootstrap: str, client_id: str) -> KafkaBroker:
    return KafkaBroker(
        bootstrap,
        client_id=client_id,
        acks="all",
        linger_ms=2,
        enable_idempotence=False,
        log_level=logging.DEBUG,  # no per-message INFO lines
    )


def _body(key: uuid.UUID, sequence: int) -> dict[str, Any]:
    """The same fields a ProbeEmitted carries."""
    return {
        "probe_id": str(key),
        "sequence": sequence,
        "emitted_at": datetime.now(UTC).isoformat(),
        "emitter": "raw",
    }


async def _publish_backlog(publisher: KafkaBroker, count: int) -> float:
    keys = [uuid.uuid4() for _ in range(min(2_000, count))]
    await publisher.publish(_body(keys[0], -1), RAW_TOPIC, key=str(keys[0]).encode())  # warm
    started = time.monotonic()
    futures = [
        await publisher.publish(
            _body(keys[i % len(keys)], i),
            RAW_TOPIC,
            key=str(keys[i % len(keys)]).encode(),
            no_confirm=True,
        )
        for i in range(count)
    ]
    await asyncio.gather(*futures)
    return time.monotonic() - started


async def raw_faststream(bootstrap: str, plan: Plan) -> dict[str, Any]:
    await create_raw_topic(bootstrap)
    recorder = Recorder()
    publisher = _broker(bootstrap, "bench-raw-publisher")
    consumer = _broker(bootstrap, "bench-raw-consumer")
    # An external broker keeps earlier runs' messages: the group starts after them.
    group = f"bench-raw-{uuid.uuid4().hex[:8]}"
    await start_group_at_end(bootstrap, RAW_TOPIC, PARTITIONS, group)

    @consumer.subscriber(
        RAW_TOPIC,
        group_id=group,
        auto_offset_reset="earliest",
        max_workers=PARTITIONS,
    )
    async def on_message(body: dict[str, Any]) -> None:
        recorder.record((body["probe_id"], body["sequence"]))

    await publisher.start()
    try:
        publish_s = await _publish_backlog(publisher, plan.backlog)
        await consumer.start()  # drains the backlog just published
        await wait_for_assignment(consumer, PARTITIONS)
        await wait_for_count(recorder, plan.backlog + 1, 300, "raw backlog drain")  # + warm-up
        consume = recorder.rate()

        recorder.reset()
        covering = keys_covering(PARTITIONS)
        for key in covering:
            await publisher.publish(_body(key, 0), RAW_TOPIC, key=str(key).encode())
        await wait_for_count(recorder, len(covering), 60, "a first message on every partition")
        runs = []
        for rate, seconds in plan.latency_runs:
            recorder.reset()
            send = _sender(publisher)
            runs.append(await latency_run(rate, seconds, plan.warmup_seconds, send, recorder))
    finally:
        await consumer.stop()
        await publisher.stop()
    return {
        "publish_events_per_s": plan.backlog / publish_s,
        "consume_events_per_s": consume,
        "latency": runs,
    }


def _sender(publisher: KafkaBroker) -> Send:
    keys = [uuid.uuid4() for _ in range(1_000)]

    async def send(i: int) -> tuple[Any, float]:
        key = keys[i % len(keys)]
        at = time.monotonic()  # publish() is called (it returns once the broker acked)
        await publisher.publish(_body(key, i), RAW_TOPIC, key=str(key).encode())
        return (str(key), i), at

    return send
