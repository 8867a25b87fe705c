"""What the use cases need from the outside, as Protocols (adapters implement them)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

from careflow.gateway.domain.limits import Counts
from careflow.gateway.domain.routing import Upstream
from careflow.shared.audit import AuditPage, AuditQuery


class RateCounter(Protocol):
    async def count(
        self, increments: Mapping[bytes, int], started: int, length: int
    ) -> Mapping[bytes, Counts]:
        """Add each key's requests to its window atomically (keys in sorted order); every
        key's counts after it, over all replicas."""
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
