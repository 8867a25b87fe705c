"""Idle relay CPU: a relay with nothing to publish, alone in a child process.

`python -m careflow.bench.idle_relay` is the child (database URL and bootstrap
servers in its environment, never on its command line); `measure_idle_cpu`
starts it and samples its CPU time with psutil.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sys
import time
from typing import Any

import psutil

URL_ENV, BOOTSTRAP_ENV = "CAREFLOW_BENCH_DATABASE_URL", "CAREFLOW_BENCH_BOOTSTRAP"
READY = "ready"


async def measure_idle_cpu(url: str, bootstrap: str, seconds: float) -> dict[str, Any]:
    """% of one core the idle relay process uses over `seconds` (after it settles)."""
    env = {**os.environ, URL_ENV: url, BOOTSTRAP_ENV: bootstrap}
    child = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "careflow.bench.idle_relay", env=env, stdout=asyncio.subprocess.PIPE
    )
    try:
        assert child.stdout is not None
        line = await asyncio.wait_for(child.stdout.readline(), 60)
        if line.decode().strip() != READY:
            raise RuntimeError(f"idle relay did not start (exit code {child.returncode})")
        process = psutil.Process(child.pid)
        await asyncio.sleep(2.0)  # LISTEN connection, first pass, first lag check
        cpu0, wall0 = _cpu(process), time.monotonic()
        await asyncio.sleep(seconds)
        cpu1, wall1 = _cpu(process), time.monotonic()
        if child.returncode is not None:
            raise RuntimeError(f"idle relay exited early (exit code {child.returncode})")
    finally:
        if child.returncode is None:
            child.terminate()
            try:
                await asyncio.wait_for(child.wait(), 10)
            except TimeoutError:
                child.kill()
                await child.wait()
    return {
        "seconds": wall1 - wall0,
        "cpu_s": cpu1 - cpu0,
        "percent_of_core": (cpu1 - cpu0) / (wall1 - wall0) * 100,
    }


def _cpu(process: psutil.Process) -> float:
    times = process.cpu_times()
    return float(times.user + times.system)


async def _child() -> None:
    from careflow.shared.db.engine import create_engine
    from careflow.shared.messaging.producer import create_producer
    from careflow.shared.outbox.relay import OutboxRelay
    from careflow.shared.settings import (
        BrokerSettings,
        DatabaseSettings,
        RelaySettings,
        TelemetrySettings,
    )
    from careflow.shared.telemetry.setup import configure_logging, configure_telemetry

    telemetry = TelemetrySettings(log_json=False, log_level="WARNING")
    configure_telemetry(telemetry, "bench-idle")
    configure_logging(telemetry, "bench-idle")
    engine = create_engine(
        DatabaseSettings(url=os.environ[URL_ENV]), application_name="careflow-bench-idle"
    )
    producer = create_producer(
        BrokerSettings(bootstrap_servers=os.environ[BOOTSTRAP_ENV], idempotent_producer=False),
        client_id="bench-idle-relay",
    )
    await producer.start()
    # Production defaults (2 s fallback poll), not the tests' faster poll.
    relay = OutboxRelay(engine, producer, RelaySettings(), service="bench-idle")
    task = asyncio.create_task(relay.run())
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    print(READY, flush=True)
    await stop.wait()
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
    await producer.stop()
    await engine.dispose()


if __name__ == "__main__":
    asyncio.run(_child())
