"""Several due deliveries in one pass: claimed together, sent concurrently within the pacing,
each outcome committed as it comes, and one message's trouble (or a crash) stays its own."""

from __future__ import annotations

import asyncio
import contextlib
import copy
import dataclasses
import uuid

from careflow.notification.application.pacing import Pacer
from careflow.notification.application.send import DEFAULT_LEASE, send_due
from careflow.notification.domain.delivery import Delivery
from careflow.notification.domain.errors import TransientSendError

from .builders import NOW, contact
from .fakes import FakeTelemetry, FakeUnitOfWork, OneStepSender


class Store:
    def __init__(self, deliveries: list[Delivery], residents: list) -> None:  # type: ignore[type-arg]
        self.deliveries = {d.delivery_id: d for d in deliveries}
        self.residents = {r.resident_id: r for r in residents}
        self.commits = 0
        self.die_at_commit: int | None = None
        self.refused_commits: set[int] = set()


class ProcessDied(BaseException):
    """SIGKILL, as far as the code under test can tell: nothing after it runs."""


class Uow:
    def __init__(self, store: Store) -> None:
        self._store = store
        self.deliveries = self
        self.contacts = self
        self._working: list[Delivery] = []

    async def __aenter__(self) -> Uow:
        return self

    async def __aexit__(self, *exc: object) -> None:
        self._working = []

    async def claim_due(self, channel: str, now, limit: int) -> list[Delivery]:  # type: ignore[no-untyped-def]
        due = [
            d
            for d in self._store.deliveries.values()
            if d.is_open and d.channel == channel and d.next_attempt_at <= now
        ]
        self._working = [copy.deepcopy(d) for d in due[:limit]]
        for d in self._working:
            d.history = []
        return self._working

    async def get_many(self, resident_ids):  # type: ignore[no-untyped-def]
        return {r: self._store.residents[r] for r in resident_ids if r in self._store.residents}

    async def lease(self, claimed: list[Delivery], until) -> None:  # type: ignore[no-untyped-def]
        for delivery in claimed:
            delivery.next_attempt_at = until

    async def save_outcomes(self, sent: list[Delivery], now, **_: object) -> None:  # type: ignore[no-untyped-def]
        working = {d.delivery_id for d in self._working}
        self._working += [copy.deepcopy(d) for d in sent if d.delivery_id not in working]

    async def commit(self) -> None:
        self._store.commits += 1
        if self._store.die_at_commit == self._store.commits:
            raise ProcessDied
        if self._store.commits in self._store.refused_commits:
            raise ConnectionRefusedError  # PostgreSQL restarting
        for d in self._working:
            self._store.deliveries[d.delivery_id] = copy.deepcopy(d)  # not the one in flight


def queued(resident_id: uuid.UUID, channel: str = "sms") -> Delivery:
    return Delivery.queue(
        delivery_id=uuid.uuid4(),
        notification_id=uuid.uuid4(),
        resident_id=resident_id,
        channel=channel,
        created_at=NOW,
        body="CareFlow: ...",
    )


class SlowProvider(OneStepSender):
    """Takes a while per message; notes how many were in flight at once."""

    def __init__(self, broken: set[uuid.UUID] = frozenset()) -> None:  # type: ignore[assignment]
        self.in_flight = self.peak = 0
        self.sent: list[uuid.UUID] = []
        self._broken = broken

    async def send(self, message) -> str:  # type: ignore[no-untyped-def]
        self.in_flight += 1
        self.peak = max(self.peak, self.in_flight)
        await asyncio.sleep(0.02)
        self.in_flight -= 1
        if message.delivery_id in self._broken:
            raise RuntimeError("a bug in the adapter")
        self.sent.append(message.delivery_id)
        return "ref"


async def test_a_pass_sends_its_deliveries_concurrently_and_commits_each_outcome(notifier):
    residents = [contact() for _ in range(5)]
    store = Store([queued(r.resident_id) for r in residents], residents)
    provider = SlowProvider()
    pacer = Pacer(per_second=0, concurrency=3)
    statuses = await send_due("sms", lambda: Uow(store), provider, notifier, limit=5, pacer=pacer)
    assert statuses == ["sent"] * 5
    assert provider.peak == 3  # bounded by the pacing, not one at a time
    assert store.commits == 1 + 5  # the claim, then each outcome as the provider answered
    assert all(d.status == "sent" for d in store.deliveries.values())


async def test_a_pass_takes_no_more_than_its_batch(notifier):
    residents = [contact() for _ in range(5)]
    store = Store([queued(r.resident_id) for r in residents], residents)
    statuses = await send_due("sms", lambda: Uow(store), SlowProvider(), notifier, limit=2)
    assert len(statuses) == 2
    assert sum(d.status == "queued" for d in store.deliveries.values()) == 3


async def test_an_adapter_bug_retries_its_own_message_and_keeps_the_others_sent(notifier):
    residents = [contact() for _ in range(3)]
    deliveries = [queued(r.resident_id) for r in residents]
    store = Store(deliveries, residents)
    provider = SlowProvider(broken={deliveries[1].delivery_id})
    await send_due("sms", lambda: Uow(store), provider, notifier, limit=3)
    outcome = {d.delivery_id: (d.status, d.reason) for d in store.deliveries.values()}
    assert outcome[deliveries[0].delivery_id] == ("sent", None)
    assert outcome[deliveries[1].delivery_id] == ("retrying", "send_error:RuntimeError")
    assert outcome[deliveries[2].delivery_id] == ("sent", None)
    assert store.commits == 1 + 3  # the sent ones are recorded: they will not go out again


async def test_consents_are_checked_per_delivery_within_a_pass(notifier):
    allowed, opted_out = contact(), contact(sms_opt_in=False)
    residents = [allowed, opted_out]
    store = Store([queued(r.resident_id) for r in residents], residents)
    provider = SlowProvider()
    assert sorted(await send_due("sms", lambda: Uow(store), provider, notifier, limit=5)) == [
        "sent",
        "suppressed",
    ]
    assert len(provider.sent) == 1


async def test_each_attempt_is_timed_with_its_result_and_each_outcome_counted(notifier):
    telemetry = FakeTelemetry()
    observed = dataclasses.replace(notifier, telemetry=telemetry)
    uow = FakeUnitOfWork()
    resident = contact()
    uow.contacts.rows[resident.resident_id] = resident
    await uow.deliveries.add(queued(resident.resident_id))

    class Down(OneStepSender):
        async def send(self, message):  # type: ignore[no-untyped-def]
            raise TransientSendError("sms_503")

    assert await send_due("sms", lambda: uow, Down(), observed, limit=5) == ["retrying"]
    assert telemetry.attempts == [("sms", "transient_error", "sms_503")]
    assert telemetry.outcomes == [("sms", "retrying")]


async def test_a_crash_mid_batch_repeats_only_the_message_whose_outcome_was_being_recorded(
    notifier,
):
    residents = [contact() for _ in range(4)]
    deliveries = [queued(r.resident_id) for r in residents]
    store = Store(deliveries, residents)
    store.die_at_commit = 3  # claim, first outcome, then death recording the second
    provider = SlowProvider()
    one_at_a_time = Pacer(per_second=0, concurrency=1)
    with contextlib.suppress(BaseExceptionGroup):
        await send_due("sms", lambda: Uow(store), provider, notifier, limit=4, pacer=one_at_a_time)
    assert provider.sent == [d.delivery_id for d in deliveries[:2]]
    store.die_at_commit = None
    # Leased while the dead pass held them; due again when the lease ends.
    assert await send_due("sms", lambda: Uow(store), provider, notifier, limit=4) == []
    later = dataclasses.replace(notifier, clock=lambda: NOW + DEFAULT_LEASE)
    assert await send_due("sms", lambda: Uow(store), provider, later, limit=4) == ["sent"] * 3
    ids = [d.delivery_id for d in deliveries]
    # Once each, but the one whose outcome the crash interrupted: the window is one message.
    assert sorted(provider.sent) == sorted([*ids, ids[1]])
    assert all(d.status == "sent" for d in store.deliveries.values())


class SmtpLikeProvider(SlowProvider):
    drops_repeats = False  # no idempotency key: the server keeps every copy


async def test_without_idempotency_a_crash_repeats_only_the_one_message_handed_over(notifier):
    """Concurrent sends, yet at any moment one message at most is delivered and not
    yet recorded: the next handover waits for the outcome of the one before."""
    residents = [contact() for _ in range(6)]
    deliveries = [queued(r.resident_id, channel="email") for r in residents]
    store = Store(deliveries, residents)
    store.die_at_commit = 3  # claim, first outcome, then death recording the second
    provider = SmtpLikeProvider()
    pacer = Pacer(per_second=0, concurrency=6)
    with contextlib.suppress(BaseExceptionGroup):
        await send_due("email", lambda: Uow(store), provider, notifier, limit=6, pacer=pacer)
    recorded = {d.delivery_id for d in store.deliveries.values() if d.status == "sent"}
    in_doubt = set(provider.sent) - recorded
    assert len(recorded) == 1
    assert len(in_doubt) == 1  # with the SMS provider's side-by-side handovers: 5
    assert provider.peak == 1


class Gathering(SlowProvider):
    """Answers only once `expected` messages are in flight at once (or after a second, so a
    gate that lets fewer through fails the test instead of hanging it); notes each message
    as it arrives, the moment a provider has it."""

    def __init__(self, expected: int) -> None:
        super().__init__()
        self.received: list[uuid.UUID] = []
        self._expected = expected
        self._all_in = asyncio.Event()

    async def send(self, message) -> str:  # type: ignore[no-untyped-def]
        self.received.append(message.delivery_id)
        self.in_flight += 1
        self.peak = max(self.peak, self.in_flight)
        if self.in_flight == self._expected:
            self._all_in.set()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._all_in.wait(), timeout=1.0)
        self.in_flight -= 1
        self.sent.append(message.delivery_id)
        return "ref"


async def test_with_idempotency_handovers_run_side_by_side(notifier):
    residents = [contact() for _ in range(6)]
    store = Store([queued(r.resident_id) for r in residents], residents)
    provider = Gathering(6)  # drops repeats, as the SMS provider by its Idempotency-Key
    pacer = Pacer(per_second=0, concurrency=6)
    statuses = await send_due("sms", lambda: Uow(store), provider, notifier, limit=6, pacer=pacer)
    # All six were with the provider at once, before any outcome was committed: a crash
    # there leaves six in doubt, which the provider drops when they come again.
    assert provider.peak == 6
    assert statuses == ["sent"] * 6
    assert store.commits == 1 + 6


async def test_an_outcome_the_database_refuses_is_retried_and_holds_back_the_next_email(notifier):
    """A PostgreSQL restart: the outcome of the email handed over is retried until it
    commits, and no other email goes out meanwhile (each would be one more in doubt)."""
    residents = [contact() for _ in range(3)]
    store = Store([queued(r.resident_id, channel="email") for r in residents], residents)
    store.refused_commits = {2, 3, 4, 5}  # after the claim: four refusals, then back
    committed_at_each_send: list[int] = []

    class Recording(SmtpLikeProvider):
        async def send(self, message):  # type: ignore[no-untyped-def]
            committed_at_each_send.append(store.commits)
            return await super().send(message)

    pacer = Pacer(per_second=0, concurrency=3)
    provider = Recording()
    statuses = await send_due("email", lambda: Uow(store), provider, notifier, limit=3, pacer=pacer)
    assert statuses == ["sent"] * 3
    assert all(d.status == "sent" for d in store.deliveries.values())
    assert len(provider.sent) == 3  # each once
    # The second email waited for the first's outcome through all four refusals.
    assert committed_at_each_send == [1, 6, 7]


async def test_without_a_pacer_the_sends_of_a_pass_share_one_handover_gate(notifier):
    residents = [contact() for _ in range(3)]
    store = Store([queued(r.resident_id, channel="email") for r in residents], residents)
    provider = SmtpLikeProvider()
    statuses = await send_due("email", lambda: Uow(store), provider, notifier, limit=3)
    assert statuses == ["sent"] * 3
    assert provider.peak == 1
