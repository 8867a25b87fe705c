"""What the use cases need from the outside, as Protocols (adapters implement them)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Protocol

from careflow.gateway.domain.limits import Counts
from careflow.gateway.domain.routing import Upstream
from careflow.shared.audit import AuditPage, AuditQuery


class RateCounter(Protocol):
    async def count(
        self, keys: Sequence[bytes], started: int, length: int
    ) -> Mapping[bytes, Counts]:
        """Add one request to each key's window atomically; the counts after it."""
        ...


class AuditSource(Protocol):
    async def page(self, upstream: Upstream, query: AuditQuery, authorization: str) -> AuditPage:
        """One page of the service's audit records, asked with the caller's token;
        raises UpstreamUnavailable / UpstreamTimeout / BadUpstream."""
        ...


class DocumentSource(Protocol):
    async def fetch(self, upstream: Upstream) -> Mapping[str, Any] | None:
        """The service's OpenAPI document, or None when it cannot be had now."""
        ...
