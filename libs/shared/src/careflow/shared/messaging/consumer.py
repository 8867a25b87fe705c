"""Idempotent consumers: one per (topic, consumer group).

For each fetched batch of one partition: decode every CloudEvents envelope
and contract model, then in ONE database transaction claim the event ids in
the inbox and apply the handlers' effects; commit; only then the offset is
committed (messaging.subscription). A redelivered event finds its inbox row
and has no second effect. If anything in the batch fails, the transaction is
rolled back and the batch is applied again message by message, so one bad or
not-yet-applicable message costs only itself.

A consumer whose handlers' only effects are their unit of work's writes (no mail
sent, no call made) may claim at the commit instead (`claim_at_commit`): the inbox
rows go in as one more part of the commit's writes, so a handler that reads plainly
and queues its writes costs one statement in all - no BEGIN, claim and COMMIT round
trips. An event claimed before makes that insert fail on the inbox's key, which
rolls back everything with it: the outcome is the same `duplicate`, found after the
handler's reads instead of before them.

Failures never skip a message: non-retryable ones (bad envelope, schema
violation, unknown type or version, retries exhausted) go to `<topic>.dlq`
with the reason in headers; retryable ones are retried in place with
exponential backoff, holding back only their own partition. A dead letter
that cannot be written holds its partition too, logged at every attempt,
until it is (messaging.dead_letters says why it waits rather than moves on).
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Generic, TypeVar

import asyncpg
from aiokafka import AIOKafkaProducer
from aiokafka.structs import ConsumerRecord
from opentelemetry import propagate, trace
from opentelemetry.trace import Span, SpanKind
from pydantic import ValidationError
from sqlalchemy import text
from tenacity import AsyncRetrying, RetryCallState, retry_if_exception, wait_exponential_jitter

from careflow.contracts.base import ContractEvent
from careflow.contracts.envelope import Envelope, EnvelopeError
from careflow.contracts.topics import TopicSpec
from careflow.shared.db.driver import driver_connection
from careflow.shared.messaging.dead_letters import write_dead_letter
from careflow.shared.messaging.errors import PermanentError, is_transient
from careflow.shared.outbox.unit_of_work import SqlUnitOfWork
from careflow.shared.settings import ConsumerSettings
from careflow.shared.telemetry.metrics import CONSUMER_METRICS
from careflow.shared.telemetry.sql import statement_span

log = logging.getLogger(__name__)
tracer = trace.get_tracer("careflow.consumer")

# Plain SQL on purpose: SQLAlchemy does not cache compiled ON CONFLICT inserts,
# and these statements run for every consumed batch.
CLAIM_INBOX_MANY = text(
    "INSERT INTO inbox (consumer, event_id, event_type, topic) "
    "SELECT :consumer, e.event_id, e.event_type, :topic "
    "FROM unnest(CAST(:event_ids AS text[]), CAST(:event_types AS text[])) "
    "AS e(event_id, event_type) "
    "ON CONFLICT DO NOTHING RETURNING event_id"
)
# The same on the driver connection (careflow.shared.db.driver): a consumed batch's first
# statement, which begins its transaction; asyncpg prepares each once per connection.
_CLAIM_INBOX_DRIVER = (
    "INSERT INTO inbox (consumer, event_id, event_type, topic) "
    "SELECT $1, e.event_id, e.event_type, $4 "
    "FROM unnest($2::text[], $3::text[]) AS e(event_id, event_type) "
    "ON CONFLICT DO NOTHING RETURNING event_id"
)

# The claim as a write of the commit (claim_at_commit): no ON CONFLICT, so an event
# already claimed - committed, or in a transaction still open - fails the statement.
_CLAIM_INBOX_WRITE = (
    "INSERT INTO inbox (consumer, event_id, event_type, topic) "
    "SELECT $1, e.event_id, e.event_type, $4 "
    "FROM unnest($2::text[], $3::text[]) AS e(event_id, event_type)"
)
_INBOX_KEY = "pk_inbox"

E = TypeVar("E", bound=ContractEvent)
U = TypeVar("U", bound=SqlUnitOfWork)
Handler = Callable[[E, Envelope, U], Awaitable[None]]


@dataclass(frozen=True)
class Decoded:
    envelope: Envelope
    event: ContractEvent


@dataclass
class _Pending:
    """A decoded message of a batch, its handler and its open span."""

    record: ConsumerRecord
    decoded: Decoded
    handler: Callable[..., Awaitable[None]]
    span: Span
    outcome: str = "processed"


class EventConsumer(Generic[U]):
    """Dispatches one topic's events by CloudEvents type to registered handlers."""

    def __init__(
        self,
        topic: TopicSpec,
        *,
        group: str,
        uow_factory: Callable[[], U],
        producer: AIOKafkaProducer,
        settings: ConsumerSettings,
        max_attempts: int = 8,
        claim_at_commit: bool = False,
    ) -> None:
        self.topic = topic
        self._claim_at_commit = claim_at_commit
        self.group = group
        self._uow_factory = uow_factory
        self._producer = producer
        self.settings = settings
        self._max_attempts = max_attempts
        self._handlers: dict[str, tuple[type[ContractEvent], Callable[..., Awaitable[None]]]] = {}
        self._wanted: dict[str, Callable[[Any], bool]] = {}
        # Built once; `copy()` per message gives each its own attempt state.
        self._retrying = AsyncRetrying(
            # tenacity catches BaseException: a cancellation (the service stopping) must
            # end the attempt, not be retried as if the handler had failed.
            retry=retry_if_exception(
                lambda exc: isinstance(exc, Exception) and not isinstance(exc, PermanentError)
            ),
            wait=wait_exponential_jitter(
                multiplier=settings.retry_initial_seconds,
                max=settings.retry_max_seconds,
            ),
            stop=self._should_stop,
            before_sleep=self._before_retry,
            reraise=True,
        )

    def on(
        self, event_class: type[E], *, when: Callable[[E], bool] | None = None
    ) -> Callable[[Handler[E, U]], Handler[E, U]]:
        """`when`: only events it accepts reach the handler; the others are `ignored` as
        unhandled types are, without a transaction or an inbox row (a topic whose
        events mostly need nothing from this consumer then costs only their decoding;
        a malformed one of a handled type is still dead-lettered)."""
        if event_class not in self.topic.events:
            raise ValueError(f"{event_class.event_type} is not published on {self.topic.name}")

        def register(handler: Handler[E, U]) -> Handler[E, U]:
            self._handlers[event_class.event_type] = (event_class, handler)
            if when is not None:
                self._wanted[event_class.event_type] = when
            return handler

        return register

    async def process_batch(self, records: Sequence[ConsumerRecord]) -> list[str]:
        """Applies one partition's records in order; returns their outcomes. Never raises
        for a bad message."""
        if len(records) == 1:
            return [await self.process(records[0])]
        started = time.perf_counter()
        outcomes: list[str] = ["ignored"] * len(records)
        pending: list[tuple[int, _Pending]] = []
        for index, record in enumerate(records):
            try:
                decoded = self._decode(record)
            except PermanentError as exc:
                outcomes[index] = await self._dead_letter_traced(record, exc)
                continue
            if decoded is None:
                continue
            entry = self._handler_for(decoded)
            if entry is not None:
                span = self._start_span(record)
                pending.append((index, _Pending(record, decoded, entry[1], span)))
        if pending:
            if await self._apply_together([p for _, p in pending]):
                for index, item in pending:
                    outcomes[index] = item.outcome
                    item.span.set_attribute("careflow.outcome", item.outcome)
                    item.span.end()
            else:
                for index, item in pending:
                    with trace.use_span(item.span, end_on_exit=True):
                        outcomes[index] = await self._apply_with_retries(
                            item.decoded, item.handler, item.record
                        )
                        item.span.set_attribute("careflow.outcome", outcomes[index])
            for index, item in pending:
                if outcomes[index] == "processed":
                    self._record_age(item.decoded.envelope)
        elapsed = time.perf_counter() - started
        for record, outcome in zip(records, outcomes, strict=True):
            labels = {"topic": record.topic, "group": self.group, "outcome": outcome}
            CONSUMER_METRICS.messages.add(1, labels)
            CONSUMER_METRICS.duration.record(elapsed, labels)
        return outcomes

    async def _apply_together(self, batch: list[_Pending]) -> bool:
        """One transaction for the whole batch; False (and nothing applied) if any part
        failed, so the caller applies it message by message."""
        # The shared claim and commit belong to no one message: they run under a batch
        # span linked to every message's span, not as parentless traces of their own.
        links = [trace.Link(item.span.get_span_context()) for item in batch]
        try:
            with tracer.start_as_current_span(f"{batch[0].record.topic} apply batch", links=links):
                async with self._uow_factory() as uow:
                    topic = batch[0].record.topic
                    ids = [p.decoded.envelope.id for p in batch]
                    types = [p.decoded.envelope.type for p in batch]
                    if self._claim_at_commit:
                        claimed = set(ids)
                    else:
                        claimed = await self._claim(uow, topic, ids, types)
                    for item in batch:
                        event_id = item.decoded.envelope.id
                        if event_id not in claimed:
                            item.outcome = "duplicate"
                            continue
                        claimed.discard(event_id)  # the same id twice in one batch: once
                        with trace.use_span(item.span, end_on_exit=False):
                            await item.handler(item.decoded.event, item.decoded.envelope, uow)
                    if self._claim_at_commit:
                        # Each id once. One claimed before fails the commit, and the batch
                        # goes message by message, where that one is found a duplicate.
                        first = dict(zip(ids, types, strict=True))
                        self._claim_with_writes(uow, topic, list(first), list(first.values()))
                    await uow.commit()
            return True
        except Exception as exc:
            log.info(
                "batch of %d rolled back (%s); applying one by one", len(batch), type(exc).__name__
            )
            for item in batch:
                item.outcome = "processed"
            return False

    def _start_span(self, record: ConsumerRecord) -> Span:
        carrier = {
            k: v.decode(errors="replace")
            for k, v in record.headers or ()
            if k in ("traceparent", "tracestate")
        }
        return tracer.start_span(
            f"{record.topic} process",
            context=propagate.extract(carrier),
            kind=SpanKind.CONSUMER,
            attributes={
                "messaging.system": "kafka",
                "messaging.operation.type": "process",
                "messaging.destination.name": record.topic,
                "messaging.consumer.group.name": self.group,
                "messaging.destination.partition.id": str(record.partition),
                "messaging.kafka.offset": record.offset,
            },
        )

    def _span(self, record: ConsumerRecord) -> Any:
        return trace.use_span(self._start_span(record), end_on_exit=True)

    async def process(self, record: ConsumerRecord) -> str:
        """Applies one record; returns the outcome label. Never raises for a bad message.
        As in a batch, an event no handler takes gets no span: it is not work done here."""
        started = time.perf_counter()
        try:
            decoded = self._decode(record)
        except PermanentError as exc:
            outcome = await self._dead_letter_traced(record, exc)
        else:
            if decoded is None or (entry := self._handler_for(decoded)) is None:
                outcome = "ignored"  # a known type (or event) this consumer does not act on
            else:
                with self._span(record) as span:
                    outcome = await self._apply_with_retries(decoded, entry[1], record)
                    span.set_attribute("careflow.outcome", outcome)
                if outcome == "processed":
                    self._record_age(decoded.envelope)
        labels = {"topic": record.topic, "group": self.group, "outcome": outcome}
        CONSUMER_METRICS.messages.add(1, labels)
        CONSUMER_METRICS.duration.record(time.perf_counter() - started, labels)
        return outcome

    def _handler_for(
        self, decoded: Decoded
    ) -> tuple[type[ContractEvent], Callable[..., Awaitable[None]]] | None:
        entry = self._handlers.get(decoded.envelope.type)
        wanted = self._wanted.get(decoded.envelope.type)
        if entry is None or (wanted is not None and not wanted(decoded.event)):
            return None
        return entry

    def _record_age(self, envelope: Envelope) -> None:
        age = (datetime.now(UTC) - envelope.time).total_seconds()
        CONSUMER_METRICS.event_age.record(
            max(age, 0.0), {"topic": self.topic.name, "group": self.group, "type": envelope.type}
        )

    async def _apply_with_retries(
        self, decoded: Decoded, handler: Callable[..., Awaitable[None]], record: ConsumerRecord
    ) -> str:
        # The first attempt outside tenacity: nearly every message succeeds at once, and
        # setting up the retry controller per message was 6 % of a consumer's CPU. A
        # failure enters the controller as its first attempt, so counting, waits and
        # logs are tenacity's as before.
        failed: Exception | None = None
        try:
            return await self._apply(decoded, handler, record)
        except PermanentError as exc:
            await self._dead_letter(record, exc.reason, exc.code)
            return "dead_lettered"
        except Exception as exc:
            failed = exc
        try:
            async for attempt in self._retrying.copy():
                with attempt:
                    if failed is not None:
                        first, failed = failed, None
                        raise first
                    return await self._apply(decoded, handler, record)
        except PermanentError as exc:
            await self._dead_letter(record, exc.reason, exc.code)
        except Exception as exc:
            # The type only: exception messages may quote the event's content.
            log.error(
                "handler failed %d times (%s); dead-lettering",
                self._max_attempts,
                type(exc).__name__,
            )
            await self._dead_letter(
                record, f"retries exhausted: {type(exc).__name__}", "retries_exhausted"
            )
        return "dead_lettered"

    def _should_stop(self, state: RetryCallState) -> bool:
        exc = state.outcome.exception() if state.outcome else None
        # Infrastructure outages are waited out; other errors get a bounded number of tries.
        return (
            exc is not None and not is_transient(exc) and state.attempt_number >= self._max_attempts
        )

    def _before_retry(self, state: RetryCallState) -> None:
        exc = state.outcome.exception() if state.outcome else None
        CONSUMER_METRICS.retries.add(1, {"topic": self.topic.name, "group": self.group})
        log.warning(
            "handler failed (attempt %d), retrying: %s",
            state.attempt_number,
            type(exc).__name__,
        )

    def _decode(self, record: ConsumerRecord) -> Decoded | None:
        """The envelope and event; None for an event of the topic's that no handler here
        takes, whose body is not read. Its malformed body is for the consumers that act on
        it to dead-letter: read here it cost intake 2-2.5 % of its CPU at 500/s (a
        QueueItemAdded with every case), and dead-lettered here it would be one more
        letter for the same fault in a group it never concerned. The envelope of every
        event is checked, and an event of a type the topic does not carry is
        dead-lettered by every consumer of the topic."""
        try:
            envelope = Envelope.from_headers(record.headers or ())
        except EnvelopeError as exc:
            raise PermanentError(f"invalid envelope: {exc}", "invalid_envelope") from None
        event_class = self.topic.event_class(envelope.type)
        if event_class is None:
            raise PermanentError(
                f"unknown event type {envelope.type} on {record.topic}", "unknown_type"
            )
        if envelope.type not in self._handlers:
            return None
        try:
            payload = json.loads(record.value or b"")
            event = event_class.model_validate(payload)
        except json.JSONDecodeError as exc:
            raise PermanentError(f"body is not JSON (at char {exc.pos})", "invalid_json") from None
        except ValidationError as exc:
            # Locations and error types only: the input itself may hold health data.
            problems = "; ".join(
                f"{'.'.join(str(p) for p in err['loc']) or '<body>'}: {err['type']}"
                for err in exc.errors()
            )
            raise PermanentError(f"schema violation: {problems}", "schema_violation") from None
        return Decoded(envelope, event)

    async def _apply(
        self, decoded: Decoded, handler: Callable[..., Awaitable[None]], record: ConsumerRecord
    ) -> str:
        async with self._uow_factory() as uow:
            envelope = decoded.envelope
            if self._claim_at_commit:
                await handler(decoded.event, envelope, uow)
                self._claim_with_writes(uow, record.topic, [envelope.id], [envelope.type])
                try:
                    await uow.commit()
                except asyncpg.UniqueViolationError as exc:
                    if exc.constraint_name != _INBOX_KEY:
                        raise
                    return "duplicate"  # left by `async with`: rolled back
                return "processed"
            if not await self._claim(uow, record.topic, [envelope.id], [envelope.type]):
                return "duplicate"
            await handler(decoded.event, envelope, uow)
            await uow.commit()
        return "processed"

    def _claim_with_writes(
        self, uow: U, topic: str, event_ids: list[str], event_types: list[str]
    ) -> None:
        """The claim as one more of the commit's writes (claim_at_commit)."""
        uow.writes.add(_CLAIM_INBOX_WRITE, self.group, event_ids, event_types, topic)

    async def _claim(
        self, uow: U, topic: str, event_ids: list[str], event_types: list[str]
    ) -> set[str]:
        """Claims the events in the inbox in `uow`'s transaction, its first statement;
        returns the ids claimed now (not seen before by this consumer)."""
        # On the driver connection: through SQLAlchemy the claim (and the BEGIN before it)
        # cost about as much of the consumer's CPU as the handler's own statements. Its
        # span is the one SQLAlchemy's statements get.
        driver = await driver_connection(uow.session, begin=True)
        if driver is None:
            claimed = await uow.session.execute(
                CLAIM_INBOX_MANY,
                {
                    "consumer": self.group,
                    "topic": topic,
                    "event_ids": event_ids,
                    "event_types": event_types,
                },
            )
            return set(claimed.scalars())
        with statement_span(uow.session, _CLAIM_INBOX_DRIVER):
            rows = await driver.fetch(
                _CLAIM_INBOX_DRIVER, self.group, event_ids, event_types, topic
            )
        return {row[0] for row in rows}

    async def _dead_letter_traced(self, record: ConsumerRecord, exc: PermanentError) -> str:
        """A message that can never be applied, dead-lettered in a span of its own."""
        with self._span(record) as span:
            await self._dead_letter(record, exc.reason, exc.code)
            span.set_attribute("careflow.outcome", "dead_lettered")
        return "dead_lettered"

    async def _dead_letter(self, record: ConsumerRecord, reason: str, code: str) -> None:
        log.error(
            "dead-lettering message from %s[%d]@%d: %s",
            record.topic,
            record.partition,
            record.offset,
            code,
        )
        await write_dead_letter(
            self._producer,
            record,
            dlq_topic=self.topic.dlq,
            reason=reason,
            code=code,
            group=self.group,
            initial_seconds=self.settings.retry_initial_seconds,
            max_seconds=self.settings.retry_max_seconds,
        )
        CONSUMER_METRICS.dead_letters.add(
            1, {"topic": record.topic, "group": self.group, "code": code}
        )
