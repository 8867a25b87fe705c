"""Case-messages benchmark: professionals' messages through messaging's HTTP API until the
resident's notification request is on notification.requests.v1.

    .venv/bin/python benchmarks/messaging.py [--quick] [--rate 330] [--seconds 60]
        [--output .bench/messaging.json]

Starts embedded PostgreSQL and Tansu as `python -m careflow.bench` does (or uses
DATABASE_URL / KAFKA_BOOTSTRAP_SERVERS), measures the raw FastStream baseline on that
broker, then starts messaging as its own process (`python -m careflow.messaging`,
settings from the environment, as `make run` does). This process plays intake (the
cases' CaseSubmitted events, published before the load) and the professionals: open-loop
POST /cases/{id}/messages at a fixed offered rate over keep-alive connections, each
message from one of many professionals (the per-sender limit is not what is measured).
A consumer on notification.requests.v1 notes when each request arrives.

- throughput: notification requests per second on the topic, from the first to the
  last, at 330 messages/s offered (target >= 300/s), beside the raw FastStream
  consumer's backlog rate of the same run;
- HTTP answer p50/p99 and errors of that run; messaging's peak RSS;
- CPU-ms per accepted message of each process (messaging, PostgreSQL with its backends,
  Tansu, this load generator) and of the whole machine: the figure to compare between
  runs on a shared machine, where rates move with other work.

Prints a table (targets met or not) and writes the figures as JSON.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import signal
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import asyncpg
from aiokafka import AIOKafkaConsumer

from careflow.bench.harness import run_on_servers, start_group_at_end, wait_for_count
from careflow.bench.report import Row, Target, percentile, render_table, summary, write_report
from careflow.contracts.cases import CaseSubmitted
from careflow.contracts.envelope import Envelope
from careflow.contracts.registry import INTAKE_CASES, NOTIFICATION_REQUESTS_TOPIC
from careflow.local.dev_token import local_token
from careflow.local.ports import free_port
from careflow.local.supervisor import ServiceProcess, service_env, stop_services
from careflow.shared.auth.claims import ProfessionalPrincipal
from careflow.shared.auth.signing import JWKS_FILE, generate_keypair
from careflow.testing.probe_service import publish_raw
from careflow.testing.servers import BrokerForTests, PostgresForTests

sys.path.insert(0, str(Path(__file__).resolve().parent))
from case_flow import _server_pids
from case_flow_http import HttpError, KeepAliveConnection
from case_flow_load import ServiceUsage
from case_flow_report import schedule, spread_rate

ORG = "org-bench"
TEXT = json.dumps({"text": "Please book a follow-up at https://example.org/book"}).encode()
CONNECTIONS = 100
REQUEST_TIMEOUT = 30.0
_STARTED = time.monotonic()


@dataclass(frozen=True)
class Plan:
    quick: bool = False
    cases: int = 2_000
    professionals: int = 1_500
    rate: float = 330.0
    seconds: float = 60.0
    warmup_seconds: float = 3.0

    @classmethod
    def quick_plan(cls) -> Plan:
        return cls(quick=True, cases=200, professionals=200, seconds=5.0, warmup_seconds=1.0)


def phase(text: str) -> None:
    print(f"[messaging {time.monotonic() - _STARTED:5.1f}s] {text}", file=sys.stderr, flush=True)


async def raw_baseline(postgres: PostgresForTests, bootstrap: str, plan: Plan) -> dict[str, Any]:
    """The platform bench's raw FastStream figures on this broker (its backlog rate)."""
    from careflow.bench.baseline import raw_beside

    url = await postgres.create_database("raw")
    return await raw_beside(url, bootstrap, rate=200.0, seconds=10.0, quick=plan.quick)


class Requests:
    """Arrival times of notification requests on their topic (a group started at its end)."""

    def __init__(self, bootstrap: str) -> None:
        self._bootstrap = bootstrap
        self.arrived: list[float] = []
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        topic = NOTIFICATION_REQUESTS_TOPIC
        group = f"bench-messaging-{uuid.uuid4().hex[:8]}"
        await start_group_at_end(self._bootstrap, topic.name, topic.partitions, group)
        self._consumer = AIOKafkaConsumer(
            topic.name, bootstrap_servers=self._bootstrap, group_id=group, fetch_max_wait_ms=50
        )
        await self._consumer.start()
        self._task = asyncio.create_task(self._run())

    async def _run(self) -> None:
        while True:
            batches = await self._consumer.getmany(timeout_ms=100)
            now = time.monotonic()
            self.arrived.extend(now for records in batches.values() for _ in records)

    async def until(self, count: int, within: float) -> None:
        """Waits for `count` requests; fewer after `within` s shows in the figures as lost."""
        with contextlib.suppress(TimeoutError):
            await wait_for_count(self.arrived, count, within, "notification requests", poll=0.05)

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
        await self._consumer.stop()


async def publish_cases(bootstrap: str, count: int) -> list[str]:
    """What intake would publish: one identified resident's case per id."""
    cases = [
        CaseSubmitted(
            case_id=uuid.uuid4(),
            resident_id=uuid.uuid4(),
            organisation_id=ORG,
            group_id="nurses",
            form_kind="service_assessment",
            identification="identified",
            language="fi",
            phone_contact_allowed=True,
            submitted_at=datetime.now(UTC),
        )
        for _ in range(count)
    ]
    await publish_raw(
        bootstrap,
        INTAKE_CASES.name,
        [
            (
                c.key().encode(),
                c.model_dump_json().encode(),
                Envelope(
                    id=str(uuid.uuid4()), type=c.event_type, source="/bench", subject=c.key()
                ).to_headers(),
            )
            for c in cases
        ],
    )
    return [str(c.case_id) for c in cases]


async def known_cases(url: str) -> int:
    conn = await asyncpg.connect(url.replace("postgresql+asyncpg://", "postgresql://"))
    try:
        return int(await conn.fetchval("SELECT count(*) FROM message_cases"))
    finally:
        await conn.close()


async def offer(
    address: tuple[str, int], cases: list[str], tokens: list[str], rate: float, seconds: float
) -> dict[str, Any]:
    """Open loop: each message is due at its slot whatever came back before; answer times
    count from the due time."""
    start = time.monotonic() + 0.05
    due_at = [start + offset for offset in schedule(rate, seconds)]
    queue: asyncio.Queue[tuple[int, float] | None] = asyncio.Queue()
    answers: list[float] = []
    statuses: dict[str, int] = {}

    async def release() -> None:
        for i, due in enumerate(due_at):
            if (delay := due - time.monotonic()) > 0:
                await asyncio.sleep(delay)
            queue.put_nowait((i, due))
        for _ in range(CONNECTIONS):
            queue.put_nowait(None)

    async def connection() -> None:
        conn = KeepAliveConnection(*address, timeout=REQUEST_TIMEOUT)
        try:
            while (item := await queue.get()) is not None:
                i, due = item
                path = f"/cases/{cases[i % len(cases)]}/messages"
                try:
                    status, _ = await conn.post_json(path, TEXT, tokens[i % len(tokens)])
                except HttpError as exc:
                    statuses[str(exc)] = statuses.get(str(exc), 0) + 1
                    continue
                statuses[str(status)] = statuses.get(str(status), 0) + 1
                if status == 201:
                    answers.append(time.monotonic() - due)
        finally:
            conn.close()

    await asyncio.gather(release(), *(connection() for _ in range(CONNECTIONS)))
    return {
        "offered": len(due_at),
        "accepted": statuses.get("201", 0),
        "statuses": statuses,
        "answer_p50_ms": percentile(answers, 50) * 1000 if answers else None,
        "answer_p99_ms": percentile(answers, 99) * 1000 if answers else None,
    }


async def start_messaging(
    postgres: PostgresForTests, bootstrap: str, work: Path
) -> tuple[ServiceProcess, str]:
    url = await postgres.create_database("messaging")
    service = ServiceProcess("messaging", free_port(), work / "messaging.log")
    service.start(
        service_env(
            service,
            database_url=url,
            bootstrap_servers=bootstrap,
            jwks_path=work / "keys" / JWKS_FILE,
        )
    )
    if (problem := await asyncio.to_thread(service.wait_healthy, 600)) is not None:
        await asyncio.to_thread(stop_services, [service])
        raise RuntimeError(f"messaging did not start: {problem}\n{service.log_tail()}")
    return service, url


async def measure(
    postgres: PostgresForTests, broker: BrokerForTests, plan: Plan, work: Path
) -> dict[str, Any]:
    bootstrap = broker.bootstrap_servers
    results: dict[str, Any] = {"cpus": os.cpu_count()}
    phase("raw FastStream baseline (platform bench's, on this broker)")
    try:
        results["raw"] = await raw_baseline(postgres, bootstrap, plan)
    except Exception as exc:  # reported in the table, never hides messaging's figures
        results["raw"], results["raw_error"] = None, f"{type(exc).__name__}: {exc}"
    keys = work / "keys"
    generate_keypair(keys)
    phase("starting messaging in its own process")
    service, url = await start_messaging(postgres, bootstrap, work)
    requests = Requests(bootstrap)
    usage = ServiceUsage(
        {"messaging": service.process.pid},  # type: ignore[union-attr]
        _server_pids(postgres, broker),
    )
    sampler = asyncio.create_task(usage.run())
    try:
        phase(f"publishing {plan.cases} cases as intake would")
        cases = await publish_cases(bootstrap, plan.cases)
        deadline = time.monotonic() + 300
        while await known_cases(url) < plan.cases:
            if time.monotonic() > deadline:
                raise RuntimeError("messaging did not learn the cases within 300 s")
            await asyncio.sleep(0.5)
        tokens = [
            local_token(
                keys,
                ProfessionalPrincipal(
                    subject=f"bench-nurse-{i}", organisation=ORG, unit="u", roles=["nurse"]
                ),
            )
            for i in range(plan.professionals)
        ]
        await requests.start()
        address = (service.host, service.port)
        phase("warm-up: until a request shows on the topic (relay and group ready)")
        warm = await offer(address, cases, tokens, 20.0, plan.warmup_seconds)
        await requests.until(warm["accepted"], within=120)
        if len(requests.arrived) < warm["accepted"] or not warm["accepted"]:
            raise RuntimeError(f"warm-up requests did not reach the topic: {warm}")
        requests.arrived.clear()
        await usage.settle(within=60)
        phase(f"throughput: {plan.rate:.0f} messages/s offered for {plan.seconds:.0f} s")
        cpu0, used0, wall0 = time.process_time(), usage.all_cpu_seconds(), time.monotonic()
        run = await offer(address, cases, tokens, plan.rate, plan.seconds)
        await requests.until(run["accepted"], within=120)
        wall = time.monotonic() - wall0
        used = usage.all_cpu_seconds() | {"generator": time.process_time()}
        used0["generator"] = cpu0
        run["requests_seen"] = len(requests.arrived)
        run["requests_per_s"] = spread_rate(requests.arrived)
        run["cpu_percent"] = {name: (used[name] - used0[name]) / wall * 100 for name in used0}
        if run["accepted"]:
            run["cpu_ms_per_accepted"] = {
                name: (used[name] - used0[name]) * 1000 / run["accepted"] for name in used0
            }
        results["throughput"] = run
    finally:
        sampler.cancel()
        with contextlib.suppress(Exception):
            await requests.stop()
        phase("stopping messaging")
        await asyncio.to_thread(stop_services, [service])
    results["rss_mb"] = usage.peak_mb["messaging"]
    return results


def rows(results: dict[str, Any]) -> list[Row]:
    run = results.get("throughput", {})
    raw = (results.get("raw") or {}).get("consume_events_per_s")
    return [
        Row(
            "case messages API -> notification requested",
            "/s",
            run.get("requests_per_s"),
            raw=raw,
            target=Target(">=", 300),
        ),
        Row("HTTP answer p99 (from due time)", "ms", run.get("answer_p99_ms")),
        Row("messaging RSS", "MB", results.get("rss_mb")),
    ]


async def _interruptible(
    postgres: PostgresForTests, broker: BrokerForTests, plan: Plan, work: Path
) -> dict[str, Any]:
    task = asyncio.current_task()
    assert task is not None
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, task.cancel)
    return await measure(postgres, broker, plan, work)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="benchmarks/messaging.py", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="seconds per phase (smoke test)")
    parser.add_argument("--output", type=Path, default=Path(".bench/messaging.json"))
    parser.add_argument(
        "--rate",
        type=float,
        help="messages/s offered instead of 330, e.g. for CPU per message below saturation"
        " (the target's verdict then holds for that rate only)",
    )
    parser.add_argument("--seconds", type=float, help="instead of the plan's 60 (quick: 5)")
    args = parser.parse_args(argv)
    plan = Plan.quick_plan() if args.quick else Plan()
    if args.rate is not None:
        plan = replace(plan, rate=args.rate)
    if args.seconds is not None:
        plan = replace(plan, seconds=args.seconds)
    work = Path(tempfile.mkdtemp(prefix="careflow-messaging-"))
    phase(f"starting PostgreSQL and the broker (service log in {work})")
    try:
        results = run_on_servers(
            lambda postgres, broker: _interruptible(postgres, broker, plan, work),
            broker_log_dir=work,
        )
    except asyncio.CancelledError:
        print("messaging benchmark interrupted; stopping the servers", file=sys.stderr)
        return 130
    table = rows(results)
    print()
    print(render_table(table))
    print()
    run = results.get("throughput", {})
    print(
        f"  offered {run.get('offered')}, accepted {run.get('accepted')}, statuses "
        f"{run.get('statuses')}, requests seen {run.get('requests_seen')}, "
        f"answer p50 {run.get('answer_p50_ms') or float('nan'):.1f} ms"
    )
    if per := run.get("cpu_ms_per_accepted"):
        pct = run.get("cpu_percent", {})
        print(
            f"  CPU-ms per accepted message (% of one core; {results.get('cpus')} cores): "
            + ", ".join(f"{name} {ms:.2f} ({pct.get(name, 0):.0f}%)" for name, ms in per.items())
        )
    if results.get("raw_error"):
        print(f"  raw baseline failed: {results['raw_error']}")
    elapsed = time.monotonic() - _STARTED
    print(f"  {summary(table)}; total run {elapsed:.0f} s{' (--quick)' if plan.quick else ''}")
    if plan.rate != Plan.rate:
        print(f"  offered {plan.rate:.0f}/s, not the target's {Plan.rate:.0f}/s: no verdict on it")
    write_report(
        args.output,
        quick=plan.quick,
        elapsed=elapsed,
        plan=plan.__dict__,
        rows=table,
        details=results,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
