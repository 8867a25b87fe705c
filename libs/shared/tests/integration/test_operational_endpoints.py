"""Health, readiness and Prometheus metrics of a service built with the kit."""

from __future__ import annotations

import asyncio
import re
import uuid

import httpx

from careflow.contracts.registry import PLATFORM_PROBES
from careflow.shared.service.app import create_service_app
from careflow.testing.probe_service import (
    effects_of,
    emit,
    probe,
    probe_runtime,
    publish_raw,
    settings_for,
    wait_until,
)


async def test_health_ready_and_metrics_need_no_token_and_report_the_platform(probe_db: str, kafka):
    runtime = probe_runtime(settings_for(probe_db, kafka.bootstrap_servers))
    app = create_service_app(runtime)
    probe_id = uuid.uuid4()
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://probe") as client,
    ):
        assert (await client.get("/healthz")).json() == {"status": "ok"}
        ready = await client.get("/readyz")
        assert ready.status_code == 200
        assert ready.json()["checks"] == {"database": "ok", "broker": "ok"}

        await emit(runtime, [probe(probe_id, 0)])
        await publish_raw(kafka.bootstrap_servers, PLATFORM_PROBES.name, [(b"k", b"{}", [])])
        await wait_until(lambda: effects_of(runtime, probe_id))

        async def counted() -> bool:
            # Both are counted after a commit (the consumer's; the relay's marking of
            # what it sent), which may come just after the effects are visible.
            text = (await client.get("/metrics")).text
            names = ("careflow_consumer_event_age_seconds_count", "careflow_outbox_published")
            return all(name in text for name in names)

        await wait_until(counted)
        await runtime.relay._maybe_report_lag()
        await client.get("/no-such-route")
        metrics = (await client.get("/metrics")).text

    for name in (
        "careflow_http_requests",
        "careflow_consumer_messages",
        "careflow_outbox_published",
        "careflow_outbox_pending",
        "careflow_dlq_messages",
        "careflow_consumer_event_age",
    ):
        assert name in metrics, name
    assert 'outcome="processed"' in metrics
    # Freshness of what was applied, by event type (the malformed record has none).
    assert re.search(r'careflow_consumer_event_age_seconds_count{[^}]*type="[\w.]+"', metrics)
    # Seconds, in buckets made for seconds (not the SDK's millisecond defaults).
    for histogram in ("careflow_http_request_duration", "careflow_consumer_duration"):
        assert re.search(rf'{histogram}\w*_bucket{{[^}}]*le="0.05"', metrics), histogram
    assert 'route="<unmatched>"' in metrics  # raw paths never become labels
    assert str(probe_id) not in metrics
    # The pool, read at scrape time: its connections are either in use or idle.
    pool = dict(
        re.findall(r'db_client_connections_usage\w*{[^}]*state="(\w+)"[^}]*} ([\d.]+)', metrics)
    )
    assert set(pool) == {"used", "idle"}, pool
    assert float(pool["idle"]) >= 1  # the relay's and consumer's connections went back


async def test_readiness_fails_when_the_database_is_unreachable(probe_db: str, kafka):
    runtime = probe_runtime(settings_for(probe_db, kafka.bootstrap_servers))
    app = create_service_app(runtime)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://probe") as client,
    ):
        real_engine = runtime.engine
        from sqlalchemy.ext.asyncio import create_async_engine

        runtime.engine = create_async_engine("postgresql+asyncpg://nobody@127.0.0.1:1/none")
        try:
            ready = await client.get("/readyz")
        finally:
            await runtime.engine.dispose()
            runtime.engine = real_engine
    assert ready.status_code == 503
    assert ready.json()["checks"]["database"] == "unavailable"


async def test_liveness_fails_once_a_background_task_died(probe_db: str, kafka):
    runtime = probe_runtime(settings_for(probe_db, kafka.bootstrap_servers))
    died = asyncio.Event()

    async def ticker(_runtime: object) -> None:
        died.set()
        raise RuntimeError("a bug")

    runtime.background = [ticker]
    app = create_service_app(runtime)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://probe") as client,
    ):
        await died.wait()
        await asyncio.sleep(0)  # the done callback runs on the next turn of the loop
        live = await client.get("/healthz")
    assert live.status_code == 503
    assert live.json() == {"status": "failed", "dead": ["ticker"]}
