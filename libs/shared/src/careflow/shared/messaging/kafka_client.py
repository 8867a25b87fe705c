"""Client-side Kafka policy applied before any aiokafka client connects.

Topics exist only as declared in the contracts registry. aiokafka's metadata
requests ask the broker to auto-create unknown topics; Tansu honours that with
its own defaults (4 partitions), so after a broker restart a producer's
metadata refresh would re-create a topic with the wrong partition count before
the topic keeper could. The flag is forced off here; Apache Kafka clusters
should also run with `auto.create.topics.enable=false`.

Every client (producer, consumer, admin) connects with `connection_options`:
the bootstrap servers and, where the broker settings ask for them, TLS and
SASL/SCRAM credentials, so no client can be built that skips them.
"""

from __future__ import annotations

from typing import Any

from aiokafka.helpers import create_ssl_context
from aiokafka.protocol import metadata

from careflow.shared.settings import BrokerSettings

_original_init = metadata.MetadataRequest.__init__


def _no_auto_create(
    self: metadata.MetadataRequest,
    topics: list[str] | None = None,
    allow_auto_topic_creation: bool | None = False,
) -> None:
    _original_init(self, topics, allow_auto_topic_creation)


def disable_topic_auto_creation() -> None:
    metadata.MetadataRequest.__init__ = _no_auto_create  # type: ignore[method-assign]


def connection_options(settings: BrokerSettings) -> dict[str, Any]:
    """Keyword arguments for AIOKafkaProducer, AIOKafkaConsumer and AIOKafkaAdminClient."""
    options: dict[str, Any] = {
        "bootstrap_servers": settings.bootstrap_servers,
        "security_protocol": settings.security_protocol,
    }
    if settings.uses_tls():
        # Verifies the broker's certificate and host name against the CA (or the
        # system's CAs): a TLS connection to an unverified broker would hand it the
        # SCRAM exchange.
        cafile = str(settings.ssl_cafile) if settings.ssl_cafile is not None else None
        options["ssl_context"] = create_ssl_context(cafile=cafile)
    if settings.uses_sasl():
        assert settings.password is not None  # BrokerSettings refuses SASL without one
        options["sasl_mechanism"] = settings.sasl_mechanism
        options["sasl_plain_username"] = settings.username
        options["sasl_plain_password"] = settings.password.get_secret_value()
    return options
