"""Each due send is handed to notification exactly once across replicas and restarts."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta

from careflow.reminders.application.scheduler import dispatch_due
from careflow.testing.probe_service import wait_until

from .conftest import Service, Starter

SENDS = 300


async def due_sends(service: Service, count: int, at: datetime) -> str:
    """`count` patient reminders of one organisation, each with one send at `at`."""
    org = f"org-{uuid.uuid4().hex[:8]}"
    await service.sql(
        "INSERT INTO reminders (reminder_id, organisation_id, resident_id, kind, source, status,"
        " due_at, channels, created_at, updated_at) "
        "SELECT gen_random_uuid(), :org, gen_random_uuid(), 'patient', 'manual', 'active',"
        " CAST(:at AS timestamptz) + interval '7 days', '[\"email\"]'::jsonb,"
        " CAST(:at AS timestamptz), CAST(:at AS timestamptz) FROM generate_series(1, :n)",
        org=org,
        at=at,
        n=count,
    )
    await service.sql(
        "INSERT INTO reminder_sends (send_id, reminder_id, send_at, status) "
        "SELECT gen_random_uuid(), reminder_id, CAST(:at AS timestamptz), 'scheduled'"
        " FROM reminders WHERE organisation_id = :org",
        org=org,
        at=at,
    )
    return org


async def counts(service: Service, org: str) -> tuple[int, int, int]:
    """(sends requested, requests in the outbox, distinct sends requested in the outbox)."""
    (row,) = await service.sql(
        "SELECT count(*) FILTER (WHERE s.status = 'requested') AS requested,"
        " (SELECT count(*) FROM outbox o JOIN reminder_sends s2 ON o.key = s2.send_id::text"
        "  JOIN reminders r2 USING (reminder_id) WHERE r2.organisation_id = :org) AS events,"
        " (SELECT count(DISTINCT o.key) FROM outbox o JOIN reminder_sends s3"
        "  ON o.key = s3.send_id::text JOIN reminders r3 USING (reminder_id)"
        "  WHERE r3.organisation_id = :org) AS distinct_events"
        " FROM reminder_sends s JOIN reminders r USING (reminder_id)"
        " WHERE r.organisation_id = :org",
        org=org,
    )
    return row.requested, row.events, row.distinct_events


async def test_two_replicas_and_concurrent_passes_hand_each_send_over_once(
    start_service: Starter, service: Service
) -> None:
    moment = datetime.now(UTC) + timedelta(days=400)
    async with start_service() as replica:
        org = await due_sends(service, SENDS, moment)
        service.clock.jump_to(moment + timedelta(seconds=1))
        # Besides both replicas' loops, passes of our own race them, small batches.
        await asyncio.gather(
            *(dispatch_due(replica.container.uow(), replica.clock(), 7) for _ in range(20))
        )

        async def all_requested() -> bool:
            return (await counts(service, org))[0] == SENDS

        await wait_until(all_requested, within=60)
    assert await counts(service, org) == (SENDS, SENDS, SENDS)


async def test_a_restart_inside_the_due_window_sends_each_once(
    start_service: Starter, service: Service
) -> None:
    moment = datetime.now(UTC) + timedelta(days=500)
    org = await due_sends(service, SENDS, moment)
    service.clock.jump_to(moment + timedelta(seconds=1))
    # The first process stops as soon as it has handed some over (mid-window)...
    async with start_service() as first:

        async def some_requested() -> bool:
            return (await counts(first, org))[0] > 0

        await wait_until(some_requested, within=60)
    # ...and the restarted one, still inside the window, hands over the rest.
    async with start_service() as restarted:

        async def all_requested() -> bool:
            return (await counts(restarted, org))[0] == SENDS

        await wait_until(all_requested, within=60)
    assert await counts(service, org) == (SENDS, SENDS, SENDS)
