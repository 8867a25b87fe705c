"""Relay throughput: a backlog written with the relay off, then drained by an OutboxRelay."""

from __future__ import annotations

import asyncio
import time
import uuid
from typing import Any

from sqlalchemy import text

from careflow.bench.harness import wait_for
from careflow.bench.plan import Plan
from careflow.shared.outbox.relay import OutboxRelay
from careflow.shared.service.gc_tuning import freeze_startup_objects
from careflow.shared.service.runtime import ServiceRuntime
from careflow.testing.probe_service import emit, probe, settings_for

WRITE_CHUNK = 1_000  # events per backlog transaction
BACKLOG_KEYS = 2_000  # distinct probe ids (Kafka keys) in a backlog
WARMUP = 200


async def write_backlog(runtime: ServiceRuntime, count: int) -> float:
    """Writes `count` ProbeEmitted rows through the outbox writer; returns seconds taken."""
    keys = [uuid.uuid4() for _ in range(min(BACKLOG_KEYS, count))]
    started = time.perf_counter()
    for first in range(0, count, WRITE_CHUNK):
        batch = range(first, min(first + WRITE_CHUNK, count))
        await emit(runtime, [probe(keys[i % len(keys)], i // len(keys)) for i in batch])
    return time.perf_counter() - started


async def unpublished(runtime: ServiceRuntime) -> int:
    async with runtime.engine.connect() as conn:
        result = await conn.execute(text("SELECT count(*) FROM outbox WHERE published_at IS NULL"))
        return int(result.scalar_one())


async def drain(runtime: ServiceRuntime, batch_size: int, count: int) -> dict[str, Any]:
    """Runs a relay over the backlog; time from start until it has published `count` rows."""
    settings = runtime.settings.relay.model_copy(update={"batch_size": batch_size})
    relay = OutboxRelay(runtime.engine, runtime.producer, settings, service="bench")
    cpu0, started = time.process_time(), time.monotonic()
    task = asyncio.create_task(relay.run(), name=f"bench-relay-{batch_size}")
    try:
        done = await wait_for(lambda: relay.published >= count, 300, "relay drain", poll=0.005)
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
    seconds, cpu = done - started, time.process_time() - cpu0
    left = await unpublished(runtime)
    if left:
        raise RuntimeError(f"relay left {left} rows unpublished")
    return {
        "batch_size": batch_size,
        "events": count,
        "seconds": seconds,
        "events_per_s": count / seconds,
        "process_cpu_s": cpu,
        "cpu_ms_per_1000_events": cpu / count * 1_000_000,
    }


async def relay_throughput(url: str, bootstrap: str, plan: Plan) -> dict[str, Any]:
    """Backlog written with the relay off, then drained once per batch size."""
    runtime = ServiceRuntime(settings_for(url, bootstrap, enabled=False), "probe")
    await runtime.start()
    freeze_startup_objects()  # as a service process does (gc_tuning)
    try:
        await write_backlog(runtime, WARMUP)  # connections, topic metadata: not timed
        await drain(runtime, WARMUP, WARMUP)
        runs = []
        for batch_size in plan.batch_sizes:
            write_s = await write_backlog(runtime, plan.backlog)
            run = await drain(runtime, batch_size, plan.backlog)
            run["backlog_write_events_per_s"] = plan.backlog / write_s
            runs.append(run)
    finally:
        await runtime.stop()
    primary = runs[0]
    return {
        "events_per_s": primary["events_per_s"],
        "batch_size": primary["batch_size"],
        "best": max(runs, key=lambda r: r["events_per_s"]),
        "runs": runs,
    }
