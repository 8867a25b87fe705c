"""CareFlow end to end: commit → NOTIFY → relay → broker → EventConsumer handler.

One probe service process runs the paced producer (one transaction per event),
its relay and an EventConsumer whose handler notes the monotonic receive time
in memory (keyed by probe id and sequence) before applying the usual effect.
"""

from __future__ import annotations

import time
import uuid
from typing import Any

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
from careflow.bench.relay_bench import write_backlog
from careflow.contracts.envelope import Envelope
from careflow.contracts.probes import ProbeEmitted
from careflow.contracts.registry import PLATFORM_PROBES
from careflow.shared.db.unit_of_work import SqlUnitOfWork
from careflow.shared.messaging.topics import ensure_topics
from careflow.shared.service.runtime import ServiceRuntime
from careflow.shared.testing.probe_service import (
    emit,
    probe,
    probe_runtime,
    record_effect,
    settings_for,
)

PARTITIONS = PLATFORM_PROBES.partitions


async def careflow_latency(url: str, bootstrap: str, plan: Plan) -> dict[str, Any]:
    recorder = Recorder()

    async def on_probe(event: ProbeEmitted, envelope: Envelope, uow: SqlUnitOfWork) -> None:
        recorder.record((str(event.probe_id), event.sequence))
        await record_effect(event, envelope, uow)

    # The relay benchmark's events stay in the topic; this group starts after them.
    settings = settings_for(url, bootstrap)
    await ensure_topics(settings.broker, [PLATFORM_PROBES])
    group = f"bench-probe-{uuid.uuid4().hex[:8]}"
    await start_group_at_end(bootstrap, PLATFORM_PROBES.name, PARTITIONS, group)
    runtime = probe_runtime(settings, group=group, handler=on_probe)
    await runtime.start()
    try:
        await wait_for_assignment(runtime.broker, PARTITIONS)
        covering = keys_covering(PARTITIONS)
        await emit(runtime, [probe(key, 0) for key in covering])
        await wait_for_count(recorder, len(covering), 60, "a first probe on every partition")

        recorder.reset()
        await write_backlog(runtime, plan.consumer_backlog)  # the relay publishes at once
        await wait_for_count(recorder, plan.consumer_backlog, 300, "consumer backlog")
        consume = recorder.rate()

        runs = []
        for rate, seconds in plan.latency_runs:
            recorder.reset()
            send = _sender(runtime)
            runs.append(await latency_run(rate, seconds, plan.warmup_seconds, send, recorder))
    finally:
        await runtime.stop()
    return {"consume_events_per_s": consume, "latency": runs}


def _sender(runtime: ServiceRuntime) -> Send:
    keys = [uuid.uuid4() for _ in range(1_000)]

    async def send(i: int) -> tuple[Any, float]:
        key = keys[i % len(keys)]
        await emit(runtime, [probe(key, i)])  # one transaction per event
        return (str(key), i), time.monotonic()  # the commit has returned

    return send
