"""The same broker driven by plain FastStream: no outbox, no inbox, no database.

Mirrors the CareFlow phases: publish a backlog (concurrent publishes, acks=all,
linger 2 ms like the relay's producer), drain it with a subscriber group (one
consumer per partition), then publish → consume latency at the offered rate.
As on the CareFlow side, the subscriber runs in its own process
(`careflow.bench.consumer_proc`, mode `raw`); this one only publishes.
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

from careflow.bench.consumer_proc import ConsumerProcess
from careflow.bench.harness import (
    Send,
    keys_covering,
    latency_run,
    start_group_at_end,
    wait_for_count,
)
from careflow.bench.plan import Plan
from careflow.bench.report import stage_breakdown
from careflow.bench.topics import PARTITIONS, RAW_TOPIC


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


async def raw_beside(
    url: str, bootstrap: str, *, rate: float, seconds: float, quick: bool
) -> dict[str, Any]:
    """The raw figures a service's bench prints beside its own, from the same run: a bare
    FastStream consumer's rate through a backlog and its publish -> consume latency at
    `rate` for `seconds` (`quick`: a smaller backlog, 2 s)."""
    plan = Plan(
        backlog=2_000 if quick else 20_000,
        latency_runs=((rate, 2.0 if quick else seconds),),
        warmup_seconds=0.3 if quick else 1.0,
        quick=quick,
    )
    return await raw_faststream(url, bootstrap, plan)


async def raw_faststream(url: str, bootstrap: str, plan: Plan) -> dict[str, Any]:
    await create_raw_topic(bootstrap)
    publisher = _broker(bootstrap, "bench-raw-publisher")
    # An external broker keeps earlier runs' messages: the group starts after them.
    group = f"bench-raw-{uuid.uuid4().hex[:8]}"
    await start_group_at_end(bootstrap, RAW_TOPIC, PARTITIONS, group)
    await publisher.start()
    consumer: ConsumerProcess | None = None
    try:
        publish_s = await _publish_backlog(publisher, plan.backlog)
        consumer = ConsumerProcess("raw", group)
        await consumer.start(url, bootstrap)  # drains the backlog just published
        recorder = consumer.recorder
        cpu0 = consumer.cpu_seconds()
        await wait_for_count(recorder, plan.backlog + 1, 300, "raw backlog drain")  # + warm-up
        backlog_cpu = consumer.cpu_seconds() - cpu0
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
            cpu0, wall0 = consumer.cpu_seconds(), time.monotonic()

            def analyse(sent: dict[Any, float], stamps: Any = consumer.stamps) -> dict[str, Any]:
                return {"stages": stage_breakdown(sent, stamps)}

            run = await latency_run(rate, seconds, plan.warmup_seconds, send, recorder, analyse)
            cpu, wall = consumer.cpu_seconds() - cpu0, time.monotonic() - wall0
            run["consumer_process"] = {
                "cpu_ms_per_event": cpu / (run["events"] + run["warmup_events"]) * 1000,
                "percent_of_core": cpu / wall * 100,
                "consumed_events_per_s": recorder.rate(),
            }
            runs.append(run)
    finally:
        try:
            if consumer is not None:
                await consumer.stop()
        finally:
            await publisher.stop()
    return {
        "publish_events_per_s": plan.backlog / publish_s,
        "consume_events_per_s": consume,
        "consumer_process": {
            "backlog_events": plan.backlog,
            # Includes the group join: the backlog waits while the child starts.
            "cpu_ms_per_event": backlog_cpu / plan.backlog * 1000,
        },
        "latency": runs,
    }


def _sender(publisher: KafkaBroker) -> Send:
    keys = [uuid.uuid4() for _ in range(1_000)]

    async def send(i: int) -> tuple[Any, float]:
        key = keys[i % len(keys)]
        at = time.time()  # publish() is called (it returns once the broker acked)
        await publisher.publish(_body(key, i), RAW_TOPIC, key=str(key).encode())
        return (str(key), i), at

    return send
