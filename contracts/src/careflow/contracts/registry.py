"""The one registry of every CareFlow topic."""

from __future__ import annotations

from careflow.contracts.probes import ProbeEmitted
from careflow.contracts.topics import DAY_MS, TopicRegistry, TopicSpec

PLATFORM_PROBES = TopicSpec(
    name="platform.probes.v1",
    description="Synthetic end-to-end probes (health checks, benchmarks). No personal data.",
    key="probe_id",
    events=(ProbeEmitted,),
    owner="platform",
    partitions=6,
    retention_ms=1 * DAY_MS,
)

TOPICS = TopicRegistry([PLATFORM_PROBES])
