"""Events of the topic that no handler of this consumer takes: their envelope is checked,
their body is not read; a bad body is for the consumers that act on the event."""

from __future__ import annotations

import dataclasses
import uuid
from typing import Any, ClassVar

import pytest
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from careflow.contracts.envelope import Envelope
from careflow.contracts.probes import ProbeEmitted
from careflow.contracts.topics import TopicSpec
from careflow.shared.messaging.consumer import EventConsumer
from careflow.testing.probe_service import probe, probe_record
from careflow.testing.settings import quick_consumer


class ProbeAnswered(ProbeEmitted):
    """A second event of the topic, which the consumer below has no handler for."""

    event_type: ClassVar[str] = "careflow.probe.answered.v1"


TOPIC = TopicSpec(
    name="platform.probes-two.v1",
    description="two event types",
    key="probe_id",
    events=(ProbeEmitted, ProbeAnswered),
    owner="platform",
)


class _Producer:
    def __init__(self) -> None:
        self.written: list[dict[str, Any]] = []

    async def send_and_wait(self, topic: str, **record: Any) -> None:
        self.written.append({"topic": topic, **record})


def _consumer(producer: _Producer) -> EventConsumer[Any]:
    consumer: EventConsumer[Any] = EventConsumer(
        TOPIC,
        group="unhandled-test",
        uow_factory=lambda: pytest.fail("no unit of work for an event nobody handles"),
        producer=producer,  # type: ignore[arg-type]
        settings=quick_consumer(),
    )

    @consumer.on(ProbeEmitted)
    async def handle(_event: ProbeEmitted, _envelope: Any, _uow: Any) -> None:
        pytest.fail("only malformed events are sent here")

    return consumer


def _record(event_type: str, body: bytes, offset: int = 0) -> Any:
    record = probe_record(probe(uuid.uuid4(), 0), offset)
    headers = Envelope(
        id=str(uuid.uuid4()), type=event_type, source="/tests", subject="s"
    ).to_headers()
    return dataclasses.replace(record, topic=TOPIC.name, value=body, headers=headers)


NOT_JSON = b'{"note": '


def _spans(exporter: InMemorySpanExporter) -> list[str]:
    return [s.name for s in exporter.get_finished_spans() if s.name.startswith(TOPIC.name)]


async def test_a_bad_body_of_an_event_no_handler_takes_is_ignored_not_dead_lettered(
    span_exporter: InMemorySpanExporter,
) -> None:
    producer = _Producer()
    consumer = _consumer(producer)
    span_exporter.clear()
    assert await consumer.process(_record(ProbeAnswered.event_type, NOT_JSON)) == "ignored"
    assert producer.written == []
    assert _spans(span_exporter) == []  # no work done here, nothing to trace


async def test_a_bad_body_of_a_handled_event_or_an_unknown_type_is_still_dead_lettered() -> None:
    producer = _Producer()
    consumer = _consumer(producer)
    records = [
        _record(ProbeAnswered.event_type, NOT_JSON, 0),
        _record(ProbeEmitted.event_type, NOT_JSON, 1),
        _record("careflow.probe.unheard-of.v1", b"{}", 2),
    ]
    assert await consumer.process_batch(records) == ["ignored", "dead_lettered", "dead_lettered"]
    assert [w["topic"] for w in producer.written] == [TOPIC.dlq, TOPIC.dlq]


async def test_alone_a_bad_body_of_a_handled_event_is_dead_lettered_in_a_span(
    span_exporter: InMemorySpanExporter,
) -> None:
    producer = _Producer()
    consumer = _consumer(producer)
    span_exporter.clear()
    assert await consumer.process(_record(ProbeEmitted.event_type, NOT_JSON)) == "dead_lettered"
    assert [w["topic"] for w in producer.written] == [TOPIC.dlq]
    assert _spans(span_exporter) == [f"{TOPIC.name} process"]
