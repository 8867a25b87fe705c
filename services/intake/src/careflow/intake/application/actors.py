"""Who acts, as the use cases see it (entry points translate tokens into these)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from uuid import UUID


@dataclass(frozen=True)
class ProfessionalActor:
    subject: str
    organisation: str
    unit: str
    roles: frozenset[str] = frozenset()


@dataclass(frozen=True)
class ResidentActor:
    resident_id: UUID
    identified: bool
    children: dict[UUID, date] = field(default_factory=dict)
