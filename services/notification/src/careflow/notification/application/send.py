"""Send the next due delivery of one channel: one transaction per message.

The row stays locked (FOR UPDATE SKIP LOCKED) while the message goes out, and
the outcome commits with it. A crash between the send and the commit leaves
the row due again, so the message is sent again: the SMS provider drops the
repeat by its Idempotency-Key (the delivery id); SMTP has no such key — the
Message-ID header is the same, which many mail clients collapse, but a second
email is possible (README, "Delivery guarantees").
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from careflow.notification.adapters.unit_of_work import NotificationUnitOfWork
from careflow.notification.application.context import Notifier
from careflow.notification.application.ports import ChannelSender, OutgoingMessage
from careflow.notification.domain.consent import address_of, suppression_reason
from careflow.notification.domain.delivery import DETAILS_PENDING, Delivery
from careflow.notification.domain.errors import PermanentSendError, TransientSendError

log = logging.getLogger(__name__)


async def send_next(
    channel: str,
    uow_factory: Callable[[], NotificationUnitOfWork],
    sender: ChannelSender,
    notifier: Notifier,
) -> str | None:
    """Sends one due delivery; returns its new status, or None when none was due."""
    async with uow_factory() as uow:
        now = notifier.clock()
        delivery = await uow.deliveries.claim_due(channel, now)
        if delivery is None:
            return None
        to = await _recipient(delivery, uow, notifier)
        if to is not None:
            await _send(delivery, to, sender, notifier)
        await uow.deliveries.save(delivery, notifier.clock())
        await uow.commit()
    # Ids and codes only: never an address or a text.
    log.info(
        "delivery %s on %s: %s (%s)",
        delivery.delivery_id,
        channel,
        delivery.status,
        delivery.reason,
    )
    return delivery.status


async def _recipient(
    delivery: Delivery, uow: NotificationUnitOfWork, notifier: Notifier
) -> str | None:
    """The address now; consents are checked again, as they may have changed since queueing."""
    if delivery.resident_id is None:
        return delivery.recipient
    now = notifier.clock()
    contact = await uow.contacts.get(delivery.resident_id)
    reason = suppression_reason(contact, delivery.channel)
    if reason is not None or contact is None:
        delivery.suppress(reason or "unknown_resident", now)
        return None
    address = address_of(contact, delivery.channel)
    if address is None:
        # Intake says an address exists but its value has not reached us yet.
        delivery.retry_later(DETAILS_PENDING, now, notifier.retry)
    return address


async def _send(delivery: Delivery, to: str, sender: ChannelSender, notifier: Notifier) -> None:
    message = OutgoingMessage(delivery.delivery_id, to, delivery.subject, delivery.body)
    try:
        reference = await sender.send(message)
    except TransientSendError as exc:
        delivery.retry_later(exc.code, notifier.clock(), notifier.retry)
    except PermanentSendError as exc:
        delivery.fail(exc.code, notifier.clock())
    else:
        delivery.mark_sent(notifier.clock(), reference)
