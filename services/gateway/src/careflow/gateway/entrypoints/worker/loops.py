"""The gateway's background loops: the merged OpenAPI's refresh and the sweep of
rate-limit windows that can no longer count."""

from __future__ import annotations

import asyncio
import logging

from careflow.gateway.bootstrap import Container
from careflow.shared.service.runtime import BackgroundTask, ServiceRuntime

log = logging.getLogger(__name__)


def background(container: Container) -> list[BackgroundTask]:
    settings = container.settings

    async def refresh_openapi(_runtime: ServiceRuntime) -> None:
        """Rebuilds the merged document; sooner while some service has not answered."""
        while True:
            document = container.document
            wait = (
                settings.openapi.retry_seconds
                if document.missing
                else settings.openapi.refresh_seconds
            )
            await asyncio.sleep(wait)
            try:
                await document.refresh()
            except Exception:
                log.exception("refreshing the merged OpenAPI failed")

    async def sweep_rate_limits(_runtime: ServiceRuntime) -> None:
        """Windows older than the previous one count for nothing; every replica sweeps
        (a delete of nothing costs little), so no leader is needed."""
        length = settings.rate_limit.window_seconds
        while True:
            await asyncio.sleep(max(length, 30))
            try:
                before = int(container.clock()) - 2 * length
                await container.counter.sweep(before)
            except Exception as exc:
                log.warning("sweeping rate limit windows failed: %s", type(exc).__name__)

    return [refresh_openapi, sweep_rate_limits]
