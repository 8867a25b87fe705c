"""`make chaos`: the suite on 127.0.0.1 under load while its parts crash; lost and doubled effects.

    python -m careflow.local.chaos [--short] [--var var/chaos] [--seconds S] [--rate R]

Starts PostgreSQL, the Tansu broker, the local OpenID Connect issuer, an SMTP
sink, an SMS provider sink and every service under `services/` (as `make run`
does, on free ports), keeps
residents and a professional working (chaos_load.py) and meanwhile kills each
service with SIGKILL and starts it again, restarts the broker, and restarts
PostgreSQL. Then it waits for the suite to settle and prints what was accepted,
what the services hold and what reached the sinks: lost and doubled effects,
each against its target (chaos_tally.py). Exit code 0 when every target is met.

`--short` is the form `make test` runs (tests/chaos): fewer residents, one
crash of each kind.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import signal
import sys
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from email.parser import BytesHeaderParser
from pathlib import Path

import httpx
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from careflow.local.chaos_load import Load
from careflow.local.chaos_tally import Observed, render, tally
from careflow.local.issuer import IssuerProcess
from careflow.local.ports import listen_port
from careflow.local.postgres import EmbeddedPostgres
from careflow.local.sms_sink import SmsSink
from careflow.local.smtp_sink import SmtpSink
from careflow.local.supervisor import (
    ServiceProcess,
    discover_services,
    gateway_env,
    service_env,
    stop_services,
)
from careflow.local.tansu import TansuBroker
from careflow.shared.settings import BrokerSettings

HOST = "127.0.0.1"
#: Notification's timeouts and lease, shortened so a delivery whose sender died is
#: due again within the run (the lease must outlast both timeouts); messaging's
#: per-sender limit lifted.
NOTIFICATION_ENV = {
    "NOTIFICATION_SMTP__TIMEOUT_SECONDS": "4",
    "NOTIFICATION_SMS__TIMEOUT_SECONDS": "4",
    "NOTIFICATION_SENDER__LEASE_SECONDS": "6",
    "NOTIFICATION_SENDER__RETRY_INITIAL_SECONDS": "1",
    "NOTIFICATION_SENDER__RETRY_MAX_SECONDS": "5",
    # One professional writes on every case of the run: far above a person's pace.
    "MESSAGING_SEND_LIMITS__MESSAGES": "100000",
}


@dataclass
class Suite:
    """Everything the run started, and how to break and mend each part."""

    var: Path
    pg: EmbeddedPostgres
    tansu: TansuBroker
    smtp: SmtpSink
    sms: SmsSink
    issuer: IssuerProcess
    services: list[ServiceProcess] = field(default_factory=list)
    envs: dict[str, dict[str, str]] = field(default_factory=dict)
    databases: dict[str, str] = field(default_factory=dict)
    seen: Observed = field(default_factory=Observed)
    log: Callable[[str], None] = print

    def service(self, name: str) -> ServiceProcess:
        return next(s for s in self.services if s.name == name)

    def start(self, services_dir: Path, timeout: float) -> None:
        self.pg.init()
        self.pg.start()
        self.tansu.start()
        self._ensure_topics()
        self.smtp.start()
        self.sms.start()
        self.issuer.start()
        os.environ.update(NOTIFICATION_ENV)
        os.environ["NOTIFICATION_SMTP__PORT"] = str(self.smtp.port)
        os.environ["NOTIFICATION_SMS__PROVIDER_URL"] = self.sms.url
        self.services = discover_services(services_dir, listen_port(span=10), self.var / "log")
        for service in self.services:
            roles = self.pg.create_service_database(service.name)
            self.databases[service.name] = roles.service_url
            self.envs[service.name] = service_env(
                service,
                database_url=roles.service_url,
                migration_url=roles.owner_url,
                bootstrap_servers=self.tansu.bootstrap_servers,
                issuer_url=self.issuer.url,
            )
            if service.name == "gateway":
                self.envs[service.name] |= gateway_env(service, self.services)
            service.start(self.envs[service.name])
        for service in self.services:
            problem = service.wait_healthy(timeout)
            if problem is not None:
                raise RuntimeError(f"{service.name} {problem}:\n{service.log_tail()}")

    def stop(self) -> None:
        stop_services(self.services)
        self.issuer.stop()
        self.sms.stop()
        self.smtp.stop()
        self.tansu.stop()
        self.pg.stop()

    def kill(self, name: str, timeout: float) -> float:
        """SIGKILL, start again; seconds until healthy."""
        service = self.service(name)
        assert service.process is not None
        os.kill(service.process.pid, signal.SIGKILL)
        service.process.wait()
        self.seen.crashes[name] += 1
        started = time.monotonic()
        service.start(self.envs[name])
        problem = service.wait_healthy(timeout)
        if problem is not None:
            raise RuntimeError(f"{name} after SIGKILL: {problem}:\n{service.log_tail()}")
        return time.monotonic() - started

    def restart_broker(self) -> float:
        started = time.monotonic()
        self.tansu.stop()
        self.seen.crashes["broker (restart)"] += 1
        self.tansu.start()
        self._ensure_topics()
        return time.monotonic() - started

    def restart_postgres(self) -> float:
        started = time.monotonic()
        self.pg.stop()
        self.seen.crashes["postgresql (restart)"] += 1
        self.pg.start()
        return time.monotonic() - started

    def _ensure_topics(self) -> None:
        from careflow.contracts.registry import TOPICS
        from careflow.shared.messaging.topics_cli import ensure_topics_retrying

        settings = BrokerSettings(
            bootstrap_servers=self.tansu.bootstrap_servers, idempotent_producer=False
        )
        asyncio.run(ensure_topics_retrying(settings, TOPICS, within=30))

    async def observe(self) -> None:
        """Reads what the services hold and what reached the sinks into `seen`."""
        seen = self.seen
        seen.intake_cases = {r[0] for r in await self._rows("intake", "SELECT id::text FROM cases")}
        goals = await self._rows("intake", "SELECT id::text, case_id::text FROM goals")
        seen.stored_goals = {r[0]: r[1] for r in goals}
        seen.queue_items = {
            r[0] for r in await self._rows("workqueue", "SELECT case_id::text FROM queue_items")
        }
        seen.queue_events.clear()
        for kind, key, n in await self._rows(
            "workqueue",
            "SELECT event_type, key, count(*) FROM outbox "
            "WHERE event_type LIKE 'careflow.queue_item.%' GROUP BY 1, 2",
        ):
            seen.queue_events[(kind, key)] = n
        seen.notifications.clear()
        for case_id, n in await self._rows(
            "notification",
            "SELECT case_id::text, count(*) FROM notifications "
            "WHERE case_id IS NOT NULL GROUP BY 1",
        ):
            seen.notifications[case_id] = n
        if "messaging" in self.databases:
            messages = await self._rows(
                "messaging", "SELECT id::text, case_id::text FROM case_messages"
            )
            seen.stored_messages = {r[0]: r[1] for r in messages}
        seen.deliveries = {
            d: (n, ch, st)
            for d, n, ch, st in await self._rows(
                "notification",
                "SELECT delivery_id::text, notification_id::text, channel, status FROM deliveries",
            )
        }
        seen.emails = await asyncio.to_thread(_message_ids, self.var / "mail")
        seen.sms = self.sms.snapshot()

    async def _rows(self, service: str, sql: str) -> list[tuple[object, ...]]:
        engine = create_async_engine(self.databases[service])
        try:
            async with engine.connect() as conn:
                return [tuple(row) for row in await conn.execute(text(sql))]
        finally:
            await engine.dispose()


def _message_ids(mail_dir: Path) -> Counter[str]:
    parser = BytesHeaderParser()
    found: Counter[str] = Counter()
    for path in mail_dir.glob("*.eml"):
        with open(path, "rb") as mail:
            found[str(parser.parse(mail).get("Message-ID", ""))] += 1
    return found


@dataclass(frozen=True)
class Plan:
    seconds: float
    residents_per_second: float
    concurrency: int
    rounds: int  # how many times each fault is injected
    settle_seconds: float


SHORT = Plan(seconds=45, residents_per_second=2, concurrency=16, rounds=1, settle_seconds=90)
FULL = Plan(seconds=150, residents_per_second=4, concurrency=32, rounds=2, settle_seconds=120)


async def _faults(suite: Suite, plan: Plan, healthy_within: float, done: asyncio.Event) -> None:
    """Each service killed, the broker restarted, PostgreSQL restarted, spread over the load
    (which goes on until the last fault is mended)."""
    names = [s.name for s in suite.services]
    steps: list[tuple[str, Callable[[], float]]] = []
    for _ in range(plan.rounds):
        kills = [(f"SIGKILL {n}", lambda n=n: suite.kill(n, healthy_within)) for n in names]
        steps += [*kills[:1], ("restart broker", suite.restart_broker)]
        steps += [*kills[1:2], ("restart PostgreSQL", suite.restart_postgres), *kills[2:]]
    gap = plan.seconds / (len(steps) + 1)
    started = time.monotonic()
    for i, (what, fault) in enumerate(steps, start=1):
        await asyncio.sleep(max(0.0, started + i * gap - time.monotonic()))
        took = await asyncio.to_thread(fault)
        suite.log(f"  {time.monotonic() - started:5.1f} s  {what}: back in {took:.1f} s")
    await asyncio.sleep(5)  # some load on the mended suite too
    done.set()


async def _settled(suite: Suite, within: float) -> bool:
    """Waits until every accepted effect has arrived where it should (or `within` passes)."""
    deadline = time.monotonic() + within
    while True:
        await suite.observe()
        rows = tally(suite.seen)
        if all(row.lost == 0 for row in rows):
            return True
        if time.monotonic() > deadline:
            return False
        await asyncio.sleep(2)


async def run(suite: Suite, plan: Plan, healthy_within: float) -> bool:
    intake, workqueue = suite.service("intake"), suite.service("workqueue")
    names = {s.name for s in suite.services}
    messaging = suite.service("messaging").address if "messaging" in names else None
    async with (
        httpx.AsyncClient(base_url=intake.address, timeout=10.0) as intake_client,
        httpx.AsyncClient(base_url=workqueue.address, timeout=10.0) as workqueue_client,
        httpx.AsyncClient(base_url=messaging or "http://unused", timeout=10.0) as messaging_client,
    ):
        load = Load(
            intake_client,
            workqueue_client,
            messaging_client if messaging else None,
            suite.issuer.url,
            suite.seen,
        )
        suite.log(
            f"load: {plan.residents_per_second:g} residents/s for {plan.seconds:g} s or until "
            "the last fault is mended; faults:"
        )
        faults_done = asyncio.Event()
        await asyncio.gather(
            load.run(plan.residents_per_second, plan.seconds, plan.concurrency, faults_done),
            _faults(suite, plan, healthy_within, faults_done),
        )
    suite.log(f"load done ({load.refused} requests not accepted); waiting for the suite to settle")
    settled = await _settled(suite, plan.settle_seconds)
    rows = tally(suite.seen)
    suite.log(render(rows, suite.seen.crashes))
    if not settled:
        suite.log(f"(still not settled after {plan.settle_seconds:g} s)")
    return all(row.met for row in rows)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="careflow-chaos", description=__doc__.splitlines()[0])
    parser.add_argument("--short", action="store_true", help="the short form make test runs")
    parser.add_argument("--var", type=Path, default=Path("var/chaos"))
    parser.add_argument("--services-dir", type=Path, default=Path("services"))
    parser.add_argument("--seconds", type=float, default=None, help="load duration")
    parser.add_argument("--rate", type=float, default=None, help="residents per second")
    parser.add_argument("--timeout", type=float, default=90.0, help="seconds to become healthy")
    args = parser.parse_args(argv)
    plan = SHORT if args.short else FULL
    if args.seconds or args.rate:
        plan = Plan(
            seconds=args.seconds or plan.seconds,
            residents_per_second=args.rate or plan.residents_per_second,
            concurrency=plan.concurrency,
            rounds=plan.rounds,
            settle_seconds=plan.settle_seconds,
        )
    var = args.var.resolve()
    shutil.rmtree(var, ignore_errors=True)
    (var / "log").mkdir(parents=True)
    suite = Suite(
        var=var,
        pg=EmbeddedPostgres(var / "postgres", port=listen_port(), host=HOST),
        tansu=TansuBroker(port=listen_port(), host=HOST, log_path=var / "log" / "tansu.log"),
        smtp=SmtpSink(var / "mail", port=listen_port(), host=HOST),
        sms=SmsSink(HOST, listen_port()),
        issuer=IssuerProcess(
            var / "keys", host=HOST, port=listen_port(), log_path=var / "log" / "issuer.log"
        ),
        log=lambda line: print(line, flush=True),
    )
    try:
        suite.start(args.services_dir.resolve(), args.timeout)
        suite.log(f"suite up: {', '.join(s.name for s in suite.services)}; logs in {var / 'log'}")
        met = asyncio.run(run(suite, plan, args.timeout))
    finally:
        suite.stop()
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
