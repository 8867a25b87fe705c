"""`EventConsumer.on(..., when=)`: events the predicate declines are ignored without a
transaction or an inbox claim; accepted ones reach the handler; bad ones still fail."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from careflow.contracts.probes import ProbeEmitted
from careflow.contracts.registry import PLATFORM_PROBES
from careflow.shared.messaging.consumer import EventConsumer
from careflow.testing.probe_service import probe, probe_record
from careflow.testing.settings import quick_consumer

from .fakes import ClaimingUow

pytestmark = pytest.mark.usefixtures("no_driver_connection")


def _consumer(handled: list[int]) -> EventConsumer[Any]:
    ClaimingUow.opened = 0
    consumer: EventConsumer[Any] = EventConsumer(
        PLATFORM_PROBES,
        group="when-test",
        uow_factory=ClaimingUow,
        producer=None,  # type: ignore[arg-type]
        settings=quick_consumer(),
    )

    @consumer.on(ProbeEmitted, when=lambda event: event.sequence % 2 == 0)
    async def handle(event: ProbeEmitted, _envelope: Any, _uow: Any) -> None:
        handled.append(event.sequence)

    return consumer


async def test_a_declined_event_is_ignored_without_a_transaction() -> None:
    handled: list[int] = []
    consumer = _consumer(handled)
    assert await consumer.process(probe_record(probe(uuid.uuid4(), 1))) == "ignored"
    assert (handled, ClaimingUow.opened) == ([], 0)
    assert await consumer.process(probe_record(probe(uuid.uuid4(), 2))) == "processed"
    assert (handled, ClaimingUow.opened) == ([2], 1)


async def test_a_batch_applies_only_the_accepted_events_in_one_transaction() -> None:
    handled: list[int] = []
    consumer = _consumer(handled)
    pid = uuid.uuid4()
    records = [probe_record(probe(pid, n), offset=n) for n in range(5)]
    outcomes = await consumer.process_batch(records)
    assert outcomes == ["processed", "ignored", "processed", "ignored", "processed"]
    assert (handled, ClaimingUow.opened) == ([0, 2, 4], 1)


async def test_a_batch_of_declined_events_opens_no_transaction() -> None:
    handled: list[int] = []
    consumer = _consumer(handled)
    pid = uuid.uuid4()
    records = [probe_record(probe(pid, n), offset=n) for n in (1, 3)]
    assert await consumer.process_batch(records) == ["ignored", "ignored"]
    assert (handled, ClaimingUow.opened) == ([], 0)
