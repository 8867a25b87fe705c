"""Each due send is handed to notification exactly once across replicas and restarts."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta

from careflow.reminders.application.scheduler import dispatch_due
from careflow.testing.probe_service import wait_until

from .conftest import Service, Starter, contact_of

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


async def test_one_pass_decides_each_send_by_its_residents_opt_ins(service: Service) -> None:
    """Sends of residents with different opt-ins, handed over by one pass together."""
    moment = datetime.now(UTC) + timedelta(days=600)
    opted_out, email_only, unknown = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    await service.apply(
        contact_of(opted_out, email_on=False, sms_on=False),
        contact_of(email_only, email_on=True, sms_on=False),
    )
    org = f"org-{uuid.uuid4().hex[:8]}"
    for resident in (opted_out, email_only, unknown):
        await service.sql(
            "INSERT INTO reminders (reminder_id, organisation_id, resident_id, kind, source,"
            " status, due_at, channels, created_at, updated_at) VALUES (gen_random_uuid(),"
            " :org, :resident, 'patient', 'manual', 'active', :due, '[\"email\", \"sms\"]',"
            " :at, :at)",
            org=org,
            resident=resident,
            due=moment + timedelta(days=7),
            at=moment,
        )
    await service.sql(
        "INSERT INTO reminder_sends (send_id, reminder_id, send_at, status) "
        "SELECT gen_random_uuid(), reminder_id, :at, 'scheduled' FROM reminders"
        " WHERE organisation_id = :org",
        org=org,
        at=moment,
    )
    passed_at = moment + timedelta(seconds=1)
    await dispatch_due(service.container.uow(), passed_at, 1000)
    sends = {
        row.resident_id: row
        for row in await service.sql(
            "SELECT r.resident_id, s.send_id, s.status, s.channels, s.reason, s.requested_at"
            " FROM reminder_sends s JOIN reminders r USING (reminder_id)"
            " WHERE r.organisation_id = :org",
            org=org,
        )
    }
    skipped, email, both = sends[opted_out], sends[email_only], sends[unknown]
    assert (skipped.status, skipped.channels, skipped.reason) == ("skipped", [], "opted_out")
    assert skipped.requested_at is None
    assert await service.requests_for(skipped.send_id) == []
    assert (email.status, email.channels, email.reason) == ("requested", ["email"], None)
    assert (both.status, both.channels) == ("requested", ["email", "sms"])
    for send in (email, both):
        assert send.requested_at == passed_at
        assert await service.requests_for(send.send_id) == ["careflow.notification.requested.v1"]
