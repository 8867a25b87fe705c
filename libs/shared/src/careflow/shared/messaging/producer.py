"""The aiokafka producer every service publishes through."""

from __future__ import annotations

from aiokafka import AIOKafkaProducer

from careflow.shared.messaging.kafka_client import connection_options, disable_topic_auto_creation
from careflow.shared.settings import BrokerSettings


def create_producer(settings: BrokerSettings, *, client_id: str) -> AIOKafkaProducer:
    disable_topic_auto_creation()
    return AIOKafkaProducer(
        **connection_options(settings),
        client_id=client_id,
        acks="all",
        # Tansu lacks InitProducerId; Apache Kafka gets idempotence so a
        # producer retry never writes a duplicate or reorders a partition.
        enable_idempotence=settings.idempotent_producer,
        linger_ms=2,
        max_batch_size=256 * 1024,
        request_timeout_ms=settings.request_timeout_ms,
        retry_backoff_ms=200,
    )
