"""Sending one due delivery: the crash window, consents re-checked, addresses not yet known."""

from __future__ import annotations

import contextlib
import copy
import dataclasses
import uuid
from datetime import timedelta

from careflow.notification.application.send import DEFAULT_LEASE, send_next
from careflow.notification.domain.delivery import Delivery
from careflow.notification.domain.errors import TransientSendError

from .builders import NOW, contact
from .fakes import OneStepSender


class FakeStore:
    """Committed state: what a crash cannot take back."""

    def __init__(self, delivery: Delivery, resident) -> None:  # type: ignore[no-untyped-def]
        self.delivery = delivery
        self.resident = resident
        self.die_at_commit: int | None = None  # the process dies at this commit (1 = first)
        self.commits = 0


class ProcessDied(BaseException):
    """SIGKILL, as far as the code under test can tell: nothing after it runs."""


class FakeUow:
    def __init__(self, store: FakeStore) -> None:
        self._store = store
        self.deliveries = self
        self.contacts = self
        self._working: Delivery | None = None

    async def __aenter__(self) -> FakeUow:
        return self

    async def __aexit__(self, *exc: object) -> None:
        self._working = None  # uncommitted work is lost

    async def claim_due(self, channel: str, now, limit: int):  # type: ignore[no-untyped-def]
        d = self._store.delivery
        if not d.is_open or d.next_attempt_at > now:
            return []
        self._working = copy.deepcopy(d)
        self._working.history = []
        return [self._working]

    async def get_many(self, resident_ids):  # type: ignore[no-untyped-def]
        resident = self._store.resident
        return {resident.resident_id: resident} if resident.resident_id in resident_ids else {}

    async def lease(self, claimed: list[Delivery], until) -> None:  # type: ignore[no-untyped-def]
        for delivery in claimed:
            delivery.next_attempt_at = until

    async def save_outcomes(self, sent: list[Delivery], now, **_: object) -> None:  # type: ignore[no-untyped-def]
        if sent:
            self._working = copy.deepcopy(sent[0])

    async def commit(self) -> None:
        self._store.commits += 1
        if self._store.die_at_commit == self._store.commits:
            raise ProcessDied
        assert self._working is not None
        self._store.delivery = copy.deepcopy(self._working)  # not the object still in flight


class Provider(OneStepSender):
    def __init__(self, *failures: Exception) -> None:
        self.keys: list[uuid.UUID] = []
        self._failures = list(failures)

    async def send(self, message) -> str:  # type: ignore[no-untyped-def]
        self.keys.append(message.delivery_id)
        if self._failures:
            raise self._failures.pop(0)
        return "ref"


def sms_delivery(resident_id: uuid.UUID) -> Delivery:
    return Delivery.queue(
        delivery_id=uuid.uuid4(),
        notification_id=uuid.uuid4(),
        resident_id=resident_id,
        channel="sms",
        created_at=NOW,
        body="CareFlow: ...",
    )


async def test_a_crash_after_sending_sends_again_under_the_same_idempotency_key(notifier):
    resident = contact()
    store = FakeStore(sms_delivery(resident.resident_id), resident)
    store.die_at_commit = 2  # the claim commits; the process dies recording the outcome
    provider = Provider()
    with contextlib.suppress(BaseExceptionGroup):
        await send_next("sms", lambda: FakeUow(store), provider, notifier)
    assert store.delivery.status == "queued"  # the outcome was never committed
    # Leased: no other pass takes it while the lease runs ...
    assert await send_next("sms", lambda: FakeUow(store), provider, notifier) is None
    # ... and when it runs out, the delivery is due again.
    later = dataclasses.replace(notifier, clock=lambda: NOW + DEFAULT_LEASE)
    assert await send_next("sms", lambda: FakeUow(store), provider, later) == "sent"
    # Sent twice, under one key: a provider honouring Idempotency-Key delivers once.
    assert provider.keys == [store.delivery.delivery_id] * 2


async def test_an_opt_out_after_queueing_suppresses_the_message(notifier):
    resident = contact(sms_opt_in=False)
    store = FakeStore(sms_delivery(resident.resident_id), resident)
    provider = Provider()
    assert await send_next("sms", lambda: FakeUow(store), provider, notifier) == "suppressed"
    assert store.delivery.reason == "sms_notifications_off"
    assert provider.keys == []


async def test_a_number_not_yet_received_is_waited_for(notifier):
    resident = contact(phone=None)  # intake says there is one; its value has not arrived
    store = FakeStore(sms_delivery(resident.resident_id), resident)
    assert await send_next("sms", lambda: FakeUow(store), Provider(), notifier) == "retrying"
    assert store.delivery.reason == "contact_details_pending"
    assert store.delivery.attempts == 0


async def test_an_outage_is_retried_after_the_backoff(notifier):
    resident = contact()
    store = FakeStore(sms_delivery(resident.resident_id), resident)
    provider = Provider(TransientSendError("sms_500"))
    assert await send_next("sms", lambda: FakeUow(store), provider, notifier) == "retrying"
    assert store.delivery.next_attempt_at == NOW + timedelta(seconds=5)
    assert await send_next("sms", lambda: FakeUow(store), provider, notifier) is None  # not due
