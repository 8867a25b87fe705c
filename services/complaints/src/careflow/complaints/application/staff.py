"""The staff view: receivers see and distribute their place's cases, handlers the cases
given to them; every read is audited in the read's own transaction."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID, uuid4

from careflow.complaints.application import outgoing
from careflow.complaints.application.context import Context
from careflow.complaints.application.ports import UnitOfWork
from careflow.complaints.domain.access import HANDLER, Staff
from careflow.complaints.domain.audit import reads
from careflow.complaints.domain.cases import Case, HandledIn, Reply, check_reply
from careflow.complaints.domain.delivery import CaseQuery
from careflow.complaints.domain.errors import Refused
from careflow.shared.audit import Purpose

PURPOSE = Purpose.COMPLAINT_HANDLING.value


@dataclass(frozen=True)
class Group:
    group_id: UUID
    name: str
    members: list[str]


async def list_cases(
    ctx: Context,
    staff: Staff,
    *,
    overdue: bool = False,
    status: str | None = None,
    limit: int = 100,
) -> list[Case]:
    """The caller's cases: a receiver's place's, a handler's own; overdue ones only on request."""
    now = ctx.clock()
    async with ctx.uow() as uow:
        groups = await uow.groups.of_member(staff.subject, staff.place_hsa_id)
        query = CaseQuery(
            region_code=staff.region_code,
            place_hsa_id=staff.place_hsa_id,
            handler_id=None if staff.receiver else staff.subject,
            groups=() if staff.receiver else groups,
            overdue_at=now if overdue else None,
            status=status,
            limit=limit,
        )
        found = await uow.cases.list(query) if staff.receiver or _handles(staff) else []
        await uow.audit.record(reads(staff, found, "list_cases", PURPOSE, now))
        await uow.commit()
    return found


def _handles(staff: Staff) -> bool:
    return HANDLER in staff.roles


async def read_case(ctx: Context, staff: Staff, case_id: UUID) -> tuple[Case, list[Reply]]:
    """One case with its texts and replies (404 unless the caller may see it)."""
    now = ctx.clock()
    async with ctx.uow() as uow:
        case = await _visible(uow, staff, case_id)
        replies = await uow.cases.replies(case_id)
        await uow.audit.record(reads(staff, [case], "read_case", PURPOSE, now))
        await uow.commit()
    return case, replies


async def create_group(ctx: Context, staff: Staff, name: str, members: Collection[str]) -> Group:
    staff.require_group_admin()
    group = Group(uuid4(), name, sorted(set(members)))
    async with ctx.uow() as uow:
        await uow.groups.add(group.group_id, staff.place_hsa_id, name, group.members, ctx.clock())
        await uow.commit()
    return group


async def place_groups(ctx: Context, staff: Staff) -> list[Group]:
    staff.require_group_admin()
    async with ctx.uow() as uow:
        return [Group(*g) for g in await uow.groups.of_place(staff.place_hsa_id)]


async def distribute(
    ctx: Context, staff: Staff, case_id: UUID, *, group_id: UUID | None, handler_id: str | None
) -> Case:
    """A receiver gives the case to a group of the place or to one handler; again to
    redistribute it."""
    staff.require_receiver()
    async with ctx.uow() as uow:
        case = await _visible(uow, staff, case_id, for_update=True)
        if group_id is not None and not await uow.groups.exists(group_id, staff.place_hsa_id):
            raise Refused("No such group at this place.")
        case = case.distributed(group_id=group_id, handler_id=handler_id)
        await uow.cases.update(case)
        await uow.commit()
    return case


async def reply(ctx: Context, staff: Staff, case_id: UUID, text: str, *, final: bool) -> Case:
    """A partial reply (receivers, handlers) or the answer (the handler given the case);
    the answer notifies the resident through the notification service."""
    now = ctx.clock()
    async with ctx.uow() as uow:
        groups = await uow.groups.of_member(staff.subject, staff.place_hsa_id)
        case = staff.require_sees(await uow.cases.get(case_id, for_update=True), groups)
        check_reply(case, final=final)
        staff.require_may_reply(case, groups, final=final)
        await uow.cases.add_reply(case_id, Reply(staff.subject, final, text, now))
        if final:
            case = await answer(uow, case, now)
        await uow.commit()
    return case


async def answer(uow: UnitOfWork, case: Case, now: datetime) -> Case:
    if case.answered_at is not None:
        return case
    case = case.answered(now)
    await uow.cases.update(case)
    uow.outbox.add(outgoing.answered(case), occurred_at=now)
    if case.notifies_resident:
        assert case.resident_id is not None
        uow.outbox.add(outgoing.answer_notification(case.resident_id, now), occurred_at=now)
    return case


async def retarget(ctx: Context, staff: Staff, case_id: UUID, clinic_hsa_id: str) -> Case:
    """The patient board's receivers name the right clinic of the region: the case moves
    to that clinic's receivers (or its own system) and out of the board's view."""
    staff.require_receiver()
    now = ctx.clock()
    async with ctx.uow() as uow:
        case = await _visible(uow, staff, case_id, for_update=True)
        clinic = await uow.clinics.get(clinic_hsa_id)
        if clinic is None or clinic.region_code != case.region_code:
            raise Refused("The region has no such clinic in this service.")
        endpoint = await uow.catalogue.get(clinic.hsa_id)
        handled_in = HandledIn.OWN_SYSTEM if endpoint else HandledIn.STAFF_VIEW
        case = case.retargeted(clinic.hsa_id, handled_in)
        await uow.cases.update(case)
        uow.outbox.add(outgoing.retargeted(case, now), occurred_at=now)
        await uow.commit()
    return case


async def _visible(
    uow: UnitOfWork, staff: Staff, case_id: UUID, *, for_update: bool = False
) -> Case:
    groups = await uow.groups.of_member(staff.subject, staff.place_hsa_id)
    return staff.require_sees(await uow.cases.get(case_id, for_update=for_update), groups)
