"""Send the due deliveries of one channel: claimed a few at a time, each outcome recorded alone.

A pass claims up to `limit` due rows (FOR UPDATE SKIP LOCKED) and leases them in
one short transaction: their next attempt moves `lease` ahead, so no other pass
or replica takes them while their messages go out. Messages not yet sent are not
lost by a crash: their lease runs out and they fall due again.

A send has two steps (the ChannelSender port): `prepare` (connection, envelope),
run for several messages at once, and `complete`, after which the provider may
hold the message. Each outcome commits in a transaction of its own. The SMS
provider drops a repeat by its Idempotency-Key (the delivery id), so its
handovers run side by side. SMTP has no such key, only the same Message-ID
(README, "Delivery guarantees"): there the handover and the commit of its outcome
run one at a time per process, so a crash repeats at most the one message
between its handover and its commit. The batch commit once repeated the whole
batch (six emails per crash), per-message commits the sends in flight (nine in
one crash); the cost is one handover plus one commit per email at a time.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from tenacity import AsyncRetrying, retry_if_exception_type, stop_after_delay, wait_exponential

from careflow.notification.application.context import Notifier
from careflow.notification.application.handover_line import HandoverLine
from careflow.notification.application.pacing import Pacer
from careflow.notification.application.ports import (
    ChannelSender,
    Handover,
    OutcomeLog,
    OutgoingMessage,
    UnitOfWork,
)
from careflow.notification.domain.consent import address_of, suppression_reason
from careflow.notification.domain.contacts import ResidentContact
from careflow.notification.domain.delivery import DETAILS_PENDING, Delivery
from careflow.notification.domain.errors import PermanentSendError, TransientSendError

log = logging.getLogger(__name__)

#: Longer than any send may take (the SMTP and SMS timeouts are 15 s and 10 s), so a
#: lease runs out only when its pass died.
DEFAULT_LEASE = timedelta(seconds=60)
#: How long before its lease ends an outcome stops being retried: another pass may
#: take the delivery from then on.
LEASE_MARGIN = timedelta(seconds=1)


async def send_due(
    channel: str,
    uow_factory: Callable[[], UnitOfWork],
    sender: ChannelSender,
    notifier: Notifier,
    *,
    limit: int = 1,
    pacer: Pacer | None = None,
    lease: timedelta = DEFAULT_LEASE,
    outcomes: OutcomeLog | None = None,
) -> list[str]:
    """Sends up to `limit` due deliveries; returns their new statuses ([] when none was due).
    `outcomes`: where each outcome is recorded (else through a unit of work each)."""
    async with uow_factory() as uow:
        now = notifier.clock()
        claimed = await uow.deliveries.claim_due(channel, now, limit)
        if not claimed:
            return []
        residents = {d.resident_id for d in claimed if d.resident_id is not None}
        contacts = await uow.contacts.get_many(residents)
        outgoing: list[tuple[Delivery, str]] = []
        settled: list[Delivery] = []
        for delivery in claimed:
            to = _recipient(delivery, contacts, notifier)
            if to is None:
                settled.append(delivery)
            else:
                outgoing.append((delivery, to))
        await uow.deliveries.save_outcomes(settled, now)
        await uow.deliveries.lease([d for d, _ in outgoing], now + lease)
        await uow.commit()
    line = _handover_line(sender, pacer)  # one per pass at least: shared by its sends
    shared = _Pass(sender, notifier, pacer, line, uow_factory, now + lease, outcomes)
    async with asyncio.TaskGroup() as sends:
        for delivery, to in outgoing:
            sends.create_task(_send_and_record(delivery, to, shared))
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


@dataclass(frozen=True)
class _Pass:
    """What the sends of one pass share."""

    sender: ChannelSender
    notifier: Notifier
    pacer: Pacer | None
    #: Where handovers wait for each other's outcomes (None: they run side by side).
    line: HandoverLine | None
    uow_factory: Callable[[], UnitOfWork]
    lease_ends: datetime
    #: Outcomes go here when given, else through a unit of work each.
    outcomes: OutcomeLog | None


async def _send_and_record(delivery: Delivery, to: str, p: _Pass) -> None:
    message = OutgoingMessage(delivery.delivery_id, to, delivery.subject, delivery.body)
    async with p.pacer.slot() if p.pacer is not None else contextlib.nullcontext():
        with p.notifier.telemetry.attempt(delivery) as attempt:
            result, code = await _attempt(delivery, message, p)
            attempt.finish(result, delivery.status, code)
    if result != "sent":  # a failed attempt: nothing reached the provider to repeat
        await _record(delivery, p)


def _handover_line(sender: ChannelSender, pacer: Pacer | None) -> HandoverLine | None:
    """Where the provider keeps a repeat out (SMS), handovers run side by side (None).
    Where it does not (SMTP), one message at a time may be handed over and not yet
    recorded: a crash then repeats at most that one, where concurrent sends finishing
    together before a SIGKILL were all sent again (chaos: 9 emails doubled by one crash)."""
    if sender.drops_repeats:
        return None
    return pacer.handovers if pacer is not None else HandoverLine()


async def _attempt(
    delivery: Delivery, message: OutgoingMessage, p: _Pass
) -> tuple[str, str | None]:
    """One attempt; on a line, a delivered message's outcome is recorded before the next
    handover starts."""
    try:
        handover = await p.sender.prepare(message)
        step = functools.partial(_hand_over, handover, delivery, p)
        if p.line is None:
            await step()
        else:
            await p.line.run(step, on_skip=handover.abandon)
    except TransientSendError as exc:
        delivery.retry_later(exc.code, p.notifier.clock(), p.notifier.retry)
        return "transient_error", exc.code
    except PermanentSendError as exc:
        delivery.fail(exc.code, p.notifier.clock())
        return "permanent_error", exc.code
    except Exception as exc:
        # A bug in a channel adapter: this message only, retried like an outage;
        # the messages sent alongside it keep their outcomes.
        code = f"send_error:{type(exc).__name__}"
        log.error("%s send of delivery %s failed: %s", delivery.channel, delivery.delivery_id, code)
        delivery.retry_later(code, p.notifier.clock(), p.notifier.retry)
        return "transient_error", code
    return "sent", None


async def _hand_over(handover: Handover, delivery: Delivery, p: _Pass) -> None:
    """The step after which the provider may hold the message, then its outcome."""
    completed = False
    try:
        reference = await handover.complete()
        completed = True
    finally:
        if not completed:
            handover.abandon()
    delivery.mark_sent(p.notifier.clock(), reference)
    await _record(delivery, p)


async def _record(delivery: Delivery, p: _Pass) -> None:
    """Commits one outcome, trying again until shortly before the lease ends (a
    PostgreSQL restart takes seconds; giving up after a few quick tries sent every email
    handed over meanwhile twice). On the handover line, so no other email goes
    out while the database is away. Beyond the lease it is left to the lease (the
    message is then sent again). Never raises but for cancellation.

    One statement, one round trip, and its commit does not wait for the disk: it is what
    email handovers wait on, one at a time. A crash of this process loses nothing
    PostgreSQL has acknowledged; a crash of PostgreSQL may lose the last fraction of a
    second of outcomes, whose messages are then sent again when their lease ends, never
    lost (the claim's lease commits durably)."""
    notifier, outcomes = p.notifier, p.outcomes
    budget = (p.lease_ends - notifier.clock()).total_seconds() - LEASE_MARGIN.total_seconds()
    try:
        async for attempt in AsyncRetrying(
            retry=retry_if_exception_type(Exception),
            stop=stop_after_delay(max(budget, 0.0)),
            wait=wait_exponential(multiplier=0.05, max=1.0),
            reraise=True,
        ):
            with attempt:
                if outcomes is not None:
                    await outcomes.record(delivery, notifier.clock())
                else:
                    async with p.uow_factory() as uow:
                        await uow.deliveries.save_outcomes([delivery], notifier.clock(), alone=True)
                        await uow.commit()
    except Exception as exc:
        log.error(
            "outcome of delivery %s not recorded (%s); it is sent again when its lease ends",
            delivery.delivery_id,
            type(exc).__name__,
        )
