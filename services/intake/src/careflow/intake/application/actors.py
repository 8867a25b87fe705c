"""Who acts, as the use cases see it (entry points translate tokens into these)."""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass, field
from datetime import date
from uuid import UUID


class ResidentIds:
    """Pseudonymous resident ids: HMAC-SHA256(key, token subject) as a UUID.

    The same person always gets the same id, the subject (often a personal
    identity code) is never stored, and without the key an id cannot be
    computed from a known identity code.
    """

    def __init__(self, key: bytes) -> None:
        self._key = key

    def of(self, subject: str) -> UUID:
        digest = hmac.new(self._key, subject.encode(), hashlib.sha256).digest()
        return UUID(bytes=digest[:16])


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
