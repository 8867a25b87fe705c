"""A dead letter that cannot be written holds its partition, visibly, until it is written."""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import uuid
from typing import Any

import pytest
from aiokafka.errors import KafkaConnectionError, UnknownTopicOrPartitionError

from careflow.contracts.probes import ProbeEmitted
from careflow.contracts.registry import PLATFORM_PROBES
from careflow.shared.messaging.consumer import EventConsumer
from careflow.shared.messaging.dead_letters import H_CODE, header, write_dead_letter
from careflow.testing.probe_service import probe, probe_record
from careflow.testing.settings import quick_consumer

SECRET = "Matti Meikäläinen, diabetes"  # stands for health data in a message body


class _FlakyProducer:
    """Refuses the first `failures` writes with `error`, then accepts them."""

    def __init__(self, failures: int, error: Exception | None = None) -> None:
        self.failures = failures
        self.error = error or KafkaConnectionError()
        self.attempts = 0
        self.written: list[dict[str, Any]] = []

    async def send_and_wait(self, topic: str, **record: Any) -> None:
        self.attempts += 1
        if self.attempts <= self.failures:
            raise self.error
        self.written.append({"topic": topic, **record})


def _bad_record() -> Any:
    record = probe_record(probe(uuid.uuid4(), 0))
    return dataclasses.replace(record, value=f'{{"note": "{SECRET}"'.encode())  # not JSON


async def _write(producer: _FlakyProducer) -> None:
    await write_dead_letter(
        producer,  # type: ignore[arg-type]
        _bad_record(),
        dlq_topic=PLATFORM_PROBES.dlq,
        reason="body is not JSON",
        code="invalid_json",
        group="probe-test",
        initial_seconds=0.01,
        max_seconds=0.05,
    )


async def test_a_dead_letter_write_that_fails_is_retried_and_logged_until_written(
    caplog: pytest.LogCaptureFixture,
) -> None:
    producer = _FlakyProducer(failures=4)
    with caplog.at_level(logging.WARNING):
        await _write(producer)
    assert producer.attempts == 5
    assert len(producer.written) == 1
    retries = [r for r in caplog.records if "not written" in r.getMessage()]
    assert len(retries) == 4
    assert "KafkaConnectionError" in retries[0].getMessage()
    assert "written after 4 failed attempts" in caplog.records[-1].getMessage()
    assert SECRET not in caplog.text


async def test_a_dead_letter_write_that_cannot_heal_is_raised_at_once() -> None:
    producer = _FlakyProducer(failures=1, error=ValueError("bad header"))
    with pytest.raises(ValueError, match="bad header"):
        await _write(producer)
    assert producer.attempts == 1
    assert producer.written == []


async def _never_called(*_: Any) -> None:
    pytest.fail("a malformed message reached its handler")


async def test_the_consumer_returns_a_bad_message_only_once_its_dead_letter_is_written() -> None:
    """The subscription commits a partition's offset only after process_batch returns."""
    producer = _FlakyProducer(failures=10**9, error=UnknownTopicOrPartitionError())
    consumer: EventConsumer[Any] = EventConsumer(
        PLATFORM_PROBES,
        group="probe-test",
        uow_factory=lambda: None,  # type: ignore[arg-type,return-value]
        producer=producer,  # type: ignore[arg-type]
        settings=quick_consumer(retry_initial_seconds=0.01, retry_max_seconds=0.02),
    )
    consumer.on(ProbeEmitted)(_never_called)  # a body is read only for a handled type
    processing = asyncio.create_task(consumer.process_batch([_bad_record()]))
    while producer.attempts < 5:
        await asyncio.sleep(0.01)
    assert not processing.done()
    producer.failures = producer.attempts  # the dead-letter topic is writable again
    assert await asyncio.wait_for(processing, timeout=5) == ["dead_lettered"]
    assert len(producer.written) == 1
    assert header(producer.written[0]["headers"], H_CODE) == "invalid_json"
