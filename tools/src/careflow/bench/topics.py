"""Topics the benchmarks publish to, shared by the publishing side and the consumer child."""

from __future__ import annotations

from careflow.contracts.registry import PLATFORM_PROBES

#: The raw FastStream baseline's own topic: no outbox, no inbox, no envelope checks.
RAW_TOPIC = "bench.raw-faststream.v1"
#: Both sides use the probe topic's partition count, so they compare like for like.
PARTITIONS = PLATFORM_PROBES.partitions
