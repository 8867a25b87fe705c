"""Dead letters for parked events intake gave up on, in the platform's DLQ format.

`careflow-dlq list` shows them with their reason and `careflow-dlq replay`
re-publishes them to their topic with their original CloudEvents id.
"""

from __future__ import annotations

import json

from aiokafka import AIOKafkaProducer
from aiokafka.structs import ConsumerRecord

from careflow.contracts.envelope import Envelope
from careflow.contracts.topics import TopicRegistry
from careflow.intake.domain.parking import ParkedEvent
from careflow.shared.messaging.dead_letters import send_to_dlq

#: A parked event no longer has a broker position: the handler never sees the
#: record's partition and offset (the envelope and the event are what it gets).
UNKNOWN_POSITION = -1


def as_record(event: ParkedEvent) -> ConsumerRecord[bytes, bytes]:
    """The message as it was consumed: same key, CloudEvents headers and JSON body."""
    headers = Envelope(
        id=event.event_id,
        type=event.event_type,
        source=event.source,
        subject=str(event.case_id),
        time=event.occurred_at,
    ).to_headers()
    key = str(event.case_id).encode()
    value = json.dumps(event.payload, separators=(",", ":")).encode()
    return ConsumerRecord(
        topic=event.topic,
        partition=UNKNOWN_POSITION,
        offset=UNKNOWN_POSITION,
        timestamp=int(event.occurred_at.timestamp() * 1000),
        timestamp_type=0,
        key=key,
        value=value,
        checksum=None,
        serialized_key_size=len(key),
        serialized_value_size=len(value),
        headers=headers,
    )


class ParkedDeadLetters:
    """Sends given-up parked events to `<topic>.dlq`, waiting for the broker's ack."""

    def __init__(self, producer: AIOKafkaProducer, topics: TopicRegistry) -> None:
        self._producer = producer
        self._topics = topics

    async def send(self, event: ParkedEvent, *, reason: str, code: str) -> None:
        await send_to_dlq(
            self._producer,
            as_record(event),
            dlq_topic=self._topics.get(event.topic).dlq,
            reason=reason,
            code=code,
            group=event.consumer,
        )
