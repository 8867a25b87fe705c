"""CareFlow end to end: commit → NOTIFY → relay → broker → EventConsumer handler.

As in production, the consumer is another process (another service's replica):

- this process runs the probe service's paced writer (one committed
  transaction per event) and its outbox relay, and no consumer;
- a child process (`careflow.bench.consumer_proc`) runs a probe runtime with
  its relay off and an EventConsumer whose handler notes the wall-clock
  receive time before applying the usual effect (inbox claim + effect row).

Latency is wall clock from the commit returning here to the handler starting
there (one machine, one clock). Each run also reports both processes' CPU,
the relay's passes and where the time of one event's trip goes.
"""

from __future__ import annotations

import time
import uuid
from typing import Any

from careflow.bench.consumer_proc import ConsumerProcess
from careflow.bench.harness import (
    Send,
    keys_covering,
    latency_run,
    start_group_at_end,
    wait_for_count,
)
from careflow.bench.plan import Plan
from careflow.bench.relay_bench import write_backlog
from careflow.bench.report import latency_summary, stage_breakdown
from careflow.bench.topics import PARTITIONS
from careflow.contracts.registry import PLATFORM_PROBES
from careflow.shared.messaging.topics import ensure_topics
from careflow.shared.outbox.relay import OutboxRelay
from careflow.shared.service.gc_tuning import freeze_startup_objects
from careflow.shared.service.runtime import ServiceRuntime
from careflow.testing.probe_service import emit, probe, settings_for


class RelayPasses:
    """Times every pass of a running relay (its loop looks drain_once up per pass)."""

    def __init__(self, relay: OutboxRelay) -> None:
        self.passes: list[tuple[float, int]] = []  # (seconds, rows)
        drain_once = relay.drain_once

        async def timed() -> int:
            started = time.perf_counter()
            rows = await drain_once()
            if rows:
                self.passes.append((time.perf_counter() - started, rows))
            return rows

        relay.drain_once = timed  # type: ignore[method-assign]

    def reset(self) -> None:
        self.passes.clear()

    def summary(self) -> dict[str, Any]:
        rows = sum(n for _, n in self.passes)
        return {
            "passes": len(self.passes),
            "rows_per_pass": rows / len(self.passes) if self.passes else None,
            "pass_ms": latency_summary([s for s, _ in self.passes]),
        }


async def careflow_latency(url: str, bootstrap: str, plan: Plan) -> dict[str, Any]:
    settings = settings_for(url, bootstrap)  # relay on, no consumer in this process
    await ensure_topics(settings.broker, [PLATFORM_PROBES])
    # The relay benchmark's events stay in the topic; this group starts after them.
    group = f"bench-probe-{uuid.uuid4().hex[:8]}"
    await start_group_at_end(bootstrap, PLATFORM_PROBES.name, PARTITIONS, group)
    consumer = ConsumerProcess("careflow", group)
    await consumer.start(url, bootstrap)  # returns once it owns every partition
    runtime = ServiceRuntime(settings, "probe")
    recorder = consumer.recorder
    try:
        await runtime.start()
        freeze_startup_objects()  # as a service process does (gc_tuning)
    except BaseException:
        await consumer.stop()
        raise
    try:
        passes = RelayPasses(runtime.relay)
        covering = keys_covering(PARTITIONS)
        await emit(runtime, [probe(key, 0) for key in covering])
        await wait_for_count(recorder, len(covering), 60, "a first probe on every partition")

        recorder.reset()
        cpu0 = consumer.cpu_seconds()
        await write_backlog(runtime, plan.consumer_backlog)  # the relay publishes at once
        await wait_for_count(recorder, plan.consumer_backlog, 300, "consumer backlog")
        backlog_cpu = consumer.cpu_seconds() - cpu0
        consume = recorder.rate()

        runs = []
        for rate, seconds in plan.latency_runs:
            recorder.reset()
            passes.reset()
            send = _sender(runtime)
            cpu0, own0, wall0 = consumer.cpu_seconds(), time.process_time(), time.monotonic()

            def analyse(sent: dict[Any, float]) -> dict[str, Any]:
                return {"stages": stage_breakdown(sent, consumer.stamps)}

            run = await latency_run(rate, seconds, plan.warmup_seconds, send, recorder, analyse)
            wall = time.monotonic() - wall0
            events = run["events"] + run["warmup_events"]
            cpu, own = consumer.cpu_seconds() - cpu0, time.process_time() - own0
            run["consumer_process"] = {
                "cpu_ms_per_event": cpu / events * 1000,
                "percent_of_core": cpu / wall * 100,
                "consumed_events_per_s": recorder.rate(),
            }
            run["writer_relay_process"] = {
                "cpu_ms_per_event": own / events * 1000,
                "percent_of_core": own / wall * 100,
            }
            run["relay"] = passes.summary()
            runs.append(run)
    finally:
        try:
            await consumer.stop()
        finally:
            await runtime.stop()
    return {
        "consume_events_per_s": consume,
        "consumer_process": {
            "backlog_events": plan.consumer_backlog,
            "cpu_ms_per_event": backlog_cpu / plan.consumer_backlog * 1000,
        },
        "latency": runs,
    }


def _sender(runtime: ServiceRuntime) -> Send:
    keys = [uuid.uuid4() for _ in range(1_000)]

    async def send(i: int) -> tuple[Any, float]:
        key = keys[i % len(keys)]
        await emit(runtime, [probe(key, i)])  # one transaction per event
        return (str(key), i), time.time()  # the commit has returned

    return send
