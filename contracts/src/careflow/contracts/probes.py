"""Platform probe events: synthetic traffic SRE and the benchmarks send end to end.

A probe carries no personal data; it proves that the path HTTP → outbox →
Kafka → consumer works for a service.
"""

from __future__ import annotations

from typing import ClassVar
from uuid import UUID

from pydantic import AwareDatetime, Field

from careflow.contracts.base import ContractEvent


class ProbeEmitted(ContractEvent):
    """A synthetic probe was written to a service's outbox."""

    event_type: ClassVar[str] = "careflow.probe.emitted.v1"
    key_field: ClassVar[str] = "probe_id"

    probe_id: UUID = Field(description="Id of the probe; the Kafka key.")
    sequence: int = Field(ge=0, description="Position of this probe within its probe id.")
    emitted_at: AwareDatetime = Field(description="When the emitting transaction ran (UTC).")
    emitter: str = Field(description="Service that wrote the probe.")
