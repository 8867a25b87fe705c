"""Notification benchmark: contract events in, email and SMS out through real servers.

    .venv/bin/python benchmarks/notifications.py [--quick] [--output .bench/notifications.json]
        [--email-limit 400] [--sms-limit 400] [--tight-email-limit 50] [--tight-sms-limit 30]

Everything on this machine, 127.0.0.1:

- embedded PostgreSQL and the Tansu broker, started as `python -m careflow.bench` starts
  them (DATABASE_URL / KAFKA_BOOTSTRAP_SERVERS select external servers instead);
- the providers in a child process (`notification_sinks.py`): an SMTP sink (aiosmtpd) and an
  SMS provider's HTTP API (uvicorn), each stamping a message when it has received it;
- the notification service in its own process, `python -m careflow.notification` with its
  settings in the environment, started as `make run` starts it;
- this process, publishing what intake, workqueue and messaging would: residents' consents
  and contact details first, then events that notify (task, coaching, closing proposal,
  incomplete submission, messaging's notification request, in turn).

Every resident opted in to both channels, so every notification is one email and one
SMS; a notification counts as delivered when both have arrived.

Phases: (1) residents, until the service knows them all; (2) warm-up, until every
consumer delivers; (3) latency: open-loop events at 200/s (after a discarded warm-up),
event (broker acknowledged) -> delivered (the later of the two receipts); (4) throughput:
a backlog published at once, notifications/s from the first delivery to the last;
(5) rate limits: the service restarted with tight per-channel limits and a backlog. In
every phase the busiest 1-s window (sliding) at each provider is compared with the
channel's limit; (6) the raw FastStream baseline on the same broker (the platform
bench's: a bare consumer's rate and publish -> consume p99 at the latency rate), printed
beside the service's figures. The table says which targets are met (issue 15's: >= 400
notifications/s, p99 < 300 ms at 200/s); nothing is tuned to pass.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import shutil
import sys
import tempfile
import time
import uuid
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

from notification_load import (
    CHANNELS,
    KINDS,
    CpuMeter,
    Providers,
    Publisher,
    busiest_clock_second,
    busiest_second,
    notifying_event,
    resident_events,
    service_process,
    start_service,
    stop_service,
)
from notification_report import details, render, table_rows
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from careflow.bench.baseline import raw_beside
from careflow.bench.harness import Send, latency_run, run_on_servers, wait_for
from careflow.bench.logs import quiet_logs
from careflow.bench.report import (
    latency_summary,
    pair_latencies,
    summary,
    write_report,
)
from careflow.contracts.registry import TOPICS
from careflow.shared.auth.signing import JWKS_FILE, generate_keypair
from careflow.shared.messaging.topics import ensure_topics
from careflow.shared.settings import BrokerSettings
from careflow.testing.servers import (
    BrokerForTests,
    PostgresForTests,
)

_STARTED = time.monotonic()
KNOWN_SQL = text(
    "SELECT count(*) FROM resident_contacts "
    "WHERE consents_known AND email IS NOT NULL AND phone IS NOT NULL"
)


def _phase(name: str) -> None:
    print(f"[bench {time.monotonic() - _STARTED:5.1f}s] {name}", file=sys.stderr, flush=True)


@dataclass(frozen=True)
class Plan:
    residents: int = 1_000
    latency_rate: float = 200.0
    latency_seconds: float = 30.0
    warmup_seconds: float = 3.0
    backlog: int = 6_000
    # Above issue 15's 400/s: a limit at the target caps the measured rate below it (a
    # permit rests 2 % longer than its window: 392/s at most under a 400/s limit). The
    # busiest-window rows still check that the limits hold.
    email_limit: float = 1000.0
    sms_limit: float = 1000.0
    tight_email_limit: float = 50.0
    tight_sms_limit: float = 30.0
    #: The tight-limit backlog keeps the slower channel busy this long.
    tight_seconds: float = 15.0
    quick: bool = False
    #: Service settings overridden for the run (NOTIFICATION_* environment), printed.
    overrides: tuple[tuple[str, str], ...] = ()
    #: cProfile stats of the service's first run (latency and throughput) go here.
    profile: str | None = None
    #: Service processes (replicas: one consumer group, rows shared by SKIP LOCKED).
    replicas: int = 1

    def quick_plan(self) -> Plan:
        return replace(
            self,
            residents=200,
            latency_seconds=8.0,
            warmup_seconds=2.0,
            backlog=1_000,
            tight_seconds=6.0,
            quick=True,
        )

    @property
    def tight_backlog(self) -> int:
        return int(self.tight_seconds * min(self.tight_email_limit, self.tight_sms_limit))


@dataclass
class Bench:
    plan: Plan
    postgres: PostgresForTests
    broker: BrokerForTests
    workdir: Path
    log_dir: Path
    providers: Providers
    residents: list[uuid.UUID]
    publisher: Publisher
    cpu: CpuMeter | None = None
    events: int = 0
    #: Which resident each event is for: random, so a resident's events cross topics.
    pick: random.Random = field(default_factory=lambda: random.Random(4))

    def sender(self) -> Send:
        async def send(i: int) -> tuple[Any, float]:
            case_id = uuid.uuid4()
            resident = self.pick.choice(self.residents)
            event = notifying_event(self.events, resident, case_id)
            self.events += 1
            return str(case_id), await self.publisher.publish(event)

        return send

    def windows(self, mark: dict[str, int]) -> dict[str, dict[str, int]]:
        return {
            c: {
                "received": len(self.providers.since(mark, c)),
                "busiest_sliding_1s": busiest_second(self.providers.since(mark, c)),
                "busiest_clock_1s": busiest_clock_second(self.providers.since(mark, c)),
            }
            for c in CHANNELS
        }


async def load_residents(bench: Bench, database_url: str) -> dict[str, Any]:
    started = time.monotonic()
    pending = []
    for n, resident_id in enumerate(bench.residents):
        for event in resident_events(resident_id, n):
            pending.append(await bench.publisher.send(event))
    await asyncio.gather(*pending)
    engine = create_async_engine(database_url)
    known = 0

    async def count() -> int:
        async with engine.connect() as conn:
            return int((await conn.execute(KNOWN_SQL)).scalar_one())

    try:
        deadline = time.monotonic() + 300
        while (known := await count()) < len(bench.residents):
            if time.monotonic() > deadline:
                raise TimeoutError(f"the service knows {known}/{len(bench.residents)} residents")
            await asyncio.sleep(0.2)
    finally:
        await engine.dispose()
    return {"residents": known, "seconds": time.monotonic() - started}


async def warm_up(bench: Bench, each: int = 4) -> None:
    send = bench.sender()
    keys = [(await send(i))[0] for i in range(each * len(KINDS))]
    received = bench.providers.complete.received
    await wait_for(lambda: all(k in received for k in keys), 120, "warm-up deliveries")


async def latency(bench: Bench) -> dict[str, Any]:
    plan, providers = bench.plan, bench.providers
    mark = providers.mark()

    def per_channel(sent: dict[Any, float]) -> dict[str, Any]:
        channels = {}
        for channel in CHANNELS:
            arrived = {k: v[channel] for k, v in providers.by_case.items() if channel in v}
            channels[channel] = latency_summary(pair_latencies(sent, arrived))
        return {"channels": channels}

    cpu0, wall0 = bench.cpu.read() if bench.cpu else {}, time.monotonic()
    run = await latency_run(
        plan.latency_rate,
        plan.latency_seconds,
        plan.warmup_seconds,
        bench.sender(),
        providers.complete,
        per_channel,
    )
    run["windows"] = bench.windows(mark)
    if bench.cpu:
        run["cpu_percent_of_core"] = CpuMeter.share(
            cpu0, bench.cpu.read(), time.monotonic() - wall0
        )
    return run


async def backlog(bench: Bench, count: int, within: float) -> dict[str, Any]:
    """Publishes `count` events at once; waits until all are delivered (or `within` passes)."""
    providers = bench.providers
    providers.complete.reset()
    mark = providers.mark()
    cpu0, wall0 = bench.cpu.read() if bench.cpu else {}, time.monotonic()
    published_from = time.time()
    keys, acks = [], []
    for _ in range(count):
        case_id = uuid.uuid4()
        resident = bench.pick.choice(bench.residents)
        acks.append(await bench.publisher.send(notifying_event(bench.events, resident, case_id)))
        bench.events += 1
        keys.append(str(case_id))
    await asyncio.gather(*acks)
    published = time.time() - published_from
    received = providers.complete.received
    await _wait_for_all(received, count, within)
    messages = {}
    for channel in CHANNELS:
        stamps = providers.since(mark, channel)
        span = max(stamps) - min(stamps) if len(stamps) > 1 else float("nan")
        messages[channel] = (len(stamps) - 1) / span if span > 0 else float("nan")
    result = {
        "events": count,
        "published_in_s": published,
        "delivered": sum(1 for k in keys if k in received),
        "notifications_per_s": providers.complete.rate(),
        "end_to_end_per_s": len(received) / ((providers.complete.last or 0) - published_from)
        if received
        else float("nan"),
        "messages_per_s": messages,
        "windows": bench.windows(mark),
    }
    if bench.cpu:
        result["cpu_percent_of_core"] = CpuMeter.share(
            cpu0, bench.cpu.read(), time.monotonic() - wall0
        )
    return result


async def _wait_for_all(received: dict[Any, float], count: int, within: float) -> None:
    """Until `count` arrived, `within` passed, or nothing arrived for a minute (lost)."""
    deadline = time.monotonic() + within
    seen, progress = len(received), time.monotonic()
    while len(received) < count and time.monotonic() < deadline:
        await asyncio.sleep(0.1)
        if len(received) > seen:
            seen, progress = len(received), time.monotonic()
        elif time.monotonic() - progress > 60:
            return


async def measure(postgres: PostgresForTests, broker: BrokerForTests, plan: Plan) -> dict[str, Any]:
    workdir = Path(tempfile.mkdtemp(prefix="careflow-bench-notification-"))
    log_dir = Path(".bench")
    keys = workdir / "keys"
    generate_keypair(keys)
    bootstrap = broker.bootstrap_servers
    await ensure_topics(
        BrokerSettings(bootstrap_servers=bootstrap, idempotent_producer=False), TOPICS
    )
    database_url = await postgres.create_database("notification")
    providers = Providers()
    await providers.start()
    publisher = Publisher(bootstrap)
    await publisher.start()
    residents = [uuid.uuid4() for _ in range(plan.residents)]
    bench = Bench(plan, postgres, broker, workdir, log_dir, providers, residents, publisher)

    def services(email: float, sms: float, profile: str | None = None) -> list[Any]:
        """`plan.replicas` processes; each gets 1/N of the providers' limits (README)."""
        n = plan.replicas
        return [
            service_process(
                profile=Path(f"{profile}.{i}").resolve() if profile else None,
                log_dir=log_dir,
                log_name=f"notification-{i}.log" if n > 1 else "notification.log",
                database_url=database_url,
                bootstrap=bootstrap,
                jwks=keys / JWKS_FILE,
                providers=providers,
                email_limit=email / n,
                sms_limit=sms / n,
                overrides=dict(plan.overrides),
            )
            for i in range(n)
        ]

    async def start(processes: list[Any]) -> None:
        await asyncio.gather(*(asyncio.to_thread(start_service, p, e) for p, e in processes))
        pids = [p.process.pid for p, _ in processes]
        bench.cpu = _cpu_meter(postgres, broker, pids, providers.pid)

    async def stop(processes: list[Any]) -> None:
        await asyncio.gather(*(asyncio.to_thread(stop_service, p) for p, _ in processes))

    results: dict[str, Any] = {
        "limits": {"email": plan.email_limit, "sms": plan.sms_limit},
        "replicas": plan.replicas,
    }
    processes = services(plan.email_limit, plan.sms_limit, plan.profile)
    try:
        _phase(
            f"starting the notification service ({plan.replicas} process(es), limits "
            f"{plan.email_limit:g}/{plan.sms_limit:g} in all)"
        )
        await start(processes)
        _phase(f"residents: {plan.residents:,} (consents + contact details)")
        results["residents"] = await load_residents(bench, database_url)
        _phase("warm-up: every kind of event until delivered")
        await warm_up(bench)
        _phase(f"latency: {plan.latency_rate:g}/s for {plan.latency_seconds:g} s")
        results["latency"] = await latency(bench)
        _phase(f"throughput: a backlog of {plan.backlog:,} events")
        results["throughput"] = await backlog(bench, plan.backlog, within=600)
        await stop(processes)
        limits = (plan.tight_email_limit, plan.tight_sms_limit)
        processes = services(*limits)
        _phase(f"rate limits: restarting with {limits[0]:g}/s email, {limits[1]:g}/s SMS")
        await start(processes)
        _phase(f"rate limits: a backlog of {plan.tight_backlog:,} events")
        results["tight"] = await backlog(
            bench, plan.tight_backlog, within=plan.tight_seconds * 4 + 120
        )
        results["tight"]["limits"] = {"email": limits[0], "sms": limits[1]}
        results["duplicates"] = dict(providers.duplicates)
    finally:
        await stop(processes)
        await publisher.stop()
        await providers.stop()
        shutil.rmtree(workdir, ignore_errors=True)
    _phase("raw FastStream baseline (the platform bench's, on this broker)")
    results["raw"] = await raw_baseline(postgres, bootstrap, plan)
    return results


async def raw_baseline(postgres: PostgresForTests, bootstrap: str, plan: Plan) -> dict[str, Any]:
    """The platform bench's raw FastStream figures on this broker, at the latency rate:
    what this hour's machine gives a bare consumer, beside what the service did."""
    url = await postgres.create_database("raw")
    return await raw_beside(url, bootstrap, rate=plan.latency_rate, seconds=20.0, quick=plan.quick)


def _cpu_meter(
    postgres: PostgresForTests, broker: BrokerForTests, services: list[int], providers: int
) -> CpuMeter:
    roles: dict[str, tuple[int, bool]] = {
        f"service{i if len(services) > 1 else ''}": (pid, True) for i, pid in enumerate(services)
    }
    roles["providers"] = (providers, False)
    roles["bench"] = (os.getpid(), False)
    if postgres.embedded is not None:
        pid_file = postgres.embedded.data_dir / "postmaster.pid"
        roles["postgres"] = (int(pid_file.read_text().splitlines()[0]), True)
    tansu = getattr(broker.embedded, "_process", None)
    if tansu is not None:
        roles["tansu"] = (tansu.pid, False)
    return CpuMeter(roles)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="benchmarks/notifications.py", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="smaller numbers (smoke test)")
    parser.add_argument("--output", type=Path, default=Path(".bench/notifications.json"))
    parser.add_argument("--email-limit", type=float, default=Plan.email_limit)
    parser.add_argument("--sms-limit", type=float, default=Plan.sms_limit)
    parser.add_argument("--tight-email-limit", type=float, default=Plan.tight_email_limit)
    parser.add_argument("--tight-sms-limit", type=float, default=Plan.tight_sms_limit)
    parser.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="SETTING=VALUE",
        help="a notification setting for this run, e.g. sender__workers=4 "
        "(NOTIFICATION_SENDER__WORKERS); printed with the results",
    )
    parser.add_argument("--profile", help="write the service's cProfile stats here")
    parser.add_argument(
        "--replicas", type=int, default=1, help="service processes (each gets 1/N of a limit)"
    )
    args = parser.parse_args(argv)
    overrides = tuple(
        (f"NOTIFICATION_{name.upper()}", value)
        for name, _, value in (item.partition("=") for item in args.set)
    )
    plan = Plan(
        overrides=overrides,
        profile=args.profile,
        replicas=args.replicas,
        email_limit=args.email_limit,
        sms_limit=args.sms_limit,
        tight_email_limit=args.tight_email_limit,
        tight_sms_limit=args.tight_sms_limit,
    )
    if args.quick:
        plan = plan.quick_plan()

    quiet_logs()
    Path(".bench").mkdir(exist_ok=True)
    for old_log in Path(".bench").glob("notification*.log"):
        old_log.unlink()
    started = time.monotonic()
    _phase("starting PostgreSQL and the broker")
    results = run_on_servers(lambda postgres, broker: measure(postgres, broker, plan))
    elapsed = time.monotonic() - started

    rows = table_rows(results, plan.latency_rate)
    print()
    print(render(rows))
    print()
    for line in details(results):
        print(f"  {line}")
    if plan.replicas > 1:
        print(f"  {plan.replicas} service processes, each with 1/{plan.replicas} of every limit")
    if plan.overrides:
        print("  settings overridden: " + ", ".join(f"{k}={v}" for k, v in plan.overrides))
    print(f"  {summary(rows)}; total run {elapsed:.0f} s{' (--quick)' if plan.quick else ''}")
    print("  service log(s): .bench/notification*.log")
    write_report(
        args.output,
        quick=plan.quick,
        elapsed=elapsed,
        plan=asdict(plan),
        rows=rows,
        details=results,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
