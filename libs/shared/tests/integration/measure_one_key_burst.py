"""Measures the relay on a burst of one key: `pytest <this file> -s` prints events/s.

Not collected by `make test` (the name does not start with test_): a measurement,
not an assertion. Figures belong in the README's performance section.
"""

from __future__ import annotations

import statistics
import time
import uuid

from careflow.shared.outbox.relay import OutboxRelay
from careflow.testing.probe_service import emit, probe, probe_runtime, settings_for

BURST = 500
ROUNDS = 10


async def test_measure_a_one_key_burst(probe_db: str, kafka) -> None:  # type: ignore[no-untyped-def]
    settings = settings_for(probe_db, kafka.bootstrap_servers, enabled=False)
    runtime = probe_runtime(settings)
    await runtime.start()
    try:
        relay = OutboxRelay(runtime.engine, runtime.producer, settings.relay, service="probe")
        await emit(runtime, [probe(uuid.uuid4(), 0)])
        await relay.drain_once()  # metadata and connections warm
        rates = []
        for _ in range(ROUNDS):
            await emit(runtime, [probe(uuid.uuid4(), n) for n in range(BURST)])
            started = time.perf_counter()
            published = 0
            while published < BURST:
                published += await relay.drain_once()
            elapsed = time.perf_counter() - started
            rates.append(BURST / elapsed)
        print(
            f"one-key burst of {BURST}, {ROUNDS} rounds: median "
            f"{statistics.median(rates):.0f} events/s (min {min(rates):.0f}, max {max(rates):.0f})"
        )
    finally:
        await runtime.stop()
