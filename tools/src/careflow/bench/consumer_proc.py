"""The consumer side of the latency benchmarks, in its own process (as another replica).

`python -m careflow.bench.consumer_proc` is the child: either a probe service
runtime with its relay off and an EventConsumer (`careflow`), or a plain
FastStream subscriber (`raw`). Database URL, bootstrap servers, group and mode
come from its environment, never its command line. Every receipt is noted
with the wall clock (`time.time()`; both processes run on one machine) and
streamed to the parent in small batches on stdout, one line per batch:

    E [[probe_id, sequence, handled, arrived, done, created], ...]

- handled: the handler started (the receive time the latency is measured to);
- arrived: the record's batch reached EventConsumer.process_batch (fetched by aiokafka);
- done: process_batch returned (inbox claim, effects and commit finished);
- created: the record's Kafka timestamp (set when the relay called send()).

`ConsumerProcess` starts the child, feeds a Recorder with those receive times
and samples the child's CPU time with psutil.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import json
import os
import signal
import sys
import time
from dataclasses import dataclass, field
from typing import Any

import psutil

from careflow.bench.harness import Recorder
from careflow.shared.service.gc_tuning import freeze_startup_objects

URL_ENV, BOOTSTRAP_ENV = "CAREFLOW_BENCH_DATABASE_URL", "CAREFLOW_BENCH_BOOTSTRAP"
GROUP_ENV, MODE_ENV = "CAREFLOW_BENCH_GROUP", "CAREFLOW_BENCH_MODE"
# Optional: a path; the child then runs under cProfile and writes its stats to <path>.<mode>.
PROFILE_ENV = "CAREFLOW_BENCH_PROFILE"
READY, EVENTS = "ready", "E "
FLUSH_SECONDS = 0.02

Stamps = tuple[float, float, float, float]  # handled, arrived, done, created


@dataclass
class ConsumerProcess:
    """Parent side: the child process, its receipts and its CPU time."""

    mode: str
    group: str
    recorder: Recorder = field(default_factory=Recorder)
    stamps: dict[Any, Stamps] = field(default_factory=dict)
    _child: asyncio.subprocess.Process | None = None
    _reader: asyncio.Task[None] | None = None
    _ps: psutil.Process | None = None

    async def start(self, url: str, bootstrap: str, within: float = 90) -> None:
        env = {
            **os.environ,
            URL_ENV: url,
            BOOTSTRAP_ENV: bootstrap,
            GROUP_ENV: self.group,
            MODE_ENV: self.mode,
        }
        self._child = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "careflow.bench.consumer_proc",
            env=env,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            limit=16 * 1024 * 1024,
        )
        self._ps = psutil.Process(self._child.pid)
        ready = asyncio.get_running_loop().create_future()
        self._reader = asyncio.create_task(self._read(ready), name=f"bench-{self.mode}-reader")
        try:
            await asyncio.wait_for(ready, within)
        except BaseException:
            await self.stop()
            raise

    async def _read(self, ready: asyncio.Future[None]) -> None:
        assert self._child is not None
        assert self._child.stdout is not None
        while line := await self._child.stdout.readline():
            text = line.decode()
            if text.startswith(EVENTS):
                for pid, seq, handled, arrived, done, created in json.loads(text[2:]):
                    key = (pid, seq)
                    self.recorder.record(key, handled)
                    self.stamps[key] = (handled, arrived, done, created)
            elif text.strip() == READY and not ready.done():
                ready.set_result(None)
            else:
                sys.stderr.write(text)  # the child's stray output
        if not ready.done():
            ready.set_exception(RuntimeError(f"{self.mode} consumer process exited early"))

    def cpu_seconds(self) -> float:
        assert self._ps is not None
        times = self._ps.cpu_times()
        return float(times.user + times.system)

    async def stop(self) -> None:
        child = self._child
        if child is not None and child.returncode is None:
            child.terminate()
            try:
                await asyncio.wait_for(child.wait(), 15)
            except TimeoutError:
                child.kill()
                await child.wait()
        if self._reader is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._reader, 5)
            self._reader.cancel()


# --- the child -------------------------------------------------------------------

_buffer: list[list[Any]] = []
# Set by the process_batch() wrapper per event id, filled by the handler of that event.
_current: contextvars.ContextVar[dict[str, list[Any]]] = contextvars.ContextVar("bench_current")


async def _flush_forever(parent: int) -> None:
    while True:
        await asyncio.sleep(FLUSH_SECONDS)
        _flush()
        if os.getppid() != parent:  # the parent died: do not linger
            os.kill(os.getpid(), signal.SIGTERM)


def _flush() -> None:
    if _buffer:
        line = EVENTS + json.dumps(_buffer, separators=(",", ":")) + "\n"
        _buffer.clear()
        sys.stdout.write(line)
        sys.stdout.flush()


async def _careflow(url: str, bootstrap: str, group: str) -> Any:
    from careflow.bench.harness import wait_for_assignment
    from careflow.contracts.envelope import Envelope
    from careflow.contracts.probes import ProbeEmitted
    from careflow.contracts.registry import PLATFORM_PROBES
    from careflow.shared.outbox.unit_of_work import SqlUnitOfWork
    from careflow.testing.probe_service import probe_runtime, record_effect, settings_for

    async def on_probe(event: ProbeEmitted, envelope: Envelope, uow: SqlUnitOfWork) -> None:
        entry = _current.get({}).get(envelope.id)
        if entry is not None:
            entry[0], entry[1], entry[2] = str(event.probe_id), event.sequence, time.time()
        await record_effect(event, envelope, uow)

    runtime = probe_runtime(
        settings_for(url, bootstrap, enabled=False), group=group, handler=on_probe
    )
    await runtime.start()
    freeze_startup_objects()  # as a service process does (gc_tuning)
    consumer = runtime.consumer  # type: ignore[attr-defined]
    process_batch = consumer.process_batch

    async def timed_batch(records: Any) -> list[str]:
        # The subscription looks process_batch up per batch: this wrapper sees every one.
        arrived = time.time()
        entries = [[None, None, 0.0, arrived, 0.0, r.timestamp / 1000] for r in records]
        _current.set(
            {
                dict(r.headers or ()).get("ce_id", b"").decode(): e
                for r, e in zip(records, entries, strict=True)
            }
        )
        outcomes = await process_batch(records)
        done = time.time()
        for entry in entries:
            entry[4] = done
            if entry[0] is not None:
                _buffer.append(entry)
        return outcomes  # type: ignore[no-any-return]

    consumer.process_batch = timed_batch
    await wait_for_assignment(
        lambda: sum(len(owned) for owned in runtime.assignments()), PLATFORM_PROBES.partitions
    )
    return runtime.stop


async def _raw(bootstrap: str, group: str) -> Any:
    from faststream.kafka import KafkaBroker
    from faststream.kafka.annotations import KafkaMessage

    from careflow.bench.harness import assigned_partitions, wait_for_assignment
    from careflow.bench.topics import PARTITIONS, RAW_TOPIC
    from careflow.shared.settings import ConsumerSettings

    broker = KafkaBroker(bootstrap, client_id="bench-raw-consumer", log_level=10)

    @broker.subscriber(
        RAW_TOPIC,
        group_id=group,
        auto_offset_reset="earliest",
        max_workers=PARTITIONS,
        # The same fetch wait as EventConsumer's: Tansu holds every fetch for it.
        fetch_max_wait_ms=ConsumerSettings().fetch_max_wait_ms,
    )
    async def on_message(body: dict[str, Any], message: KafkaMessage) -> None:
        now = time.time()
        created = message.raw_message.timestamp / 1000  # type: ignore[union-attr]
        _buffer.append([body["probe_id"], body["sequence"], now, now, now, created])

    await broker.start()
    freeze_startup_objects()  # the same GC treatment as CareFlow's consumer
    await wait_for_assignment(lambda: assigned_partitions(broker), PARTITIONS)
    return broker.stop


async def _child() -> None:
    from careflow.bench.logs import quiet_logs

    quiet_logs()  # the same telemetry as the parent (spans recorded, as in a service)
    url, bootstrap = os.environ[URL_ENV], os.environ[BOOTSTRAP_ENV]
    group, mode = os.environ[GROUP_ENV], os.environ[MODE_ENV]
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    loop.add_signal_handler(signal.SIGTERM, stop.set)
    loop.add_signal_handler(signal.SIGINT, stop.set)
    if mode == "careflow":
        shutdown = await _careflow(url, bootstrap, group)
    elif mode == "raw":
        shutdown = await _raw(bootstrap, group)
    else:
        raise SystemExit(f"unknown mode {mode!r}")
    flusher = asyncio.create_task(_flush_forever(os.getppid()))
    print(READY, flush=True)
    await stop.wait()
    flusher.cancel()
    _flush()
    await shutdown()


def main() -> None:
    path = os.environ.get(PROFILE_ENV)
    if not path:
        asyncio.run(_child())
        return
    import cProfile

    profiler = cProfile.Profile()
    profiler.enable()
    try:
        asyncio.run(_child())
    finally:
        profiler.disable()
        profiler.dump_stats(f"{path}.{os.environ[MODE_ENV]}")


if __name__ == "__main__":
    main()
