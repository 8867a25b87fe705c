"""Pooled HTTP connections to every service, and what the use cases ask them.

Proxied requests go over one `aiohttp.ClientSession` per service: its own pool
(keep-alive connections reused across requests, at most `max_connections`). Not
httpx: httpcore's pool walks every pooled connection on each request and asks each
idle one whether its socket is readable (a `select` per connection), twice per
request, and counts the idle ones again inside that walk — about two thirds of the
gateway's CPU per proxied request under `benchmarks/gateway.py`, and more the more
connections a burst had opened, so an overload fed itself. aiohttp takes an idle
connection from a per-host queue. The rare calls of the gateway's own use cases
(OpenAPI documents, audit pages) stay on one `httpx.AsyncClient` per service.

Transport failures are classified once here: refused or reset connections are
"unavailable" (503), timeouts 504, anything else broken 502.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from typing import Any

import aiohttp
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


def classify_proxied(exc: BaseException, service: str) -> DomainError:
    """As `classify`, for the proxy's aiohttp sessions."""
    if isinstance(exc, aiohttp.ClientConnectorError):
        return UpstreamUnavailable(f"The {service} service is not reachable now.")
    if isinstance(exc, (aiohttp.ServerTimeoutError, TimeoutError)):
        # A connection not made (nor a pooled one free) in time, or no answer in time.
        return UpstreamTimeout(f"The {service} service did not answer in time.")
    return BadUpstream(f"The {service} service's answer could not be passed on.")


class UpstreamPools:
    """Connection pools per service: `sessions` for proxied requests (opened by
    `start`, in the event loop), `clients` for the gateway's own calls (opened lazily
    by httpx); all closed at shutdown."""

    def __init__(self, upstreams: Iterable[Upstream]) -> None:
        self._upstreams = list(upstreams)
        self.sessions: dict[str, aiohttp.ClientSession] = {}
        self.clients: dict[str, httpx.AsyncClient] = {}
        for u in self._upstreams:
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

    async def start(self) -> None:
        for u in self._upstreams:
            self.sessions[u.name] = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(
                    limit=u.max_connections, limit_per_host=0, keepalive_timeout=30.0
                ),
                # One jar for every caller would hand one caller's cookies to the next.
                cookie_jar=aiohttp.DummyCookieJar(),
                # Bodies pass as they are, encoded or not; the client asked for them.
                auto_decompress=False,
                # Proxies from the environment would route service traffic elsewhere.
                trust_env=False,
                # Only the client's own headers go on (no User-Agent, Accept, ... added).
                skip_auto_headers=("User-Agent", "Accept", "Accept-Encoding", "Content-Type"),
            )

    def session(self, name: str) -> aiohttp.ClientSession:
        return self.sessions[name]

    def client(self, name: str) -> httpx.AsyncClient:
        return self.clients[name]

    async def close(self) -> None:
        for session in self.sessions.values():
            await session.close()
        self.sessions.clear()
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
