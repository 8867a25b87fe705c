"""Pooled HTTP connections to every service, and what the use cases ask them.

One `httpx.AsyncClient` per service: its own pool (keep-alive connections reused
across requests), its own limits and timeouts. Transport failures are classified
once here: refused or reset connections are "unavailable" (503), timeouts 504,
anything else broken 502.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from typing import Any

import httpx

from careflow.gateway.domain.errors import (
    BadUpstream,
    DomainError,
    UpstreamTimeout,
    UpstreamUnavailable,
)
from careflow.gateway.domain.routing import Upstream
from careflow.shared.audit import AuditPage, AuditQuery

log = logging.getLogger(__name__)


def classify(exc: httpx.TransportError, service: str) -> DomainError:
    """The refusal a transport failure becomes; the message names the service only."""
    if isinstance(exc, httpx.PoolTimeout):
        return UpstreamUnavailable(f"The {service} service is busy; try again shortly.")
    if isinstance(exc, httpx.TimeoutException):
        return UpstreamTimeout(f"The {service} service did not answer in time.")
    if isinstance(exc, httpx.ConnectError):
        return UpstreamUnavailable(f"The {service} service is not reachable now.")
    return BadUpstream(f"The {service} service's answer could not be passed on.")


class UpstreamPools:
    """A connection pool per service; opened lazily by httpx, closed at shutdown."""

    def __init__(self, upstreams: Iterable[Upstream]) -> None:
        self.clients: dict[str, httpx.AsyncClient] = {}
        for u in upstreams:
            self.clients[u.name] = httpx.AsyncClient(
                base_url=u.base_url,
                timeout=httpx.Timeout(u.timeout, connect=u.connect_timeout),
                limits=httpx.Limits(
                    max_connections=u.max_connections,
                    max_keepalive_connections=u.max_keepalive,
                    keepalive_expiry=30.0,
                ),
                follow_redirects=False,
                # Proxies from the environment would route service traffic elsewhere.
                trust_env=False,
            )

    def client(self, name: str) -> httpx.AsyncClient:
        return self.clients[name]

    async def close(self) -> None:
        for client in self.clients.values():
            await client.aclose()


class HttpAuditSource:
    """Each service's `GET /audit-records`, asked with the auditor's own token."""

    def __init__(self, pools: UpstreamPools, timeout: float) -> None:
        self._pools = pools
        self._timeout = timeout

    async def page(self, upstream: Upstream, query: AuditQuery, authorization: str) -> AuditPage:
        params: dict[str, Any] = {"limit": query.limit}
        if query.from_ is not None:
            params["from"] = query.from_.isoformat()
        if query.to is not None:
            params["to"] = query.to.isoformat()
        if query.cursor is not None:
            params["cursor"] = query.cursor.encode()
        try:
            response = await self._pools.client(upstream.name).get(
                upstream.audit_path or "/audit-records",
                params=params,
                headers={"Authorization": authorization},
                timeout=self._timeout,
            )
        except httpx.TransportError as exc:
            raise classify(exc, upstream.name) from None
        if response.status_code != 200:
            log.warning("audit records of %s answered %d", upstream.name, response.status_code)
            raise BadUpstream(f"The {upstream.name} service refused the audit query.")
        try:
            return AuditPage.model_validate_json(response.content)
        except ValueError:
            raise BadUpstream(f"The {upstream.name} service's audit page is not valid.") from None


class HttpDocumentSource:
    """Each service's OpenAPI document, as it serves it."""

    def __init__(self, pools: UpstreamPools, timeout: float) -> None:
        self._pools = pools
        self._timeout = timeout

    async def fetch(self, upstream: Upstream) -> Mapping[str, Any] | None:
        try:
            response = await self._pools.client(upstream.name).get(
                upstream.openapi_path or "/openapi.json", timeout=self._timeout
            )
            response.raise_for_status()
            document = response.json()
        except (httpx.HTTPError, ValueError) as exc:
            log.info("no OpenAPI from %s yet: %s", upstream.name, type(exc).__name__)
            return None
        return document if isinstance(document, dict) else None
