"""What a work-queue process runs in the background, and that a pass does its work."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from careflow.workqueue.bootstrap import build
from careflow.workqueue.entrypoints.api.app import create_app
from careflow.workqueue.entrypoints.worker.loops import background
from careflow.workqueue.settings import Settings


def test_a_process_runs_the_closed_queue_purger_and_the_overdue_counter() -> None:
    loops = background(build(Settings()))
    assert [loop.__name__ for loop in loops] == ["closed_queue_purger", "overdue_counter"]


def test_the_app_hands_its_loops_to_the_runtime() -> None:
    app = create_app(Settings())
    names = [loop.__name__ for loop in app.state.container.runtime.background]
    assert names == ["closed_queue_purger", "overdue_counter"]


async def test_the_purger_passes_the_configured_retention_and_keeps_going(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    seen: list[timedelta] = []

    async def purge(uow, now, retention, *, batch):  # type: ignore[no-untyped-def]
        seen.append(retention)
        return 0

    monkeypatch.setattr("careflow.workqueue.application.retention.purge_expired", purge)
    settings = Settings(closed_retention=timedelta(days=7), purge_every=timedelta(seconds=0))
    container = build(settings, clock=lambda: datetime(2026, 12, 4, tzinfo=UTC))
    container.uow = lambda: None  # type: ignore[method-assign]
    purger = background(container)[0]
    task = asyncio.create_task(purger(container.runtime))
    await asyncio.sleep(0.01)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert len(seen) >= 2
    assert set(seen) == {timedelta(days=7)}
