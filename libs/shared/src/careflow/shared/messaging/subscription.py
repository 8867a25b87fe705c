"""The Kafka side of an EventConsumer: one group member, one worker per busy partition.

The member fetches; each partition's records queue for a worker task of their
own, which hands them, up to `batch_max_records` at a time, to
`EventConsumer.process_batch` (one transaction for the lot when it can; at most
`max_workers` partitions at a time) and marks the partition's offset for commit
only after that returned. One worker per partition keeps per-partition order, and a
partition that is retrying holds back only itself; it is paused once it has
2 x `batch_max_records` waiting, so its queue stays bounded. Records keep being
fetched while a batch is applied, so the next batch is ready when it ends.

Offsets go out through `_Commits`, off the batches' path: a worker marks what it
applied and goes on (a commit per batch, awaited by the partition's next batch, was
6-7 % of a consumer's CPU at 500 events/s and a round trip on every batch's path).
With the runtime's topic keeper as the gate, an applied offset waits until a topic
check that began after its records were fetched found the broker whole
(`TopicKeeper.commit_horizon`, every 2 s), then goes out with every other
partition's in one request; the offset of a record fetched before anything suggested
the broker failed is never committed. Why: a commit that reaches a broker after it
restarted without its state becomes the fresh members' starting point in the
re-created topics, and they skip as many events. A committer that held offsets for a
second without that gate lost queue items and notifications in the chaos run. What
is not committed (a stop, a rebalance before the next check) is read again by the
next owner, and the inbox drops it. Without a gate, offsets go out at once, one
request in flight.

Why one member and not one per partition: every member that joins makes the
group rebalance, and aiokafka's `start()` waits for that; members joining one
after another cost a service tens of seconds at start-up (seconds per member
on Tansu). Why not FastStream's subscriber: its per-partition workers deliver
one message at a time; per-message transactions and dependency injection cost
~2 ms of CPU per event, which capped a service at ~300 events/s on two cores.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from typing import TYPE_CHECKING, Any, Protocol

from aiokafka import AIOKafkaConsumer, ConsumerRebalanceListener
from aiokafka.errors import CommitFailedError, IllegalStateError, KafkaError
from aiokafka.structs import ConsumerRecord, TopicPartition

from careflow.shared.messaging.kafka_client import connection_options, disable_topic_auto_creation
from careflow.shared.settings import BrokerSettings
from careflow.shared.tasks import cancel_and_wait
from careflow.shared.telemetry.metrics import CONSUMER_METRICS

if TYPE_CHECKING:
    from careflow.shared.messaging.consumer import EventConsumer

log = logging.getLogger(__name__)

# How long a rebalance waits for workers of revoked partitions to finish their
# batch (and commit) before cancelling them; a cancelled batch rolls back and is
# re-read by the partition's next owner, whose inbox drops what was applied.
REVOKE_GRACE_SECONDS = 10.0
# How often a member looks for applied offsets its gate now vouches for.
RELEASE_SECONDS = 0.5
# Applied offsets of one partition closer together than this share one entry.
ENTRY_SECONDS = 0.1


class CommitGate(Protocol):
    """What offset commits wait for (careflow.shared.messaging.topics.TopicKeeper)."""

    #: Set while the broker is vouched for; cleared while its state is in doubt.
    ready: asyncio.Event

    def commit_horizon(self) -> tuple[float, float]: ...

    def note_disturbance(self) -> None: ...


class Subscription:
    """Runs `consumer`'s group member and partition workers until stopped."""

    def __init__(
        self,
        consumer: EventConsumer[Any],
        broker: BrokerSettings,
        *,
        client_id: str,
        gate: CommitGate | None = None,
    ) -> None:
        self.consumer = consumer
        self._gate = gate
        self._broker = broker
        self._client_id = client_id
        self._member: AIOKafkaConsumer | None = None
        self._fetcher: asyncio.Task[None] | None = None
        self._pending: dict[TopicPartition, deque[ConsumerRecord]] = {}
        self._workers: dict[TopicPartition, asyncio.Task[None]] = {}
        self._slots = asyncio.Semaphore(consumer.settings.max_workers)
        # A partition whose worker has this many records waiting is paused, so a
        # slow or retrying partition holds a bounded number in memory.
        self._high_water = 2 * consumer.settings.batch_max_records
        # Per partition, the offset of the next record to apply: what the lag gauge
        # measures from (the committed offset trails it only by a commit).
        self._next_to_apply: dict[TopicPartition, int] = {}
        self._commits: _Commits | None = None

    async def start(self) -> None:
        """Returns once the member joined the group and owns its partitions."""
        disable_topic_auto_creation()
        settings = self.consumer.settings
        member = AIOKafkaConsumer(
            **connection_options(self._broker),
            client_id=self._client_id,
            group_id=self.consumer.group,
            enable_auto_commit=False,
            auto_offset_reset=settings.auto_offset_reset,
            fetch_max_wait_ms=settings.fetch_max_wait_ms,
            max_poll_records=settings.batch_max_records,
            request_timeout_ms=self._broker.request_timeout_ms,
            session_timeout_ms=settings.session_timeout_ms,
            heartbeat_interval_ms=settings.heartbeat_interval_ms,
        )
        member.subscribe([self.consumer.topic.name], listener=_FinishRevoked(self))
        await member.start()
        self._member = member
        self._commits = _Commits(member, self._gate)
        CONSUMER_METRICS.watch_lag(self)
        self._fetcher = asyncio.create_task(
            self._fetch(member), name=f"consume-{self.consumer.topic.name}"
        )

    async def stop(self) -> None:
        CONSUMER_METRICS.forget_lag(self)
        if self._fetcher is not None:
            await cancel_and_wait(self._fetcher)
            self._fetcher = None
        for task in list(self._workers.values()):
            await cancel_and_wait(task)
        if self._commits is not None:
            # What was applied and not yet committed is read again by the next
            # owner (the inbox drops it): committing here could write old
            # positions into a broker that restarted without its state.
            await self._commits.abandon()
            self._commits = None
        self._workers.clear()
        self._pending.clear()
        self._next_to_apply.clear()
        if self._member is not None:
            try:
                await self._member.stop()
            except KafkaError as exc:  # leaving a group the broker forgot is harmless
                log.warning("consumer stop: %s", type(exc).__name__)
            self._member = None

    def assignments(self) -> list[set[TopicPartition]]:
        """The partitions the member owns right now (empty before the group joined)."""
        return [set(self._member.assignment())] if self._member is not None else []

    def partition_states(self) -> dict[int, str]:
        """Per owned partition: records waiting, paused or not, a worker applying or not.
        For diagnostics (a stalled partition says whether it is fetched, queued or held)."""
        member = self._member
        if member is None:
            return {}
        paused = member.paused()
        return {
            tp.partition: (
                f"{len(self._pending.get(tp, ()))} waiting"
                f"{', paused' if tp in paused else ''}"
                f"{', worker busy' if tp in self._workers else ''}"
            )
            for tp in sorted(member.assignment(), key=lambda tp: tp.partition)
        }

    def lag(self) -> list[tuple[str, str, int, int]]:
        """(topic, group, partition, lag) per owned partition whose high watermark a
        fetch has reported. A partition nothing was fetched from since it was assigned
        counts as caught up: a fetch returns records while the position is below it."""
        member = self._member
        if member is None:
            return []
        lags = []
        for tp in list(member.assignment()):
            high = member.highwater(tp)
            if high is None:
                continue
            behind = max(high - self._next_to_apply.get(tp, high), 0)
            lags.append((tp.topic, self.consumer.group, tp.partition, behind))
        return lags

    async def _fetch(self, member: AIOKafkaConsumer) -> None:
        settings = self.consumer.settings
        commits = self._commits
        assert commits is not None  # set in start(), before the fetcher exists
        while True:
            try:
                fetched = await member.getmany(timeout_ms=1000)
            except KafkaError as exc:
                log.warning("fetch failed, retrying: %s", type(exc).__name__)
                if self._gate is not None:
                    self._gate.note_disturbance()  # nothing applied so far is committed
                await asyncio.sleep(settings.retry_initial_seconds)
                continue
            if self._gate is not None and not self._gate.ready.is_set():
                # The broker's state is in doubt (unreachable, or its topics missing): a
                # broker that restarted empty hands out records at this member's old
                # positions, past the first events a relay's retried batch put into the
                # topics it re-created - those would be skipped. Nothing fetched now is
                # applied until the keeper vouches for the broker again; if it finds the
                # state lost, the runtime replaces this member (this wait is cancelled)
                # and the fresh one reads from the start. Found in CI: a key's first event
                # applied after its second and third.
                self._gate.note_disturbance()
                await self._gate.ready.wait()
            # No await from here on: a worker's seek cannot slip in between.
            for tp, records in fetched.items():
                if records:
                    self._next_to_apply.setdefault(tp, records[0].offset)
                    commits.fetched(tp, records[-1].offset)
                pending = self._pending.setdefault(tp, deque())
                pending.extend(records)
                if len(pending) >= self._high_water:
                    member.pause(tp)
                if tp not in self._workers:
                    self._workers[tp] = asyncio.create_task(
                        self._work(member, tp, pending), name=f"apply-{tp.topic}-{tp.partition}"
                    )

    async def _work(
        self, member: AIOKafkaConsumer, tp: TopicPartition, pending: deque[ConsumerRecord]
    ) -> None:
        """Applies the partition's records in order while there are any, batch by batch."""
        settings = self.consumer.settings
        commits = self._commits
        assert commits is not None  # set in start(), before the fetcher exists
        try:
            while pending:
                batch = [
                    pending.popleft() for _ in range(min(len(pending), settings.batch_max_records))
                ]
                try:
                    async with self._slots:
                        await self.consumer.process_batch(batch)
                except Exception as exc:
                    # process_batch dead-letters bad messages and retries outages
                    # itself; reaching here is a bug. Never commit past it: drop
                    # what was fetched after it and read the partition again.
                    log.error("batch failed on %s[%d]: %s", tp.topic, tp.partition, repr(exc))
                    pending.clear()
                    commits.forget(tp)
                    if tp in member.assignment():
                        member.pause(tp)
                        member.seek(tp, batch[0].offset)
                    await asyncio.sleep(settings.retry_max_seconds)
                    break
                self._next_to_apply[tp] = batch[-1].offset + 1
                commits.applied(tp, batch[-1].offset + 1)
                if len(pending) < self._high_water and tp in member.paused():
                    member.resume(tp)
        finally:
            if self._workers.get(tp) is asyncio.current_task():
                del self._workers[tp]
            if tp in member.assignment() and len(pending) < self._high_water:
                member.resume(tp)

    async def finish_revoked(self, revoked: set[TopicPartition]) -> None:
        """Lets the workers of partitions leaving this member finish (bounded)."""
        tasks = [task for tp, task in self._workers.items() if tp in revoked]
        if tasks:
            _done, late = await asyncio.wait(tasks, timeout=REVOKE_GRACE_SECONDS)
            for task in late:
                await cancel_and_wait(task)
        if self._commits is not None:
            # The next owner reads on from what this member applied; a commit that
            # takes longer is given up and its partitions re-read (the inbox drops them).
            try:
                async with asyncio.timeout(REVOKE_GRACE_SECONDS):
                    await self._commits.flush()
            except TimeoutError:
                await self._commits.abandon()
        for tp in revoked:
            # The next owner reads from the last commit; nothing stays buffered here.
            if self._commits is not None:
                self._commits.forget(tp)
            self._pending.pop(tp, None)
            self._next_to_apply.pop(tp, None)


class _Commits:
    """A member's offset commits: one request in flight, each carrying the newest
    committable offset of every partition that moved since the last one."""

    def __init__(self, member: AIOKafkaConsumer, gate: CommitGate | None) -> None:
        self._member = member
        self._gate = gate
        # Per partition, (last offset, fetched at) of each fetch not yet applied in full.
        self._fetches: dict[TopicPartition, deque[tuple[int, float]]] = {}
        # Per partition, (first fetched at, last fetched at, offset) of applied records
        # not yet vouched for, oldest first; records fetched within ENTRY_SECONDS of an
        # entry's first share it. Fetch times, not apply times: a record fetched before
        # a broker restart and applied after it carries a position in the old topic.
        self._held: dict[TopicPartition, deque[tuple[float, float, int]]] = {}
        self._due: dict[TopicPartition, int] = {}
        self._sender: asyncio.Task[None] | None = None
        self._releaser = (
            asyncio.create_task(self._release_now_and_then(), name="commit-release")
            if gate is not None
            else None
        )

    def fetched(self, tp: TopicPartition, last_offset: int) -> None:
        if self._gate is not None:
            self._fetches.setdefault(tp, deque()).append((last_offset, time.monotonic()))

    def forget(self, tp: TopicPartition) -> None:
        """The partition's fetched records were dropped (re-read, or the partition left)."""
        self._fetches.pop(tp, None)

    def applied(self, tp: TopicPartition, offset: int) -> None:
        """Records up to `offset` (the next one to apply) were applied."""
        if self._gate is None:
            self._due[tp] = offset
            self._send_soon()
            return
        last = offset - 1
        fetches = self._fetches.get(tp) or deque()
        while fetches and fetches[0][0] < last:
            fetches.popleft()
        # Not found only if forgotten meanwhile: then as late as can be.
        fetched_at = fetches[0][1] if fetches else time.monotonic()
        if fetches and fetches[0][0] == last:
            fetches.popleft()
        held = self._held.setdefault(tp, deque())
        if held and fetched_at - held[-1][0] < ENTRY_SECONDS:
            held[-1] = (held[-1][0], max(held[-1][1], fetched_at), offset)
        else:
            held.append((fetched_at, fetched_at, offset))

    def release(self) -> None:
        """Moves what the gate vouches for to the next request; drops what it never will."""
        if self._gate is None:
            return
        vouched, disturbed = self._gate.commit_horizon()
        for tp, held in self._held.items():
            # An entry is as old as its latest fetch: vouched for only after that one.
            while held and held[0][1] <= disturbed:
                held.popleft()
            newest = None
            while held and held[0][1] < vouched:
                newest = held.popleft()[2]
            if newest is not None:
                self._due[tp] = newest
        if self._due:
            self._send_soon()

    async def _release_now_and_then(self) -> None:
        while True:
            await asyncio.sleep(RELEASE_SECONDS)
            self.release()

    def _send_soon(self) -> None:
        if self._sender is None or self._sender.done():
            self._sender = asyncio.create_task(self._send(), name="commit-offsets")

    async def _send(self) -> None:
        while self._due:
            due, self._due = self._due, {}
            owned = self._member.assignment()
            due = {tp: offset for tp, offset in due.items() if tp in owned}
            if not due:
                continue
            try:
                await self._member.commit(due)
            except (CommitFailedError, IllegalStateError, KafkaError) as exc:
                # The partitions moved to another member during a rebalance, or the
                # broker is away: they are re-read from the last commit and the
                # inbox drops what was already applied. Neither retried nor followed
                # by what was released meanwhile: those could reach a broker that
                # came back without its state.
                log.warning("offset commit skipped (%s)", type(exc).__name__)
                self._due.clear()

    async def flush(self) -> None:
        """Sends what the gate vouches for now and waits for it (the caller bounds it)."""
        self.release()
        if self._sender is not None:
            await asyncio.shield(self._sender)

    async def abandon(self) -> None:
        self._fetches.clear()
        self._held.clear()
        self._due.clear()
        for task in (self._releaser, self._sender):
            if task is not None:
                await cancel_and_wait(task)
        self._releaser = self._sender = None


class _FinishRevoked(ConsumerRebalanceListener):  # type: ignore[misc]
    def __init__(self, subscription: Subscription) -> None:
        self._subscription = subscription

    async def on_partitions_revoked(self, revoked: set[TopicPartition]) -> None:
        await self._subscription.finish_revoked(set(revoked))

    async def on_partitions_assigned(self, assigned: set[TopicPartition]) -> None:
        return None
