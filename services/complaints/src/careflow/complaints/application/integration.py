"""Clinics with their own case-handling system: the addressing catalogue, delivery over
HTTP and the status those systems report back."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import Any
from uuid import UUID

from careflow.complaints.application import outgoing
from careflow.complaints.application.context import Context
from careflow.complaints.application.ports import UnitOfWork
from careflow.complaints.application.staff import answer
from careflow.complaints.domain.cases import Case, HandledIn, Status
from careflow.complaints.domain.delivery import DeliveryFailed, DeliveryJob, Endpoint
from careflow.complaints.domain.errors import NotFound

RECEIVED = "received"
ANSWERED = "answered"


async def set_endpoint(ctx: Context, endpoint: Endpoint) -> Endpoint:
    """Addresses a clinic's own system: its new cases go there, never to the staff view."""
    async with ctx.uow() as uow:
        await uow.catalogue.put(endpoint, ctx.clock())
        await uow.commit()
    return endpoint


async def get_endpoint(ctx: Context, hsa_id: str) -> Endpoint:
    async with ctx.uow() as uow:
        endpoint = await uow.catalogue.get(hsa_id)
    if endpoint is None:
        raise NotFound("The catalogue has no address for this clinic.")
    return endpoint


async def remove_endpoint(ctx: Context, hsa_id: str) -> None:
    async with ctx.uow() as uow:
        if not await uow.catalogue.remove(hsa_id):
            raise NotFound("The catalogue has no address for this clinic.")
        await uow.commit()


async def deliver_due(ctx: Context, limit: int) -> int:
    """One pass: sends the due deliveries and returns how many were claimed.

    Each row stays locked (FOR UPDATE SKIP LOCKED) while it is sent and is marked in
    the same transaction, so replicas never send one case at the same time. A crash
    after a system took a case but before the commit sends it again with the same
    `Idempotency-Key` (the case id): the system keeps it once."""
    now = ctx.clock()
    async with ctx.uow() as uow:
        jobs = await uow.deliveries.claim_due(now, limit)
        for job in jobs:
            await _deliver(ctx, uow, job, now)
        await uow.commit()
    return len(jobs)


async def _deliver(ctx: Context, uow: UnitOfWork, job: DeliveryJob, now: datetime) -> None:
    case = await uow.cases.get(job.case_id)
    assert case is not None
    attempts = job.attempts + 1
    try:
        await ctx.case_system.deliver(job.url, str(case.case_id), handover(case))
    except DeliveryFailed as failed:
        await uow.deliveries.retry(
            case.case_id, attempts, ctx.backoff.next_attempt(now, attempts), failed.code
        )
        return
    await uow.deliveries.delivered(case.case_id, attempts, now)
    uow.outbox.add(
        outgoing.delivered(case.case_id, case.place_hsa_id, attempts, now), occurred_at=now
    )


def handover(case: Case) -> dict[str, Any]:
    """What the clinic's system gets: the case as the resident sent it, and where to
    report its status."""
    return {
        "case_id": str(case.case_id),
        "kind": case.kind.value,
        "region_code": case.region_code,
        "clinic_hsa_id": case.place_hsa_id,
        "submitted_at": case.submitted_at.isoformat(),
        "due_at": case.due_at.isoformat(),
        "where": case.where,
        "description": case.description,
        "anonymous": case.anonymous,
        "answer_channel": case.answer_channel.value if case.answer_channel else None,
        "status_path": f"/integration/cases/{case.case_id}/status",
    }


async def report_status(ctx: Context, system_id: str, case_id: UUID, status: str) -> Case:
    """A clinic's own system says it received or answered a case it was given; an answer
    notifies the resident. Reporting the same status again changes nothing."""
    now = ctx.clock()
    async with ctx.uow() as uow:
        case = await uow.cases.get(case_id, for_update=True)
        endpoint = await uow.catalogue.get(case.place_hsa_id) if case else None
        if (
            case is None
            or case.handled_in is not HandledIn.OWN_SYSTEM
            or endpoint is None
            or endpoint.system_id != system_id
        ):
            raise NotFound("No such case for this system.")
        if status == ANSWERED:
            case = await answer(uow, case, now)
        elif case.status is not Status.ANSWERED and case.external_status != RECEIVED:
            case = replace(case, external_status=RECEIVED)
            await uow.cases.update(case)
        await uow.commit()
    return case
