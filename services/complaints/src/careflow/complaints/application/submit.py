"""A resident sends feedback or a complaint; it is routed to exactly one place."""

from __future__ import annotations

from datetime import date
from uuid import UUID, uuid4

from careflow.complaints.application import outgoing
from careflow.complaints.application.context import Context
from careflow.complaints.domain.cases import (
    Case,
    HandledIn,
    PlaceKind,
    Status,
    Submission,
)
from careflow.complaints.domain.errors import Refused


async def submit_complaint(
    ctx: Context,
    submission: Submission,
    *,
    resident_id: UUID | None,
    patient_birth_date: date | None,
) -> Case:
    """Routes the case to the named clinic, or to the region's patient board when none
    is named (with the resident's description of an unknown clinic); refused while the
    region has no board. A clinic with its own system gets the case through the
    integration (scheduled here, in the same transaction) and nowhere else."""
    now = ctx.clock()
    async with ctx.uow() as uow:
        region = await uow.regions.get(submission.region_code)
        if region is None:
            raise Refused("The region is not in this service.")
        board = region.require_open()
        if submission.clinic_hsa_id is None:
            place, kind = board.hsa_id, PlaceKind.BOARD
        else:
            clinic = await uow.clinics.get(submission.clinic_hsa_id)
            if clinic is None or clinic.region_code != region.code:
                raise Refused("The region has no such clinic in this service.")
            place, kind = clinic.hsa_id, PlaceKind.CLINIC
        endpoint = await uow.catalogue.get(place) if kind is PlaceKind.CLINIC else None
        case = Case(
            case_id=uuid4(),
            kind=submission.kind,
            region_code=region.code,
            place_hsa_id=place,
            place_kind=kind,
            handled_in=HandledIn.OWN_SYSTEM if endpoint else HandledIn.STAFF_VIEW,
            status=Status.RECEIVED,
            anonymous=submission.anonymous,
            resident_id=None if submission.anonymous else resident_id,
            answer_channel=submission.answer_channel,
            submitted_at=now,
            due_at=ctx.due.due(now, patient_birth_date),
            where=submission.where,
            description=submission.description,
            unknown_clinic=submission.unknown_clinic,
        )
        await uow.cases.add(case)
        # A case for a clinic's own system is delivered from this event
        # (application/routing.py), never shown in the staff view.
        uow.outbox.add(outgoing.submitted(case), occurred_at=now)
        await uow.commit()
    return case


async def my_cases(ctx: Context, resident_id: UUID, limit: int = 100) -> list[Case]:
    """The resident's own (not anonymous) cases, newest first."""
    async with ctx.uow() as uow:
        return await uow.cases.of_resident(resident_id, limit)
