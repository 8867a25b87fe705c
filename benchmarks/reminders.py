"""Reminders benchmark: a million scheduled sends in PostgreSQL, due sends handed over on time,
booking moves recomputed with no stale send.

    .venv/bin/python benchmarks/reminders.py [--quick] [--output .bench/reminders.json]

Everything on this machine, 127.0.0.1: embedded PostgreSQL and the Tansu broker (as
`python -m careflow.bench` starts them; DATABASE_URL / KAFKA_BOOTSTRAP_SERVERS select
external servers), the reminders service in its own process as `make run` starts it, and
this process, which loads the database, publishes what intake and a booking system would
and reads `notification.requests.v1` / `reminders.withdrawals.v1` as notification would.

Phases: (1) bulk load with COPY: `scheduled` reminders, each with one send, far ahead
(they must not slow the due ones); (2) lateness: sends falling due at `due_rate`/s for
`due_seconds`; lateness = a request's Kafka timestamp (set by the service's producer when
its relay emits it) minus its send time, and, beside it, its arrival at a consumer reading
with notification's fetch wait; (3) booking moves: bookings whose reminder falls due within
seconds, moved at `moves_per_minute`, again and again, for `moves_seconds` (does the
service keep up: how long after the last move it had consumed them all), then a backlog of
`burst_moves` moves published at once (how many per minute the service recomputes: the
moves over the time from the first applied to the last, from the inbox's `processed_at`);
a stale send is a request for a send time the booking had been moved away from before it,
with no withdrawal following it, or a booking with two sends open; (4) the raw broker
baseline of the same run (FastStream publish -> consume at `due_rate`/s), beside the
arrival lateness. The service's RSS is sampled throughout. Nothing is tuned to pass.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import sys
import time
import uuid
from collections.abc import Callable
from dataclasses import asdict, dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
import psutil
from aiokafka import AIOKafkaConsumer
from notification_load import Publisher
from sqlalchemy.engine import make_url

from careflow.bench.baseline import raw_faststream
from careflow.bench.harness import run_on_servers, wait_for
from careflow.bench.logs import quiet_logs
from careflow.bench.plan import Plan as PlatformPlan
from careflow.bench.report import Row, Target, latency_summary, render_table, summary, write_report
from careflow.contracts.bookings import BookingConfirmed
from careflow.contracts.cases import CaseSubmitted
from careflow.contracts.registry import NOTIFICATION_REQUESTS_TOPIC, REMINDERS_WITHDRAWALS
from careflow.local.ports import free_port
from careflow.local.supervisor import ServiceProcess, service_env, stop_services
from careflow.shared.auth.signing import JWKS_FILE, generate_keypair
from careflow.shared.settings import ConsumerSettings
from careflow.testing.servers import BrokerForTests, PostgresForTests

_STARTED = time.monotonic()
LEAD = timedelta(hours=24)  # the default appointment lead time
ORG = "bench-org"


def _phase(name: str) -> None:
    print(f"[bench {time.monotonic() - _STARTED:6.1f}s] {name}", file=sys.stderr, flush=True)


@dataclass(frozen=True)
class Plan:
    scheduled: int = 1_000_000
    due_rate: float = 500.0
    due_seconds: float = 30.0
    bookings: int = 2_000
    moves_per_minute: float = 10_000.0
    moves_seconds: float = 60.0
    burst_moves: int = 10_000
    quick: bool = False

    def quick_plan(self) -> Plan:
        return replace(
            self,
            scheduled=50_000,
            due_seconds=8.0,
            bookings=300,
            moves_seconds=15.0,
            burst_moves=2_000,
            quick=True,
        )


def _libpq(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


async def bulk_load(dsn: str, count: int, first: datetime, step: timedelta) -> float:
    """`count` patient reminders with one scheduled send each, loaded with COPY."""
    started = time.monotonic()
    conn = await asyncpg.connect(dsn)
    try:
        for offset in range(0, count, 100_000):
            n = min(100_000, count - offset)
            ids = [uuid.uuid4() for _ in range(n)]
            at = [first + step * (offset + i) for i in range(n)]
            await conn.copy_records_to_table(
                "reminders",
                columns=[
                    "reminder_id",
                    "organisation_id",
                    "resident_id",
                    "kind",
                    "source",
                    "status",
                    "due_at",
                    "channels",
                    "created_at",
                    "updated_at",
                ],
                records=[
                    (
                        r,
                        ORG,
                        uuid.uuid4(),
                        "patient",
                        "manual",
                        "active",
                        t + LEAD,
                        '["email"]',
                        t,
                        t,
                    )
                    for r, t in zip(ids, at, strict=True)
                ],
            )
            await conn.copy_records_to_table(
                "reminder_sends",
                columns=["send_id", "reminder_id", "send_at", "status"],
                records=[(uuid.uuid4(), r, t, "scheduled") for r, t in zip(ids, at, strict=True)],
            )
        await conn.execute("ANALYZE reminders; ANALYZE reminder_sends")
    finally:
        await conn.close()
    return time.monotonic() - started


class Received:
    """Requests and withdrawals as notification would read them: each request's Kafka
    timestamp (emitted) and arrival time."""

    def __init__(self, bootstrap: str) -> None:
        self.requests: dict[uuid.UUID, float] = {}
        self.emitted: dict[uuid.UUID, float] = {}
        self.withdrawn: set[uuid.UUID] = set()
        self._consumer = AIOKafkaConsumer(
            NOTIFICATION_REQUESTS_TOPIC.name,
            REMINDERS_WITHDRAWALS.name,
            bootstrap_servers=bootstrap,
            group_id=f"bench-{uuid.uuid4().hex[:8]}",
            auto_offset_reset="latest",
            # Notification's consumers' fetch wait: Tansu holds every fetch for it, and
            # aiokafka's default (500 ms) would add up to half a second to each arrival.
            fetch_max_wait_ms=ConsumerSettings().fetch_max_wait_ms,
        )
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        await self._consumer.start()
        await wait_for(lambda: bool(self._consumer.assignment()), 120, "bench consumer joins")
        self._task = asyncio.create_task(self._run())

    async def _run(self) -> None:
        async for record in self._consumer:
            key = uuid.UUID(record.key.decode())
            if record.topic == REMINDERS_WITHDRAWALS.name:
                self.withdrawn.add(key)
            else:
                self.requests.setdefault(key, time.time())
                self.emitted.setdefault(key, record.timestamp / 1000)

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
        await self._consumer.stop()


class Rss:
    def __init__(self, pid: int) -> None:
        self._process = psutil.Process(pid)
        self.peak = 0
        self._task = asyncio.create_task(self._sample())

    async def _sample(self) -> None:
        while True:
            self.peak = max(self.peak, self._process.memory_info().rss)
            await asyncio.sleep(0.5)

    def stop(self) -> float:
        self._task.cancel()
        return self.peak / 2**20


async def lateness(dsn: str, received: Received, plan: Plan) -> dict[str, Any]:
    count = int(plan.due_rate * plan.due_seconds)
    first = datetime.now(UTC) + timedelta(seconds=5)
    step = timedelta(seconds=1 / plan.due_rate)
    conn = await asyncpg.connect(dsn)
    try:
        ids = [uuid.uuid4() for _ in range(count)]
        at = {s: first + step * i for i, s in enumerate(ids)}
        reminders = [uuid.uuid4() for _ in ids]
        await conn.copy_records_to_table(
            "reminders",
            columns=[
                "reminder_id",
                "organisation_id",
                "resident_id",
                "kind",
                "source",
                "status",
                "due_at",
                "channels",
                "created_at",
                "updated_at",
            ],
            records=[
                (
                    r,
                    ORG,
                    uuid.uuid4(),
                    "patient",
                    "manual",
                    "active",
                    at[s] + LEAD,
                    '["email"]',
                    at[s],
                    at[s],
                )
                for r, s in zip(reminders, ids, strict=True)
            ],
        )
        await conn.copy_records_to_table(
            "reminder_sends",
            columns=["send_id", "reminder_id", "send_at", "status"],
            records=[(s, r, at[s], "scheduled") for r, s in zip(reminders, ids, strict=True)],
        )
    finally:
        await conn.close()
    await wait_for(
        lambda: all(s in received.requests for s in ids), plan.due_seconds + 120, "due sends"
    )
    emitted = [received.emitted[s] - at[s].timestamp() for s in ids]
    arrived = [received.requests[s] - at[s].timestamp() for s in ids]
    return {
        "sends": count,
        "lateness_s": latency_summary(emitted),
        "arrival_s": latency_summary(arrived),
    }


class Backlog:
    """Moves published but not yet consumed, sampled every second while they are paced:
    whether the service kept up through the minute or fell behind as it went."""

    def __init__(self, conn: asyncpg.Connection, published: Callable[[], int]) -> None:
        self.samples: list[int] = []
        self._conn, self._published = conn, published
        self._task = asyncio.create_task(self._sample())

    async def _sample(self) -> None:
        while True:
            await asyncio.sleep(1)
            wanted = self._published()
            self.samples.append(wanted - int(await self._conn.fetchval(INBOX_BOOKINGS)))

    async def stop(self) -> list[int]:
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task
        return self.samples


def _machine() -> dict[str, float]:
    """The whole machine's state: other work on it shows here (1-minute load average)."""
    return {"load_1min": os.getloadavg()[0], "cpu_percent": psutil.cpu_percent(interval=None)}


async def moves(
    dsn: str, received: Received, publisher: Publisher, plan: Plan, service_pid: int
) -> dict[str, Any]:
    """Bookings whose reminder falls due within seconds, moved again and again."""
    bookings = [f"bench-{uuid.uuid4().hex[:12]}" for _ in range(plan.bookings)]
    cases = {b: uuid.uuid4() for b in bookings}
    for b in bookings:
        await publisher.send(
            CaseSubmitted(
                case_id=cases[b],
                resident_id=uuid.uuid4(),
                organisation_id=ORG,
                group_id="nurses",
                form_kind="symptom_assessment",
                identification="identified",
                language="fi",
                urgency="P3",
                phone_contact_allowed=False,
                submitted_at=datetime.now(UTC),
            )
        )

    def confirmed(booking: str, seconds_to_send: float) -> BookingConfirmed:
        starts = datetime.now(UTC) + LEAD + timedelta(seconds=seconds_to_send)
        return BookingConfirmed(
            booking_id=booking,
            case_id=cases[booking],
            organisation_id=ORG,
            starts_at=starts,
            ends_at=starts + timedelta(minutes=30),
            confirmed_at=datetime.now(UTC),
        )

    for b in bookings:  # first confirmations: far ahead, nothing due
        await publisher.send(confirmed(b, 3600))
    published = len(bookings)
    conn = await asyncpg.connect(dsn)
    try:
        if await until(conn, INBOX_BOOKINGS, published, 300) is None:
            raise RuntimeError("the first confirmations were not consumed within 300 s")

        def move(n: int) -> BookingConfirmed:
            # A booking moved so that its reminder falls due 2-20 s from now: the next
            # move of the same booking often arrives before that, and must leave nothing
            # stale.
            return confirmed(bookings[n % len(bookings)], 2 + (n * 7919) % 18)

        # Paced: does the service keep up with `moves_per_minute`?
        service = psutil.Process(service_pid)
        psutil.cpu_percent(interval=None)  # the machine's CPU from here
        cpu_before = sum(service.cpu_times()[:2])
        interval = 60 / plan.moves_per_minute
        started = time.monotonic()
        sent = 0
        total = int(plan.moves_per_minute * plan.moves_seconds / 60)
        backlog = Backlog(conn, lambda: published + sent)
        while sent < total:
            await publisher.send(move(sent))
            sent += 1
            delay = started + sent * interval - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
        last_move = time.monotonic()
        backlog_samples = await backlog.stop()
        machine = _machine()
        paced_cpu_s = sum(service.cpu_times()[:2]) - cpu_before
        offered_per_minute = sent / (last_move - started) * 60
        published += sent
        # Every move consumed (the inbox): seconds after the last move's publish.
        caught_up = await until(conn, INBOX_BOOKINGS, published, 600)
        paced_lag_s = None if caught_up is None else caught_up - last_move
        # Capacity: a backlog of moves published at once; moves over the time from the
        # first one's publish until all were consumed (publishing included).
        burst_started = time.monotonic()
        for n in range(plan.burst_moves):
            await publisher.send(move(sent + n))
        published += plan.burst_moves
        burst_done = await until(conn, INBOX_BOOKINGS, published, 600)
        burst_per_minute = (
            None if burst_done is None else plan.burst_moves / (burst_done - burst_started) * 60
        )
        await asyncio.sleep(25)  # the last moves' send times (at most 20 s ahead) pass
        due_left = await count_due(conn, bookings, 120)
        rows = await conn.fetch(
            "SELECT s.send_id, s.status, s.send_at, r.booking_id FROM reminder_sends s "
            "JOIN reminders r USING (reminder_id) WHERE r.booking_id = ANY($1::text[])",
            bookings,
        )
        no_resident = await conn.fetchval(
            "SELECT count(*) FROM reminders WHERE booking_id = ANY($1::text[]) "
            "AND resident_id IS NULL",
            bookings,
        )
    finally:
        await conn.close()
    # Stale: a request notification received and would send, for a send reminders has
    # withdrawn, with no withdrawal following it; or a booking with two sends still open.
    stale = [
        r
        for r in rows
        if r["status"] == "withdrawn"
        and r["send_id"] in received.requests
        and r["send_id"] not in received.withdrawn
    ]
    open_per_booking: dict[str, int] = {}
    for r in rows:
        if r["status"] in ("scheduled", "requested"):
            open_per_booking[r["booking_id"]] = open_per_booking.get(r["booking_id"], 0) + 1
    doubled = sum(1 for n in open_per_booking.values() if n > 1)
    # Requested in the database but never seen on the topic: lost between outbox and broker.
    missing = [
        r for r in rows if r["status"] == "requested" and r["send_id"] not in received.requests
    ]
    return {
        "moves": sent,
        "moves_per_minute": offered_per_minute,
        "burst_moves": plan.burst_moves,
        "requests": sum(1 for r in rows if r["send_id"] in received.requests),
        "withdrawals": sum(1 for r in rows if r["send_id"] in received.withdrawn),
        "stale_sends": len(stale) + doubled,
        "requested_not_on_topic": len(missing),
        "consumed_after_last_move_s": paced_lag_s,
        "applied_per_minute": burst_per_minute,
        "due_sends_never_claimed": due_left,
        "reminders_without_resident": no_resident,
        "paced_backlog_per_second": backlog_samples,
        "paced_service_cpu_percent": paced_cpu_s / (last_move - started) * 100,
        "paced_machine": machine,
    }


INBOX_BOOKINGS = "SELECT count(*) FROM inbox WHERE topic = 'bookings.appointments.v1'"


async def until(conn: asyncpg.Connection, sql: str, wanted: int, within: float) -> float | None:
    """The monotonic time at which `sql` was seen counting `wanted` (polled every 0.1 s);
    None when it did not within `within`."""
    started = time.monotonic()
    while time.monotonic() - started < within:
        if await conn.fetchval(sql) >= wanted:
            return time.monotonic()
        await asyncio.sleep(0.1)
    return None


async def count_due(conn: asyncpg.Connection, bookings: list[str], within: float) -> int:
    """Sends of the bookings still scheduled although due, once they stop decreasing."""
    started, left = time.monotonic(), -1
    while time.monotonic() - started < within:
        left = await conn.fetchval(
            "SELECT count(*) FROM reminder_sends s JOIN reminders r USING (reminder_id) "
            "WHERE r.booking_id = ANY($1::text[]) AND s.status = 'scheduled' "
            "AND s.send_at <= now()",
            bookings,
        )
        if left == 0:
            break
        await asyncio.sleep(1)
    return int(left)


def _keys(workdir: Path) -> Path:
    keys = workdir / "keys"
    keys.mkdir(parents=True, exist_ok=True)
    generate_keypair(keys)
    return keys


async def measure(postgres: PostgresForTests, broker: BrokerForTests, plan: Plan) -> dict[str, Any]:
    workdir = Path(".bench/reminders")
    keys = _keys(workdir)
    url = await postgres.create_database("reminders")
    dsn = _libpq(url)
    service = ServiceProcess("reminders", free_port(), workdir / "reminders.log")
    env = service_env(
        service,
        database_url=url,
        bootstrap_servers=broker.bootstrap_servers,
        jwks_path=keys / JWKS_FILE,
    )
    env["REMINDERS_TELEMETRY__LOG_JSON"] = "false"
    _phase("service starts (migrations)")
    service.start(env)
    problem = service.wait_healthy(300)
    if problem is not None:
        raise RuntimeError(f"reminders {problem}:\n{service.log_tail(40)}")
    assert service.process is not None
    rss = Rss(service.process.pid)
    publisher, received = Publisher(broker.bootstrap_servers), Received(broker.bootstrap_servers)
    await publisher.start()
    await received.start()
    try:
        _phase(f"bulk load: {plan.scheduled:,} scheduled reminders (COPY)")
        load_s = await bulk_load(
            dsn, plan.scheduled, datetime.now(UTC) + timedelta(days=2), timedelta(seconds=1)
        )
        _phase(f"lateness: {plan.due_rate:g} due/s for {plan.due_seconds:g} s")
        late = await lateness(dsn, received, plan)
        _phase(f"booking moves: {plan.moves_per_minute:,g}/min for {plan.moves_seconds:g} s")
        moved = await moves(dsn, received, publisher, plan, service.process.pid)
    finally:
        peak_mb = rss.stop()
        await received.stop()
        await publisher.stop()
        stop_services([service], timeout=20)
    _phase("raw broker baseline (FastStream) at the same rate")
    raw = await raw_faststream(
        url,
        broker.bootstrap_servers,
        replace(
            PlatformPlan.quick_plan(),
            latency_runs=((plan.due_rate, min(plan.due_seconds, 10.0)),),
        ),
    )
    return {"load_s": load_s, "lateness": late, "moves": moved, "rss_mb": peak_mb, "raw": raw}


def _machine_cpu(moved: dict[str, Any]) -> float | None:
    machine = moved.get("paced_machine")
    return None if machine is None else machine["cpu_percent"] * (os.cpu_count() or 1)


def _machine_load(moved: dict[str, Any]) -> float | None:
    machine = moved.get("paced_machine")
    return None if machine is None else float(machine["load_1min"])


def rows(results: dict[str, Any], plan: Plan) -> list[Row]:
    late = results["lateness"]["lateness_s"]
    arrival = results["lateness"]["arrival_s"]
    raw_runs = results["raw"]["latency"]
    raw_p99 = raw_runs[0]["p99_ms"] if raw_runs else None
    moved = results["moves"]
    return [
        Row("scheduled reminders loaded (COPY)", "", float(plan.scheduled)),
        Row("bulk load", "s", results["load_s"], decimals=1),
        Row(
            f"lateness p99 at {plan.due_rate:g} due/s (send time -> emitted)",
            "ms",
            late["p99_ms"],
            target=Target("<", 1000),
            decimals=1,
        ),
        Row("lateness p50 (send time -> emitted)", "ms", late["p50_ms"], decimals=1),
        Row(
            "send time -> read by a consumer p99 (raw: publish->consume p99)",
            "ms",
            arrival["p99_ms"],
            raw_p99,
            decimals=1,
        ),
        Row("booking moves offered", "/min", moved["moves_per_minute"]),
        Row(
            "paced moves: all consumed after the last one",
            "s",
            moved["consumed_after_last_move_s"],
            decimals=2,
        ),
        Row(
            "paced moves: largest backlog (sampled each second)",
            "",
            float(max(moved.get("paced_backlog_per_second") or [0])),
        ),
        Row(
            "paced moves: service CPU (one core = 100 %)",
            "%",
            moved.get("paced_service_cpu_percent"),
        ),
        Row(
            "paced moves: whole machine CPU (one core = 100 %)",
            "%",
            _machine_cpu(moved),
        ),
        Row(
            "paced moves: machine load average (1 min, at the end)",
            "",
            _machine_load(moved),
            decimals=2,
        ),
        Row(
            f"booking moves recomputed ({moved['burst_moves']:,} at once)",
            "/min",
            moved["applied_per_minute"],
            target=Target(">=", 10_000),
        ),
        Row("stale sends after moves", "", float(moved["stale_sends"]), target=Target("<", 1)),
        Row(
            "requests lost (requested, never on the topic)",
            "",
            float(moved["requested_not_on_topic"]),
            target=Target("<", 1),
        ),
        Row(
            "due sends left unclaimed",
            "",
            float(moved["due_sends_never_claimed"]),
            target=Target("<", 1),
        ),
        Row(
            "booking reminders left without their case's resident",
            "",
            float(moved["reminders_without_resident"]),
        ),
        Row("service RSS (peak)", "MB", results["rss_mb"], target=Target("<", 200), decimals=1),
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a smoke run: small numbers")
    parser.add_argument("--output", type=Path, default=Path(".bench/reminders.json"))
    args = parser.parse_args(argv)
    quiet_logs()
    plan = Plan().quick_plan() if args.quick else Plan()
    results = run_on_servers(lambda pg, broker: measure(pg, broker, plan))
    table = rows(results, plan)
    print(
        "\nReminders (scheduler, booking moves)" + (" — QUICK, not a claim" if plan.quick else "")
    )
    print(render_table(table))
    print(summary(table))
    print(
        f"  moves: {results['moves']['moves']} paced and {results['moves']['burst_moves']} at once;"
        f" {results['moves']['requests']} requests, {results['moves']['withdrawals']} of them"
        " withdrawn after hand-over"
    )
    write_report(
        args.output,
        quick=plan.quick,
        elapsed=time.monotonic() - _STARTED,
        plan=asdict(plan),
        rows=table,
        details=results,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
