"""Reactions that notify: decide channel by channel now, or park until the resident is known."""

from __future__ import annotations

from datetime import timedelta
from uuid import UUID

from careflow.contracts.base import ContractEvent
from careflow.contracts.notifications import (
    NotificationRequested,
    ProfessionalChatNotificationRequested,
)
from careflow.contracts.reminders import NotificationWithdrawn
from careflow.notification.application.context import Notifier
from careflow.notification.application.planning import delivery_id, plan
from careflow.notification.application.ports import UnitOfWork
from careflow.notification.application.triggers import request_for
from careflow.notification.domain.addressing import addressed, suppressed_at_once
from careflow.notification.domain.consent import ANONYMOUS, EMAIL
from careflow.notification.domain.contacts import ResidentContact
from careflow.notification.domain.delivery import Delivery
from careflow.notification.domain.notification import (
    DECIDED,
    PARKED,
    PROFESSIONAL_NEW_CHAT,
    NotificationRequest,
)


async def on_notifying_event(event: ContractEvent, uow: UnitOfWork, notifier: Notifier) -> None:
    """A case, queue or request event: record its notification once and plan its deliveries."""
    request = request_for(event, notifier)
    if request is None:
        return
    case = None if request.case_id is None else await uow.cases.address(request.case_id)
    request = addressed(request, case)
    # Locking the resident's row orders this against a concurrent contact update
    # (FOR UPDATE): either that update sees this parked request, or this sees the
    # update. FOR SHARE, as this only reads: notifying events of one resident in
    # concurrent batches (other partitions, other topics) never deadlock each other.
    assert request.resident_id is not None
    contact = await uow.contacts.lock_new(request.resident_id, share=True)
    if case is None and request.case_id is not None and not contact.consents_known:
        # Looked up again under the lock: an anonymous case's opening, committed
        # meanwhile, is seen here or sees this request parked (it locks the row too).
        # Only for a resident without contact data, as every anonymous one is.
        case = await uow.cases.address(request.case_id)
    if suppressed_at_once(case):
        if await uow.notifications.add(request, DECIDED):
            await _plan_and_store(request, None, uow, notifier, reason=ANONYMOUS)
        return
    known = contact.consents_known
    if not await uow.notifications.add(request, DECIDED if known else PARKED):
        return  # the same notification, republished under another event id
    if known:
        await _plan_and_store(request, contact, uow, notifier)


async def release_parked(contact: ResidentContact, uow: UnitOfWork, notifier: Notifier) -> None:
    """Contact data arrived: the resident's parked notifications are decided now."""
    if not contact.consents_known:
        return
    for request in await uow.notifications.parked(contact.resident_id):
        await _plan_and_store(request, contact, uow, notifier)
        await uow.notifications.mark_decided(request.notification_id)


async def suppress_parked_of_anonymous_case(
    resident_id: UUID, case_id: UUID, uow: UnitOfWork, notifier: Notifier
) -> None:
    """An anonymous case's notifications that arrived before its opening: suppressed now."""
    await uow.contacts.lock_new(resident_id)  # see on_notifying_event
    for request in await uow.notifications.parked(resident_id):
        if request.case_id == case_id:
            await _plan_and_store(request, None, uow, notifier, reason=ANONYMOUS)
            await uow.notifications.mark_decided(request.notification_id)


async def _plan_and_store(
    request: NotificationRequest,
    contact: ResidentContact | None,
    uow: UnitOfWork,
    notifier: Notifier,
    reason: str | None = None,
) -> None:
    if (
        reason is None
        and request.source == NotificationRequested.event_type
        and await uow.withdrawals.withdrawn(request.notification_id)
    ):
        # Withdrawn before it arrived (another topic) or while it was parked.
        reason = WITHDRAWN
    deliveries = plan(
        request,
        contact,
        notifier.renderer,
        now=notifier.clock(),
        default_time_zone=notifier.default_time_zone,
        reason_override=reason,
    )
    await uow.deliveries.add_all(deliveries)
    for delivery in deliveries:
        # Counted before the consumer commits: a batch rolled back and applied again
        # one by one counts its decisions twice (rare; the database is the record).
        notifier.telemetry.count(delivery.channel, delivery.status)


#: The reason shown on a delivery whose request was withdrawn before it was sent.
WITHDRAWN = "withdrawn"


async def on_notification_withdrawn(
    event: NotificationWithdrawn, uow: UnitOfWork, notifier: Notifier
) -> None:
    """The requester withdrew a request: what is not sent yet never will be.

    The withdrawal row is what the sender's claim checks, in the same statement as
    the claim; deliveries not sent yet are marked suppressed for the history. A
    request arriving later (it travels on another topic) is suppressed at once.
    A replacement is a request of its own and goes out as any other.
    """
    now = notifier.clock()
    await uow.withdrawals.add(event.notification_id, event.reason, event.replaced_by, now)
    await uow.withdrawals.suppress_open(event.notification_id, WITHDRAWN, now)


async def on_professional_chat(
    event: ProfessionalChatNotificationRequested, uow: UnitOfWork, notifier: Notifier
) -> None:
    """Email a professional of a new chat (they chose it in the channel's settings)."""
    now = notifier.clock()
    link = notifier.links.for_chat(event.chat_id)
    request = NotificationRequest(
        notification_id=event.notification_id,
        resident_id=None,
        purpose=PROFESSIONAL_NEW_CHAT,
        channels=(EMAIL,),
        link=link,
        received_at=now,
        source=event.event_type,
    )
    if not await uow.notifications.add(request, DECIDED):
        return
    text = notifier.renderer.render(PROFESSIONAL_NEW_CHAT, event.language, EMAIL, link=link)
    await uow.deliveries.add(
        Delivery.queue(
            delivery_id=delivery_id(event.notification_id, EMAIL),
            notification_id=event.notification_id,
            channel=EMAIL,
            created_at=now,
            recipient=event.email,
            subject=text.subject,
            body=text.body,
        )
    )
    notifier.telemetry.count(EMAIL, "queued")


async def expire_parked(uow: UnitOfWork, notifier: Notifier, limit: int = 100) -> int:
    """Requests parked too long for an unknown resident: suppressed with the reason. One tx."""
    now = notifier.clock()
    cutoff = now - timedelta(seconds=notifier.park_timeout_seconds)
    async with uow:
        expired = await uow.notifications.parked_before(cutoff, limit)
        for request in expired:
            contact = None
            if request.resident_id is not None:
                contact = await uow.contacts.get(request.resident_id)
            await _plan_and_store(request, contact, uow, notifier, reason="unknown_resident")
            await uow.notifications.mark_decided(request.notification_id)
        await uow.commit()
    return len(expired)
