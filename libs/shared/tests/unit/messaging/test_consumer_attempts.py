"""How often a failing handler runs: once when it succeeds, again after a transient
failure, `max_attempts` times in all for a persistent one, once for a permanent one —
the first attempt runs outside the retry controller, the later ones inside it."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from careflow.contracts.probes import ProbeEmitted
from careflow.contracts.registry import PLATFORM_PROBES
from careflow.shared.messaging.consumer import EventConsumer
from careflow.shared.messaging.errors import PermanentError, RetryLater
from careflow.testing.probe_service import probe, probe_record
from careflow.testing.settings import quick_consumer

from .fakes import ClaimingUow

pytestmark = pytest.mark.usefixtures("no_driver_connection")


def _consumer(failures: list[Exception], calls: list[int]) -> tuple[EventConsumer[Any], list[str]]:
    settings = quick_consumer()
    settings.retry_initial_seconds = settings.retry_max_seconds = 0.001
    consumer: EventConsumer[Any] = EventConsumer(
        PLATFORM_PROBES,
        group="attempts-test",
        uow_factory=ClaimingUow,
        producer=None,  # type: ignore[arg-type]
        settings=settings,
        max_attempts=4,
    )
    dead: list[str] = []

    async def dead_letter(_record: Any, _reason: str, code: str) -> None:
        dead.append(code)

    consumer._dead_letter = dead_letter  # type: ignore[method-assign]

    @consumer.on(ProbeEmitted)
    async def handle(_event: ProbeEmitted, _envelope: Any, _uow: Any) -> None:
        calls.append(1)
        if failures:
            raise failures.pop(0)

    return consumer, dead


async def test_a_handler_that_succeeds_runs_once() -> None:
    calls: list[int] = []
    consumer, dead = _consumer([], calls)
    assert await consumer.process(probe_record(probe(uuid.uuid4(), 0))) == "processed"
    assert (len(calls), dead) == (1, [])


async def test_a_transient_failure_is_retried_until_the_handler_succeeds() -> None:
    calls: list[int] = []
    consumer, dead = _consumer([RetryLater("not yet"), RetryLater("not yet")], calls)
    assert await consumer.process(probe_record(probe(uuid.uuid4(), 0))) == "processed"
    assert (len(calls), dead) == (3, [])


async def test_a_persistent_failure_runs_max_attempts_times_then_dead_letters() -> None:
    calls: list[int] = []
    consumer, dead = _consumer([ValueError("a bug")] * 10, calls)
    assert await consumer.process(probe_record(probe(uuid.uuid4(), 0))) == "dead_lettered"
    assert (len(calls), dead) == (4, ["retries_exhausted"])


@pytest.mark.parametrize("later", [False, True])
async def test_a_permanent_failure_dead_letters_without_another_attempt(later: bool) -> None:
    calls: list[int] = []
    failures: list[Exception] = [PermanentError("bad", "bad_event")]
    if later:  # permanent only on the second attempt, after a retried one
        failures.insert(0, ValueError("a bug"))
    consumer, dead = _consumer(failures, calls)
    assert await consumer.process(probe_record(probe(uuid.uuid4(), 0))) == "dead_lettered"
    assert (len(calls), dead) == (2 if later else 1, ["bad_event"])
