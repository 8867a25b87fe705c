"""Client-side Kafka policy applied before any aiokafka client connects.

Topics exist only as declared in the contracts registry. aiokafka's metadata
requests ask the broker to auto-create unknown topics; Tansu honours that with
its own defaults (4 partitions), so after a broker restart a producer's
metadata refresh would re-create a topic with the wrong partition count before
the topic keeper could. The flag is forced off here; Apache Kafka clusters
should also run with `auto.create.topics.enable=false`.
"""

from __future__ import annotations

from aiokafka.protocol import metadata

_original_init = metadata.MetadataRequest.__init__


def _no_auto_create(
    self: metadata.MetadataRequest,
    topics: list[str] | None = None,
    allow_auto_topic_creation: bool | None = False,
) -> None:
    _original_init(self, topics, allow_auto_topic_creation)


def disable_topic_auto_creation() -> None:
    metadata.MetadataRequest.__init__ = _no_auto_create  # type: ignore[method-assign]
