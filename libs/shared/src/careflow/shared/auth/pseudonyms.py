"""The one resident pseudonym every service computes from a token's subject."""

from __future__ import annotations

import hashlib
import hmac
from uuid import UUID


class ResidentIds:
    """Pseudonymous resident ids: HMAC-SHA256(key, token subject) as a UUID.

    The same person always gets the same id in every service that holds the
    key, the subject (often a personal identity code) is never stored, and
    without the key an id cannot be computed from a known identity code.
    """

    def __init__(self, key: bytes) -> None:
        self._key = key

    def of(self, subject: str) -> UUID:
        digest = hmac.new(self._key, subject.encode(), hashlib.sha256).digest()
        return UUID(bytes=digest[:16])
