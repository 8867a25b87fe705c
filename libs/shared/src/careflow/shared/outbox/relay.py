"""The outbox relay: publishes committed events to Kafka, in order per key.

Leaderless scale-out: each pass takes, with `pg_try_advisory_xact_lock`, the
shards no other replica holds, then locks their oldest unpublished rows
(`FOR UPDATE SKIP LOCKED`). A key always maps to one shard, so two replicas
never publish events of one key concurrently and per-key order holds.

Delivery is at-least-once: a crash after publishing and before the
`published_at` update publishes those rows again; consumers' inboxes drop the
duplicates.

Wake-ups come from this process's own commits (`wake`, called by the unit of work
after a commit that wrote events), with a slow fallback poll. They used to come from a
NOTIFY sent on commit by a trigger on the outbox, but PostgreSQL serialises the commits
of notifying transactions, WAL flush included, under one cluster-wide lock: INSERT
commits fell from 20,900 to 5,200/s with the trigger (pgbench, 16 clients, same
server), and each NOTIFY cost the server about 0.08 ms more and the listener a wake-up
(README, issue 15). Every writer of a service's outbox is its own process's unit of
work, and every service process runs its relay. Another replica's pass may hold some
shards while this one's claims: a pass that did not get every shard is followed by
another after `pass_interval_seconds`, not by the idle wait, so a row this process
committed into a shard held elsewhere waits no longer than before.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from typing import Protocol

import asyncpg
from aiokafka import AIOKafkaProducer
from aiokafka.errors import KafkaError
from opentelemetry import trace
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from careflow.shared.db.driver import driver_transaction
from careflow.shared.outbox.publishing import OutboxRow, publish_in_order
from careflow.shared.settings import RelaySettings
from careflow.shared.telemetry.metrics import OUTBOX_METRICS

log = logging.getLogger(__name__)
tracer = trace.get_tracer("careflow.outbox.relay")

# Advisory-lock namespace of the relay's shard locks (any constant unique to us).
LOCK_NAMESPACE = 0x0CF0

# Plain index scans for the claim, in the pass's transaction only. A published row's
# entry stays in the pending index until VACUUM; a bitmap scan, which the planner picks
# for the few rows it expects, fetches every such row's heap tuple on each pass and never
# marks the entry dead, so a pass's claim grew with all that was published since the
# last vacuum (5 ms and 10,000 buffers with 30,000 rows published; platform p99 at 500/s
# 551 ms in a full bench run). An index scan marks the dead entries it passes, and later
# passes skip them: 0.4 ms and 215 buffers there. No sequential scan either, which would
# read every published row still in the table on each pass. Set with the BEGIN, in its
# round trip (the simple protocol takes several statements), before the claim is planned.
BEGIN_CLAIMING = "BEGIN; SET LOCAL enable_bitmapscan = off; SET LOCAL enable_seqscan = off"
# The shards no other pass holds are locked, and the oldest unpublished rows of those
# locked, in one statement; the held shards come back on every row (on a lone row with
# no outbox columns when there is nothing to publish): a pass that did not get them all
# knows to pass again soon (module docstring).
CLAIM_SQL = """
    WITH held AS MATERIALIZED (
        SELECT ARRAY(
            SELECT s::smallint FROM generate_series(0, $1::int - 1) AS s
            WHERE pg_try_advisory_xact_lock($2::int, s)
        ) AS shards
    ), claimed AS (
        SELECT id, event_id::text, topic, key, event_type, source, subject, payload::text,
               headers::text, occurred_at
        FROM outbox
        WHERE published_at IS NULL AND shard = ANY((SELECT shards FROM held)::smallint[])
        ORDER BY id
        LIMIT $3
        FOR UPDATE SKIP LOCKED
    )
    SELECT held.shards AS held, claimed.* FROM held LEFT JOIN claimed ON true
    ORDER BY claimed.id
"""
# The published rows are marked, and the pass committed, in one round trip: the ids are
# the claim's own integers, written into the text (which the simple protocol needs).
MARK_AND_COMMIT_SQL = "UPDATE outbox SET published_at = now() WHERE id IN ({ids}); COMMIT"
LAG_SQL = text(
    "SELECT count(*), extract(epoch FROM now() - min(created_at)) "
    "FROM outbox WHERE published_at IS NULL"
)
PURGE_SQL = text("DELETE FROM outbox WHERE published_at < now() - make_interval(secs => :secs)")


# The least wait before passing again over shards another pass held (pacing may be 0).
_HELD_RETRY_SECONDS = 0.005


class BrokerHealth(Protocol):
    ready: asyncio.Event

    def report_failure(self) -> None: ...


# Hook for fault-injection tests: runs after Kafka acknowledged a batch and
# before the rows are marked published (where a crash causes redelivery).
AfterPublish = Callable[[Sequence[OutboxRow]], Awaitable[None]]


class OutboxRelay:
    def __init__(
        self,
        engine: AsyncEngine,
        producer: AIOKafkaProducer,
        settings: RelaySettings,
        *,
        service: str,
        broker_health: BrokerHealth | None = None,
        after_publish: AfterPublish | None = None,
    ) -> None:
        self._engine = engine
        self._producer = producer
        self._settings = settings
        self._service = service
        self._broker_health = broker_health
        self._after_publish = after_publish
        self._wake = asyncio.Event()
        self._passing = asyncio.Lock()
        self._last_lag_check = 0.0
        self._pass_started = 0.0
        # Whether the last claim found shards held by another replica's pass.
        self._shards_missed = False
        self.published = 0

    def wake(self) -> None:
        """A commit of this process wrote events: a pass starts (paced) if none runs."""
        self._wake.set()

    async def run(self) -> None:
        """Publish until cancelled; survives broker and database outages."""
        delay = self._settings.retry_initial_seconds
        while True:
            # Cleared before the pass, not after it: a wake-up for a commit the pass
            # did not see must leave the flag set, or that event waits for the poll.
            self._wake.clear()
            try:
                async with self._passing:
                    # Checked inside the lock: once `quiesce` has returned, no pass
                    # starts until the broker is ready again.
                    if self._broker_health is not None and not self._broker_health.ready.is_set():
                        count = -1
                    else:
                        self._pass_started = time.monotonic()
                        count = await self.drain_once()
                if count < 0:
                    await self._broker_health.ready.wait()  # type: ignore[union-attr]
                    continue
                delay = self._settings.retry_initial_seconds
            except Exception as exc:
                # Broker or database outages heal; anything else is a bug that
                # the lag metric and this log make visible while rows stay queued.
                OUTBOX_METRICS.publish_failures.add(1, {"service": self._service})
                log.warning(
                    "outbox publish failed, retrying in %.1fs: %s", delay, type(exc).__name__
                )
                if isinstance(exc, KafkaError) and self._broker_health is not None:
                    self._broker_health.report_failure()
                await asyncio.sleep(delay)
                delay = min(delay * 2, self._settings.retry_max_seconds)
                if self._broker_health is not None:
                    # Publishing into a broker that lost its topics would let it
                    # auto-create them with the wrong partition count.
                    await self._broker_health.ready.wait()
                continue
            try:
                await self._maybe_report_lag()
            except Exception as exc:
                # A gauge missed is no reason to stop publishing (a PostgreSQL
                # restart once killed the relay here, its rows left unpublished).
                log.warning("outbox lag check failed: %s", type(exc).__name__)
            if count >= self._settings.batch_size:
                continue  # more may be waiting: the next pass at once
            if self._shards_missed:
                await asyncio.sleep(max(self._settings.pass_interval_seconds, _HELD_RETRY_SECONDS))
            else:
                await self._idle()

    async def quiesce(self) -> None:
        """Returns once no pass is publishing; with the broker marked not ready, none
        starts until it is again. The topic keeper calls this before re-creating lost
        topics, so that no pass spans the re-creation (part of its events refused or
        lost, the rest delivered into the new topics ahead of the re-published ones)."""
        async with self._passing:
            return

    async def drain_once(self) -> int:
        """One pass: publish up to one batch; returns how many rows it published.

        Each partition's rows go out as ordered record batches (outbox.publishing).
        When a batch fails, the acknowledged rows are marked and the error is raised;
        the rest stay unpublished for the next pass, in order.
        """
        # On the driver connection: through SQLAlchemy a pass's begin, shard locks, claim,
        # mark and commit were about half of its CPU, and every service process passes
        # up to 40 times a second under load.
        async with driver_transaction(self._engine, begin=BEGIN_CLAIMING) as conn:
            rows = await self.claim(conn)
            if not rows:
                return 0
            sent, failure = await publish_in_order(self._producer, rows)
            if sent and self._after_publish is not None:
                await self._after_publish(sent)
            if sent:
                ids = ", ".join(str(int(row.id)) for row in sent)
                await conn.execute(MARK_AND_COMMIT_SQL.format(ids=ids))
        self.published += len(sent)
        OUTBOX_METRICS.published.add(len(sent), {"service": self._service})
        if failure is not None:
            raise failure
        return len(sent)

    async def claim(self, conn: asyncpg.Connection) -> list[OutboxRow]:
        """Locks and returns the oldest unpublished rows of the shards no other pass
        holds, in `conn`'s transaction (begun with BEGIN_CLAIMING; it holds the locks until
        it ends)."""
        shards = self._settings.shards
        claimed = await conn.fetch(CLAIM_SQL, shards, LOCK_NAMESPACE, self._settings.batch_size)
        self._shards_missed = len(claimed[0]["held"]) < shards
        return [OutboxRow.of(row[1:]) for row in claimed if row["id"] is not None]

    async def _idle(self) -> None:
        # asyncio.timeout, not wait_for: on 3.11 wait_for swallows a cancellation
        # that races a wake-up, and the runtime's stop() then waits forever.
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(self._settings.idle_poll_seconds):
                await self._wake.wait()
            # Pacing: a wake-up soon after the last pass began waits out the interval,
            # so a busy stream of commits shares passes; a lone commit is not delayed.
            pause = self._pass_started + self._settings.pass_interval_seconds - time.monotonic()
            if pause > 0:
                await asyncio.sleep(pause)

    async def _maybe_report_lag(self) -> None:
        now = time.monotonic()
        if now - self._last_lag_check < 10:
            return
        self._last_lag_check = now
        async with self._engine.begin() as conn:
            pending, age = (await conn.execute(LAG_SQL)).one()
            if self._settings.retain_published_hours:
                await conn.execute(
                    PURGE_SQL, {"secs": self._settings.retain_published_hours * 3600}
                )
        OUTBOX_METRICS.set_lag(self._service, int(pending), float(age or 0.0))
