"""Reminders and notification together over the real broker, PostgreSQL and an SMTP sink, with
reminders' clock moved ahead (accelerated): an appointment reminder arrives at its time, once,
and never for a moved or cancelled time."""

from __future__ import annotations

import asyncio
import email
import email.policy
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.message import Message
from pathlib import Path
from typing import Any

import httpx
import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from careflow.contracts.base import ContractEvent
from careflow.contracts.bookings import BookingCancelled, BookingConfirmed
from careflow.contracts.cases import CaseSubmitted
from careflow.contracts.clinical import ServicePerformed
from careflow.contracts.envelope import Envelope
from careflow.contracts.registry import TOPICS
from careflow.contracts.residents import ResidentContactDetailsChanged, ResidentContactUpdated
from careflow.local.ports import free_port
from careflow.notification.entrypoints.api.app import create_app as create_notification
from careflow.notification.settings import SenderSettings, SmsSettings, SmtpSettings
from careflow.notification.settings import Settings as NotificationSettings
from careflow.reminders.entrypoints.api.app import create_app as create_reminders
from careflow.reminders.settings import SchedulerSettings
from careflow.reminders.settings import Settings as RemindersSettings
from careflow.shared.auth.claims import ProfessionalPrincipal
from careflow.shared.auth.signing import generate_keypair, load_signing_key, mint_token
from careflow.shared.settings import AuthSettings, BrokerSettings, DatabaseSettings, RelaySettings
from careflow.testing.probe_service import publish_raw
from careflow.testing.settings import quick_consumer

from .test_case_flow import eventually

LEAD = timedelta(hours=24)  # the default appointment lead time


class Sink:
    """An SMTP server collecting messages (aiosmtpd), as `make run`'s sink."""

    def __init__(self) -> None:
        self.port = free_port()
        self.messages: list[Message] = []
        self.controller = Controller(self, hostname="127.0.0.1", port=self.port)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        message = email.message_from_bytes(envelope.original_content, policy=email.policy.default)
        message["X-Rcpt-To"] = ", ".join(envelope.rcpt_tos)
        self.messages.append(message)
        return "250 OK"

    def to(self, address: str) -> list[Message]:
        return [m for m in self.messages if m["X-Rcpt-To"] == address]


@dataclass
class Clock:
    offset: timedelta = timedelta(0)

    def __call__(self) -> datetime:
        return datetime.now(UTC) + self.offset

    def jump_to(self, moment: datetime) -> None:
        self.offset = moment - datetime.now(UTC)


@dataclass
class Suite:
    bootstrap: str
    databases: dict[str, str]
    sink: Sink
    clock: Clock
    reminders: httpx.AsyncClient
    notification: httpx.AsyncClient
    sign: Any
    reminders_settings: RemindersSettings
    org: str = field(default_factory=lambda: f"org-{uuid.uuid4().hex[:8]}")

    def admin(self) -> dict[str, str]:
        principal = ProfessionalPrincipal(
            subject="admin-1", organisation=self.org, unit="u", roles=["admin"]
        )
        return {"Authorization": f"Bearer {self.sign(principal)}"}

    async def publish(self, *events: ContractEvent) -> None:
        for event in events:
            headers = Envelope(
                id=str(uuid.uuid4()), type=event.event_type, source="/e2e", subject=event.key()
            ).to_headers()
            await publish_raw(
                self.bootstrap,
                TOPICS.for_event(event).name,
                [(event.key().encode(), event.model_dump_json().encode(), headers)],
            )

    async def rows(self, service: str, sql: str, **params: Any) -> list[Any]:
        engine = create_async_engine(self.databases[service])
        try:
            async with engine.connect() as conn:
                return list(await conn.execute(text(sql), params))
        finally:
            await engine.dispose()

    async def resident(self) -> tuple[uuid.UUID, uuid.UUID, str]:
        """A resident opted in to email, with a case; both services know them."""
        resident_id, case_id = uuid.uuid4(), uuid.uuid4()
        address = f"r-{uuid.uuid4().hex[:10]}@example.org"
        now = datetime.now(UTC)
        await self.publish(
            ResidentContactUpdated(
                resident_id=resident_id,
                anonymous=False,
                email_notifications=True,
                sms_notifications=False,
                phone_contact_allowed=False,
                communication_language="en",
                has_email=True,
                has_phone=False,
                updated_at=now,
            ),
            ResidentContactDetailsChanged(
                resident_id=resident_id, email=address, communication_language="en", changed_at=now
            ),
            CaseSubmitted(
                case_id=case_id,
                resident_id=resident_id,
                organisation_id=self.org,
                group_id="nurses",
                form_kind="symptom_assessment",
                identification="identified",
                language="en",
                urgency="P3",
                phone_contact_allowed=False,
                submitted_at=now,
            ),
        )

        async def known() -> bool:
            # Reminders learns the case and the resident's contact from two topics, each
            # by a consumer of its own: either may come first (a manual reminder is
            # refused 422 while the contact is unknown - found in CI).
            a = await self.rows(
                "reminders",
                "SELECT 1 FROM case_residents k JOIN resident_contacts c USING (resident_id)"
                " WHERE k.case_id = :c",
                c=case_id,
            )
            b = await self.rows(
                "notification",
                "SELECT 1 FROM resident_contacts c JOIN resident_cases k USING (resident_id)"
                " WHERE c.resident_id = :r AND c.email IS NOT NULL",
                r=resident_id,
            )
            return bool(a and b)

        await eventually(known)
        return resident_id, case_id, address

    async def confirm(self, booking: str, case_id: uuid.UUID, starts: datetime) -> None:
        await self.publish(
            BookingConfirmed(
                booking_id=booking,
                case_id=case_id,
                organisation_id=self.org,
                starts_at=starts,
                ends_at=starts + timedelta(minutes=30),
                confirmed_at=datetime.now(UTC),
            )
        )

    async def sends(self, booking: str, count: int) -> list[Any]:
        async def present() -> list[Any]:
            rows = await self.rows(
                "reminders",
                "SELECT s.* FROM reminder_sends s JOIN reminders r USING (reminder_id)"
                " WHERE r.booking_id = :b ORDER BY s.send_at",
                b=booking,
            )
            return rows if len(rows) == count else []

        return await eventually(present)  # type: ignore[no-any-return]

    async def emails(self, address: str, count: int) -> list[Message]:
        async def arrived() -> list[Message]:
            found = self.sink.to(address)
            return found if len(found) >= count else []

        return await eventually(arrived)  # type: ignore[no-any-return]


@pytest.fixture(scope="module")
async def suite(postgres, kafka, tmp_path_factory) -> AsyncIterator[Suite]:  # type: ignore[no-untyped-def]
    keys: Path = tmp_path_factory.mktemp("keys")
    kid = generate_keypair(keys)
    _kid, key = load_signing_key(keys, kid)
    auth = AuthSettings(jwks_path=keys / "jwks.json")
    sink = Sink()
    await asyncio.to_thread(sink.controller.start)
    common: dict[str, Any] = {
        "environment": "test",
        "broker": BrokerSettings(
            bootstrap_servers=kafka.bootstrap_servers, idempotent_producer=False
        ),
        "relay": RelaySettings(idle_poll_seconds=0.3, retry_max_seconds=1.0),
        "auth": auth,
        "consumer": quick_consumer(max_workers=1),
    }
    databases = {
        "reminders": await postgres.create_database("reminders"),
        "notification": await postgres.create_database("notification"),
    }
    clock = Clock()
    reminders_settings = RemindersSettings(
        database=DatabaseSettings(url=databases["reminders"], pool_size=5),
        consumer_group=f"reminders-{uuid.uuid4().hex[:8]}",
        scheduler=SchedulerSettings(poll_seconds=0.1),
        **common,
    )
    reminders = create_reminders(reminders_settings, clock=clock)
    notification = create_notification(
        NotificationSettings(
            database=DatabaseSettings(url=databases["notification"], pool_size=5),
            consumer_group=f"notification-{uuid.uuid4().hex[:8]}",
            smtp=SmtpSettings(port=sink.port, timeout_seconds=5),
            sms=SmsSettings(sink_dir=tmp_path_factory.mktemp("sms")),
            sender=SenderSettings(idle_poll_seconds=0.2),
            **common,
        )
    )

    def sign(principal: Any) -> str:
        return mint_token(key, kid, principal, issuer=auth.issuer, audience=auth.audience)

    try:
        async with (
            reminders.router.lifespan_context(reminders),
            notification.router.lifespan_context(notification),
            httpx.AsyncClient(transport=httpx.ASGITransport(reminders), base_url="http://r") as rc,
            httpx.AsyncClient(
                transport=httpx.ASGITransport(notification), base_url="http://n"
            ) as nc,
        ):
            yield Suite(
                kafka.bootstrap_servers, databases, sink, clock, rc, nc, sign, reminders_settings
            )
            await asyncio.sleep(1.0)  # let relays finish in-flight publishes before stopping
    finally:
        await asyncio.to_thread(sink.controller.stop)


@pytest.fixture
def fresh(suite: Suite) -> Suite:
    suite.clock.offset = timedelta(0)
    suite.org = f"org-{uuid.uuid4().hex[:8]}"
    return suite


async def test_a_confirmed_booking_gets_its_reminder_email_at_its_time(fresh: Suite) -> None:
    resident_id, case_id, address = await fresh.resident()
    booking = f"b-{uuid.uuid4().hex[:8]}"
    starts = datetime.now(UTC) + timedelta(days=3)
    await fresh.confirm(booking, case_id, starts)
    (send,) = await fresh.sends(booking, 1)
    assert send.send_at == starts - LEAD
    assert fresh.sink.to(address) == []
    fresh.clock.jump_to(send.send_at)
    (message,) = await fresh.emails(address, 1)
    assert "You have an upcoming appointment." in message.get_content()
    # The resident's communication history holds it, with its purpose.
    (row,) = await fresh.rows(
        "notification",
        "SELECT n.purpose, d.status FROM notifications n JOIN deliveries d USING (notification_id)"
        " WHERE n.notification_id = :n",
        n=send.send_id,
    )
    assert tuple(row) == ("appointment_reminder", "sent")
    assert f"/cases/{case_id}" in message.get_content()  # the link opens the booking's case
    # A professional of the case's organisation sees it in the communication history.
    history = await fresh.notification.get(
        f"/professional/residents/{resident_id}/communications", headers=fresh.admin()
    )
    assert history.status_code == 200, history.text
    assert [i["purpose"] for i in history.json()["items"]] == ["appointment_reminder"]


async def test_a_moved_booking_gets_a_reminder_only_for_its_new_time(fresh: Suite) -> None:
    _, case_id, address = await fresh.resident()
    booking = f"b-{uuid.uuid4().hex[:8]}"
    starts = datetime.now(UTC) + timedelta(days=3)
    await fresh.confirm(booking, case_id, starts)
    await fresh.sends(booking, 1)
    await fresh.confirm(booking, case_id, starts + timedelta(days=2))
    old, new = await fresh.sends(booking, 2)
    assert old.status == "withdrawn"
    fresh.clock.jump_to(new.send_at)
    await fresh.emails(address, 1)
    rows = await fresh.rows(
        "notification",
        "SELECT notification_id FROM notifications WHERE resident_id IN"
        " (SELECT resident_id FROM notifications WHERE notification_id = :n)",
        n=new.send_id,
    )
    assert [r.notification_id for r in rows] == [new.send_id]


async def test_a_booking_cancelled_two_seconds_before_its_send_time_gets_none(
    fresh: Suite,
) -> None:
    resident_id, case_id, address = await fresh.resident()
    booking = f"b-{uuid.uuid4().hex[:8]}"
    starts = datetime.now(UTC) + timedelta(days=3)
    await fresh.confirm(booking, case_id, starts)
    (send,) = await fresh.sends(booking, 1)
    fresh.clock.jump_to(send.send_at - timedelta(seconds=2))
    await fresh.publish(
        BookingCancelled(
            booking_id=booking,
            case_id=case_id,
            organisation_id=fresh.org,
            cancelled_by="resident",
            cancelled_at=datetime.now(UTC),
        )
    )

    async def withdrawn() -> bool:
        (row,) = await fresh.sends(booking, 1)
        return row.status == "withdrawn"  # type: ignore[no-any-return]

    await eventually(withdrawn)
    fresh.clock.jump_to(send.send_at + timedelta(seconds=5))
    # A barrier: a later booking of the same resident is reminded of; by then the
    # scheduler has passed the cancelled send's time many times.
    later = f"b-{uuid.uuid4().hex[:8]}"
    await fresh.confirm(later, case_id, fresh.clock() + timedelta(hours=2))
    await fresh.emails(address, 1)
    assert len(fresh.sink.to(address)) == 1
    assert (
        await fresh.rows(
            "notification", "SELECT 1 FROM notifications WHERE notification_id = :n", n=send.send_id
        )
        == []
    )
    assert resident_id


async def test_a_restart_inside_the_due_window_sends_the_reminder_once(fresh: Suite) -> None:
    _, case_id, address = await fresh.resident()
    booking = f"b-{uuid.uuid4().hex[:8]}"
    starts = datetime.now(UTC) + timedelta(days=3)
    await fresh.confirm(booking, case_id, starts)
    (send,) = await fresh.sends(booking, 1)
    fresh.clock.jump_to(send.send_at + timedelta(seconds=1))
    await fresh.emails(address, 1)
    # The service restarted (a second process on the same database), still in the window.
    restarted = create_reminders(fresh.reminders_settings, clock=fresh.clock)
    async with restarted.router.lifespan_context(restarted):
        later = f"b-{uuid.uuid4().hex[:8]}"
        await fresh.confirm(later, case_id, fresh.clock() + timedelta(hours=2))
        await fresh.emails(address, 2)  # the barrier: the later booking's reminder
    assert len(fresh.sink.to(address)) == 2  # the first reminder once, the later one once


async def test_a_performed_service_makes_the_next_due_reminder_with_its_schedule(
    fresh: Suite,
) -> None:
    resident_id, _, _ = await fresh.resident()
    rule = {
        "name": "Yearly check",
        "trigger": "service_performed",
        "conditions": [{"kind": "code", "value": "CHECK-Y"}],
        "channels": ["email"],
        "days_until_due": 365,
        "days_before_due": [14],
    }
    saved = await fresh.reminders.put(f"/rules/{uuid.uuid4()}", json=rule, headers=fresh.admin())
    assert saved.status_code == 200, saved.text
    performed_at = datetime.now(UTC)
    await fresh.publish(
        ServicePerformed(
            record_id="rec-1",
            resident_id=resident_id,
            organisation_id=fresh.org,
            code="CHECK-Y",
            occurred_at=performed_at,
        )
    )

    async def made() -> list[Any]:
        response = await fresh.reminders.get(
            f"/residents/{resident_id}/reminders", headers=fresh.admin()
        )
        return response.json()["items"]  # type: ignore[no-any-return]

    (reminder,) = await eventually(made)
    due = performed_at.date() + timedelta(days=365)
    assert reminder["due_date"] == due.isoformat()
    assert [s["send_at"][:10] for s in reminder["sends"]] == [
        (due - timedelta(days=14)).isoformat()
    ]
    assert reminder["sends"][0]["status"] == "scheduled"


async def test_a_manual_patient_reminder_sent_shows_in_the_professionals_history_view(
    fresh: Suite,
) -> None:
    resident_id, _, address = await fresh.resident()
    send_at = datetime.now(UTC) + timedelta(minutes=30)
    body = {
        "due_date": (send_at.date() + timedelta(days=10)).isoformat(),
        "send_times": [send_at.isoformat()],
        "channels": ["email"],
        "text": "Time to book your lab test",
    }
    created = await fresh.reminders.post(
        f"/residents/{resident_id}/reminders", json=body, headers=fresh.admin()
    )
    assert created.status_code == 201, created.text
    send_id = created.json()["sends"][0]["send_id"]
    fresh.clock.jump_to(send_at + timedelta(seconds=1))
    (message,) = await fresh.emails(address, 1)
    assert "/reminders" in message.get_content()  # no case: the link opens the reminders page

    async def recorded_sent() -> bool:
        rows = await fresh.rows(
            "notification",
            "SELECT status FROM deliveries WHERE notification_id = :n",
            n=uuid.UUID(send_id),
        )
        return [r.status for r in rows] == ["sent"]

    await eventually(recorded_sent)  # the sender commits just after the SMTP server's 250

    # A professional of the reminder's organisation sees it in the resident's history,
    # beside the case's notifications; its read is audited by notification.
    history = await fresh.notification.get(
        f"/professional/residents/{resident_id}/communications", headers=fresh.admin()
    )
    assert history.status_code == 200, history.text
    [item] = history.json()["items"]
    assert (item["notification_id"], item["purpose"], item["case_id"]) == (
        send_id,
        "patient_reminder",
        None,
    )
    assert [d["status"] for d in item["deliveries"]] == ["sent"]
    audit = await fresh.notification.get(
        "/audit-records", params={"resident_id": str(resident_id)}, headers=fresh.admin()
    )
    assert [r["action"] for r in audit.json()["items"]] == ["read_communication_history"]
    # Another organisation's professional learns nothing of it.
    stranger = ProfessionalPrincipal(
        subject="nurse-x", organisation=f"org-x-{uuid.uuid4().hex[:6]}", unit="u", roles=["nurse"]
    )
    refused = await fresh.notification.get(
        f"/professional/residents/{resident_id}/communications",
        headers={"Authorization": f"Bearer {fresh.sign(stranger)}"},
    )
    assert refused.status_code == 404
