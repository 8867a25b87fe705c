"""Send the due deliveries of one channel: a few at a time, one transaction for them.

The claimed rows stay locked (FOR UPDATE SKIP LOCKED) while their messages go
out, concurrently within the channel's pacing, and their outcomes commit
together. A crash between the sends and the commit leaves the rows due again,
so those messages are sent again: the SMS provider drops the repeat by its
Idempotency-Key (the delivery id); SMTP has no such key — the Message-ID header
is the same, which many mail clients collapse, but a second email is possible
(README, "Delivery guarantees"). At most `limit` messages are in that window.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable

from careflow.notification.application.context import Notifier
from careflow.notification.application.pacing import Pacer
from careflow.notification.application.ports import ChannelSender, OutgoingMessage, UnitOfWork
from careflow.notification.domain.consent import address_of, suppression_reason
from careflow.notification.domain.contacts import ResidentContact
from careflow.notification.domain.delivery import DETAILS_PENDING, Delivery
from careflow.notification.domain.errors import PermanentSendError, TransientSendError

log = logging.getLogger(__name__)


async def send_due(
    channel: str,
    uow_factory: Callable[[], UnitOfWork],
    sender: ChannelSender,
    notifier: Notifier,
    *,
    limit: int = 1,
    pacer: Pacer | None = None,
) -> list[str]:
    """Sends up to `limit` due deliveries; returns their new statuses ([] when none was due)."""
    async with uow_factory() as uow:
        claimed = await uow.deliveries.claim_due(channel, notifier.clock(), limit)
        if not claimed:
            return []
        residents = {d.resident_id for d in claimed if d.resident_id is not None}
        contacts = await uow.contacts.get_many(residents)
        async with asyncio.TaskGroup() as sends:
            for delivery in claimed:
                to = _recipient(delivery, contacts, notifier)
                if to is not None:
                    sends.create_task(_send(delivery, to, sender, notifier, pacer))
        await uow.deliveries.save_outcomes(claimed, notifier.clock())
        await uow.commit()
    for delivery in claimed:
        notifier.telemetry.count(channel, delivery.status)
        # Ids and codes only: never an address or a text. "sent" is the usual outcome
        # (counted, and on the history): a line each only when debugging.
        log.log(
            logging.DEBUG if delivery.status == "sent" else logging.INFO,
            "delivery %s on %s: %s (%s)",
            delivery.delivery_id,
            channel,
            delivery.status,
            delivery.reason,
        )
    return [d.status for d in claimed]


async def send_next(
    channel: str,
    uow_factory: Callable[[], UnitOfWork],
    sender: ChannelSender,
    notifier: Notifier,
) -> str | None:
    """Sends one due delivery; returns its new status, or None when none was due."""
    statuses = await send_due(channel, uow_factory, sender, notifier, limit=1)
    return statuses[0] if statuses else None


def _recipient(
    delivery: Delivery, contacts: dict[object, ResidentContact], notifier: Notifier
) -> str | None:
    """The address now; consents are checked again, as they may have changed since queueing."""
    if delivery.resident_id is None:
        return delivery.recipient
    now = notifier.clock()
    contact = contacts.get(delivery.resident_id)
    reason = suppression_reason(contact, delivery.channel)
    if reason is not None or contact is None:
        delivery.suppress(reason or "unknown_resident", now)
        return None
    address = address_of(contact, delivery.channel)
    if address is None:
        # Intake says an address exists but its value has not reached us yet.
        delivery.retry_later(DETAILS_PENDING, now, notifier.retry)
    return address


async def _send(
    delivery: Delivery, to: str, sender: ChannelSender, notifier: Notifier, pacer: Pacer | None
) -> None:
    """One attempt, in a span of its own; the outcome is recorded on the delivery."""
    message = OutgoingMessage(delivery.delivery_id, to, delivery.subject, delivery.body)
    channel = delivery.channel
    async with pacer.slot() if pacer is not None else contextlib.nullcontext():
        with notifier.telemetry.attempt(delivery) as attempt:
            result, code = "sent", None
            try:
                reference = await sender.send(message)
            except TransientSendError as exc:
                result, code = "transient_error", exc.code
                delivery.retry_later(exc.code, notifier.clock(), notifier.retry)
            except PermanentSendError as exc:
                result, code = "permanent_error", exc.code
                delivery.fail(exc.code, notifier.clock())
            except Exception as exc:
                # A bug in a channel adapter: this message only, retried like an outage;
                # the messages sent alongside it keep their outcomes.
                result, code = "transient_error", f"send_error:{type(exc).__name__}"
                log.error("%s send of delivery %s failed: %s", channel, delivery.delivery_id, code)
                delivery.retry_later(code, notifier.clock(), notifier.retry)
            else:
                delivery.mark_sent(notifier.clock(), reference)
            attempt.finish(result, delivery.status, code)
