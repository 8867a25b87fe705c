"""The relay keeps publishing whatever its side duties (the lag gauge) run into."""

from __future__ import annotations

import asyncio

from careflow.shared.outbox.relay import OutboxRelay
from careflow.shared.settings import RelaySettings


class _FlakyGaugeRelay(OutboxRelay):
    """The database replaced: every lag check fails as asyncpg did on a PostgreSQL restart."""

    def __init__(self) -> None:
        super().__init__(
            None,  # type: ignore[arg-type]
            None,  # type: ignore[arg-type]
            RelaySettings(idle_poll_seconds=0.01, pass_interval_seconds=0),
            service="test",
        )
        self.passes = 0

    async def _listen(self) -> None:
        await asyncio.Event().wait()

    async def _maybe_report_lag(self) -> None:
        raise RuntimeError("cannot switch to state 12; another operation (2) is in progress")

    async def drain_once(self) -> int:
        self.passes += 1
        return 0


async def test_a_failing_lag_check_does_not_stop_the_relay() -> None:
    relay = _FlakyGaugeRelay()
    task = asyncio.create_task(relay.run())
    try:
        async with asyncio.timeout(5):
            while relay.passes < 3:
                await asyncio.sleep(0.01)
        assert not task.done()
    finally:
        task.cancel()
