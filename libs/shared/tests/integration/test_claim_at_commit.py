"""A consumer that claims at the commit (EventConsumer's `claim_at_commit`): the inbox
row goes in with the handler's writes, and a redelivered event still has no second
effect."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import pytest
from aiokafka.structs import ConsumerRecord

from careflow.contracts.probes import ProbeEmitted
from careflow.contracts.registry import PLATFORM_PROBES
from careflow.shared.outbox.unit_of_work import SqlUnitOfWork
from careflow.shared.service.runtime import ServiceRuntime
from careflow.testing.probe_service import (
    effects_of,
    envelope_headers,
    probe,
    probe_runtime,
    publish_raw,
    record_effect,
    record_effect_at_commit,
    settings_for,
    wait_until,
)
from careflow.testing.statements import around, statements_by_connection

_PLAIN_INSERT = (
    "INSERT INTO probe_effects (probe_id, sequence, applied, arrival) "
    "VALUES ($1, $2, 1, nextval('arrival_seq'))"
)


async def _insert_once(event: ProbeEmitted, _envelope: Any, uow: SqlUnitOfWork) -> None:
    """An effect that may be applied once only: a second one breaks the table's key."""
    uow.writes.add(_PLAIN_INSERT, str(event.probe_id), event.sequence)


@dataclass
class _Claiming:
    runtime: ServiceRuntime
    #: Per key, the outcome of each of its records, in the order they were applied.
    outcomes: dict[str, list[str]]
    bootstrap: str


@asynccontextmanager
async def _claiming(
    probe_db: str, bootstrap: str, handler: Callable[..., object], outcomes: dict[str, list[str]]
) -> AsyncIterator[ServiceRuntime]:
    """A probe service claiming at the commit; `outcomes` collects each key's outcomes."""
    runtime = probe_runtime(
        settings_for(probe_db, bootstrap), handler=handler, claim_at_commit=True
    )
    await runtime.start()
    process_batch = runtime.consumer.process_batch  # type: ignore[attr-defined]

    async def spy(records: list[ConsumerRecord]) -> list[str]:
        results = await process_batch(records)
        for record, outcome in zip(records, results, strict=True):
            outcomes.setdefault(record.key.decode(), []).append(outcome)
        return results

    runtime.consumer.process_batch = spy  # type: ignore[attr-defined]
    try:
        yield runtime
    finally:
        await runtime.stop()


async def _publish(bootstrap: str, *messages: tuple[ProbeEmitted, str]) -> None:
    await publish_raw(
        bootstrap,
        PLATFORM_PROBES.name,
        [
            (e.key().encode(), e.model_dump_json().encode(), envelope_headers(e, event_id))
            for e, event_id in messages
        ],
    )


@pytest.mark.parametrize(
    ("handler", "same_id", "second"),
    [
        # A redelivery, to a handler in a transaction and to one that only queues writes.
        (record_effect, True, "duplicate"),
        (record_effect_at_commit, True, "duplicate"),
        # The same effect under another event id: no redelivery, but a write that breaks
        # the effects' key - retried, then dead-lettered, never taken for a duplicate.
        (_insert_once, False, "dead_lettered"),
    ],
    ids=["redelivered-in-transaction", "redelivered-queued", "another-key-broken"],
)
async def test_an_event_sent_again_after_it_was_applied_has_no_second_effect(
    probe_db: str, kafka: Any, handler: Callable[..., object], same_id: bool, second: str
) -> None:
    outcomes: dict[str, list[str]] = {}
    async with _claiming(probe_db, kafka.bootstrap_servers, handler, outcomes) as runtime:
        event, event_id = probe(uuid.uuid4(), 0), str(uuid.uuid4())
        await _publish(kafka.bootstrap_servers, (event, event_id))
        await wait_until(lambda: outcomes.get(event.key()) == ["processed"])
        await _publish(kafka.bootstrap_servers, (event, event_id if same_id else str(uuid.uuid4())))
        await wait_until(lambda: len(outcomes[event.key()]) == 2, within=30)
        assert outcomes[event.key()] == ["processed", second]
        assert [(s, a) for s, a, _ in await effects_of(runtime, event.probe_id)] == [(0, 1)]


@pytest.fixture
async def queueing(probe_db: str, kafka: Any) -> AsyncIterator[_Claiming]:
    """A probe service claiming at the commit whose handler only queues its write."""
    outcomes: dict[str, list[str]] = {}
    async with _claiming(
        probe_db, kafka.bootstrap_servers, record_effect_at_commit, outcomes
    ) as runtime:
        yield _Claiming(runtime, outcomes, kafka.bootstrap_servers)


async def test_a_batch_holding_an_applied_event_applies_the_others_once(
    queueing: _Claiming,
) -> None:
    probe_id = uuid.uuid4()
    first = (probe(probe_id, 0), str(uuid.uuid4()))
    await _publish(queueing.bootstrap, first)
    await wait_until(lambda: queueing.outcomes.get(str(probe_id)) == ["processed"])
    # One key, one partition, one call: the three arrive together, the first again.
    later = [(probe(probe_id, n), str(uuid.uuid4())) for n in (1, 2)]
    await _publish(queueing.bootstrap, first, *later)
    await wait_until(lambda: len(queueing.outcomes[str(probe_id)]) == 4)
    assert queueing.outcomes[str(probe_id)] == ["processed", "duplicate", "processed", "processed"]
    effects = await effects_of(queueing.runtime, probe_id)
    assert [(s, a) for s, a, _ in effects] == [(0, 1), (1, 1), (2, 1)]


async def test_a_handler_that_only_queues_writes_costs_one_statement(
    queueing: _Claiming,
) -> None:
    event, event_id = probe(uuid.uuid4(), 0), str(uuid.uuid4())
    with statements_by_connection(queueing.runtime.engine) as sent:
        await _publish(queueing.bootstrap, (event, event_id))
        await wait_until(lambda: queueing.outcomes.get(event.key()) == ["processed"])
        await asyncio.sleep(0)  # asyncpg calls its query loggers soon, not at once
    # The topic holds other tests' probes too: the connection that claimed this one.
    statements, at = around(sent, "INSERT INTO inbox", event_id)
    assert "INSERT INTO probe_effects" in statements[at]
    # No BEGIN before it, no COMMIT after it: the statement commits on its own. (The
    # relay shares the pool: its pass may end just before, or begin just after.)
    before = statements[at - 1].strip().upper() if at else ""
    after = statements[at + 1].strip().upper() if at + 1 < len(statements) else ""
    assert not before.startswith("BEGIN"), statements
    assert not after.startswith("COMMIT"), statements
