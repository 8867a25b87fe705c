"""The only place that builds the gateway: routing table, upstream pools, rate limiter,
merged API document, runtime and clock.

It builds (never starts) and imports no entry point: `create_app` is the one
composition root. Nothing connects here: the pools open connections at the first request,
the runtime's engine in the lifespan.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from careflow.gateway.adapters.rate_counter import PostgresRateCounter
from careflow.gateway.adapters.runtime import EdgeRuntime
from careflow.gateway.adapters.upstreams import HttpAuditSource, HttpDocumentSource, UpstreamPools
from careflow.gateway.application.documents import ApiDocument
from careflow.gateway.application.limits import Limits, RateLimiter
from careflow.gateway.domain.routing import Access, RouteRule, RouteTable, Upstream
from careflow.gateway.settings import Settings, UpstreamSettings

NAME = "gateway"
MIGRATIONS = Path(__file__).resolve().parents[3] / "migrations"


def upstream_of(name: str, s: UpstreamSettings) -> Upstream:
    rules = tuple(
        RouteRule(
            path=r.path,
            methods=frozenset(m.upper() for m in r.methods),
            access=Access(r.actor, frozenset(r.roles), r.strong),
            timeout=r.timeout_seconds,
        )
        for r in s.rules
    )
    return Upstream(
        name=name,
        base_url=s.base_url.rstrip("/"),
        prefix=s.prefix or f"/{name}",
        timeout=s.timeout_seconds,
        connect_timeout=s.connect_timeout_seconds,
        retries=s.retries,
        rules=rules,
        openapi_path=s.openapi_path,
        audit_path=s.audit_path,
        max_connections=s.max_connections,
        max_keepalive=s.max_keepalive_connections,
    )


@dataclass
class Container:
    """What entry points need: the table, the pools, the limiter, the merged document."""

    settings: Settings
    runtime: EdgeRuntime
    routes: RouteTable
    pools: UpstreamPools
    limiter: RateLimiter
    counter: PostgresRateCounter
    document: ApiDocument
    audit: HttpAuditSource
    clock: Callable[[], float] = field(default=time.time)


def build(settings: Settings, *, clock: Callable[[], float] = time.time) -> Container:
    """Wires the gateway; nothing connects until the runtime starts (in the app's lifespan)."""
    upstreams = [upstream_of(n, s) for n, s in settings.upstreams.items() if s.enabled]
    runtime = EdgeRuntime(settings, NAME, migrations=MIGRATIONS)
    pools = UpstreamPools(upstreams)
    counter = PostgresRateCounter(
        settings.database.url.get_secret_value(),
        max_connections=settings.rate_limit.store_connections,
        application_name=f"careflow-{NAME}-limits",
    )
    rl = settings.rate_limit
    limiter = RateLimiter(
        counter,
        Limits(
            rl.window_seconds,
            rl.per_subject,
            rl.per_address,
            rl.store_timeout_seconds,
            flush_interval=rl.flush_interval_seconds,
            fresh_for=rl.view_fresh_seconds,
            margin_ratio=rl.local_margin,
            margin_min=rl.local_margin_min,
        ),
        rl.key_secret.get_secret_value().encode(),
        clock,
    )
    document = ApiDocument(
        upstreams, HttpDocumentSource(pools, settings.openapi.fetch_timeout_seconds)
    )
    runtime.startup += [pools.start, counter.start, document.refresh]
    # The limiter flushes its last counts before the counters' pool closes.
    runtime.shutdown += [pools.close, limiter.close, counter.close]
    return Container(
        settings=settings,
        runtime=runtime,
        routes=RouteTable.of(upstreams),
        pools=pools,
        limiter=limiter,
        counter=counter,
        document=document,
        audit=HttpAuditSource(pools, settings.audit_timeout_seconds),
        clock=clock,
    )
