"""Case messages: a resident and the professionals of the case's organisation write on a
case, each message notifies the other side, each side has its own read state, and every
professional's read is audited."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from careflow.contracts.messages import MessageSent, MessagesRead
from careflow.contracts.notifications import NotificationRequested
from careflow.messaging.application.ports import Professional, Resident, UnitOfWork
from careflow.messaging.domain.audit import AuditRecord
from careflow.messaging.domain.errors import NotFound
from careflow.messaging.domain.messages import (
    CaseFacts,
    Message,
    ReadState,
    SendLimit,
    Side,
    message_body,
)
from careflow.shared.audit import AuditPage, AuditQuery, Purpose, page_of

#: The `requested_by` of messaging's notification requests.
REQUESTER = "messaging"

_NOT_FOUND = "No such case."


@dataclass(frozen=True)
class MessagePage:
    """Messages newest first; `next_before` continues to older ones (None: no more)."""

    messages: list[Message]
    next_before: int | None
    unread: int
    read: ReadState
    other_side_read: ReadState


@dataclass
class CaseMessages:
    """The case-message use cases, with what they share (unit of work, clock, send limit)."""

    uow: Callable[[], UnitOfWork]
    clock: Callable[[], datetime]
    send_limit: SendLimit

    # ------------------------------------------------------------------ writing

    async def write_as_resident(
        self, resident: Resident, case_id: UUID, text: str, *, objects_to_closing: bool = False
    ) -> Message:
        """The resident (or their guardian) writes on their case; professionals see it as
        unread on the queue item. With `objects_to_closing` it objects to the open
        closing proposal, which keeps the case open."""
        body = message_body(text)
        async with self.uow() as uow:
            now = self.clock()
            case = _residents_case(await uow.cases.get(case_id), resident)
            case.check_writable()
            proposal = case.objectable_proposal(now) if objects_to_closing else None
            await self._check_limit(uow, str(resident.resident_id), now)
            message = await uow.messages.add(
                Message(
                    id=uuid.uuid4(),
                    case_id=case_id,
                    author_side=Side.RESIDENT,
                    author_id=str(resident.resident_id),
                    body=body,
                    sent_at=now,
                    objects_to_proposal_id=proposal,
                )
            )
            await self._announce(uow, case, message)
            await uow.commit()
        return message

    async def write_as_professional(
        self, professional: Professional, case_id: UUID, text: str
    ) -> Message:
        """A professional of the case's organisation writes on it; the resident is notified
        (no content in the notification)."""
        body = message_body(text)
        async with self.uow() as uow:
            now = self.clock()
            case = _organisations_case(await uow.cases.get(case_id), professional)
            case.check_writable()
            await self._check_limit(uow, professional.professional_id, now)
            message = await uow.messages.add(
                Message(
                    id=uuid.uuid4(),
                    case_id=case_id,
                    author_side=Side.PROFESSIONAL,
                    author_id=professional.professional_id,
                    body=body,
                    sent_at=now,
                )
            )
            # Whoever writes has read what came before.
            await uow.messages.mark_read(
                ReadState(
                    case_id, Side.PROFESSIONAL, message.seq, now, professional.professional_id
                )
            )
            await self._announce(uow, case, message)
            uow.outbox.add(
                NotificationRequested(
                    notification_id=uuid.uuid4(),
                    requested_by=REQUESTER,
                    requested_at=now,
                    resident_id=case.resident_id,
                    purpose="new_message",
                    channels=["email", "sms"],
                    link_target="case",
                    case_id=case_id,
                ),
                occurred_at=now,
            )
            await uow.commit()
        return message

    # ------------------------------------------------------------------ reading

    async def read_as_resident(
        self, resident: Resident, case_id: UUID, *, before: int | None, limit: int
    ) -> MessagePage:
        """One page of the case's messages for its resident, newest first."""
        async with self.uow() as uow:
            case = _residents_case(await uow.cases.get(case_id), resident)
            case.check_readable()
            return await _page(uow, case_id, Side.RESIDENT, before, limit)

    async def read_as_professional(
        self, professional: Professional, case_id: UUID, *, before: int | None, limit: int
    ) -> MessagePage:
        """One page of the case's messages for a professional of its organisation; the read
        is audited (purpose care) in the same transaction."""
        async with self.uow() as uow:
            now = self.clock()
            case = _organisations_case(await uow.cases.get(case_id), professional)
            case.check_readable()
            page = await _page(uow, case_id, Side.PROFESSIONAL, before, limit)
            await uow.audit.record([_audit(professional, case, "read_case_messages", now)])
            await uow.commit()
        return page

    async def mark_read_as_resident(self, resident: Resident, case_id: UUID) -> ReadState:
        """The resident has read every message of the case so far."""
        async with self.uow() as uow:
            case = _residents_case(await uow.cases.get(case_id), resident)
            case.check_readable()
            state = await self._mark_read(uow, case, Side.RESIDENT, str(resident.resident_id))
            await uow.commit()
        return state

    async def mark_read_as_professional(
        self, professional: Professional, case_id: UUID
    ) -> ReadState:
        """The professionals' side has read every message of the case so far: the queue
        item shows no unread resident message any more."""
        async with self.uow() as uow:
            case = _organisations_case(await uow.cases.get(case_id), professional)
            case.check_readable()
            state = await self._mark_read(
                uow, case, Side.PROFESSIONAL, professional.professional_id
            )
            await uow.audit.record(
                [_audit(professional, case, "mark_case_messages_read", self.clock())]
            )
            await uow.commit()
        return state

    async def query_audit(
        self,
        organisation_id: str,
        query: AuditQuery,
        *,
        resident_id: UUID | None = None,
        case_id: UUID | None = None,
        professional_id: str | None = None,
    ) -> AuditPage:
        """One page of the organisation's audit log for its admin or auditor. Not itself
        audited: records hold pseudonymous ids, never a name or a message."""
        async with self.uow() as uow:
            records = await uow.audit.page(
                organisation_id,
                query,
                resident_id=resident_id,
                case_id=case_id,
                professional_id=professional_id,
            )
        return page_of(records, query)

    # ------------------------------------------------------------------ shared steps

    async def _check_limit(self, uow: UnitOfWork, author_id: str, now: datetime) -> None:
        limit = self.send_limit
        recent = await uow.messages.sent_since(author_id, now - limit.window, limit=limit.messages)
        limit.check(recent, now)

    async def _announce(self, uow: UnitOfWork, case: CaseFacts, message: Message) -> None:
        # A professional who writes has read the case up to their message (their side's
        # mark is at it), so nothing is unread for professionals after it.
        unread = (
            0
            if message.author_side is Side.PROFESSIONAL
            else await uow.messages.unread(case.case_id, Side.PROFESSIONAL)
        )
        uow.outbox.add(
            MessageSent(
                case_id=case.case_id,
                resident_id=case.resident_id,
                organisation_id=case.organisation_id,
                unread_by_professionals=unread,
                message_id=message.id,
                author=message.author_side.value,
                sent_at=message.sent_at,
                objects_to_proposal_id=message.objects_to_proposal_id,
            ),
            occurred_at=message.sent_at,
        )

    async def _mark_read(
        self, uow: UnitOfWork, case: CaseFacts, side: Side, reader: str
    ) -> ReadState:
        now = self.clock()
        latest = await uow.messages.latest_seq(case.case_id)
        await uow.messages.mark_read(ReadState(case.case_id, side, latest, now, reader))
        uow.outbox.add(
            MessagesRead(
                case_id=case.case_id,
                resident_id=case.resident_id,
                organisation_id=case.organisation_id,
                unread_by_professionals=await uow.messages.unread(case.case_id, Side.PROFESSIONAL),
                side=side.value,
                read_at=now,
            ),
            occurred_at=now,
        )
        return await uow.messages.read_state(case.case_id, side)


async def _page(
    uow: UnitOfWork, case_id: UUID, side: Side, before: int | None, limit: int
) -> MessagePage:
    rows = await uow.messages.page(case_id, before_seq=before, limit=limit + 1)
    more = len(rows) > limit
    rows = rows[:limit]
    return MessagePage(
        messages=rows,
        next_before=rows[-1].seq if more and rows else None,
        unread=await uow.messages.unread(case_id, side),
        read=await uow.messages.read_state(case_id, side),
        other_side_read=await uow.messages.read_state(case_id, side.other),
    )


def _residents_case(case: CaseFacts | None, resident: Resident) -> CaseFacts:
    """The case if it is the resident's own or a child's they act for; otherwise, as for a
    case that does not exist (or a private record, which never leaves intake), not found."""
    if case is None or not (
        case.resident_id == resident.resident_id or case.resident_id in resident.children
    ):
        raise NotFound(_NOT_FOUND)
    return case


def _organisations_case(case: CaseFacts | None, professional: Professional) -> CaseFacts:
    """A professional sees only cases of their own organisation; another's is not found."""
    if case is None or case.organisation_id != professional.organisation_id:
        raise NotFound(_NOT_FOUND)
    return case


def _audit(professional: Professional, case: CaseFacts, action: str, at: datetime) -> AuditRecord:
    return AuditRecord(
        organisation_id=professional.organisation_id,
        professional_id=professional.professional_id,
        unit_id=professional.unit_id,
        resident_id=case.resident_id,
        case_id=case.case_id,
        action=action,
        at=at,
        purpose=Purpose.CARE,
    )
