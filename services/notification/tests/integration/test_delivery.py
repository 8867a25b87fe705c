"""Contract events in, email over real SMTP and SMS through a real HTTP provider out."""

from __future__ import annotations

import asyncio
import random
import uuid
from datetime import UTC, datetime, timedelta

from careflow.contracts.cases import ClosingProposed, TaskAssigned
from careflow.contracts.notifications import NotificationRequested
from careflow.testing.probe_service import wait_until


def addresses() -> tuple[str, str]:
    return f"r-{uuid.uuid4().hex[:10]}@example.org", f"+35840{random.randint(1000000, 9999999)}"


def task(resident_id: uuid.UUID, kind: str = "action_instruction") -> TaskAssigned:
    now = datetime.now(UTC)
    return TaskAssigned(
        case_id=uuid.uuid4(),
        resident_id=resident_id,
        task_id=uuid.uuid4(),
        task_kind=kind,  # type: ignore[arg-type]
        assigned_by="pro-1",
        start_date=now.date(),
        assigned_at=now,
    )


def both_sent(found: dict) -> bool:  # type: ignore[type-arg]
    return {s for s, _ in found.values()} == {"sent"} and len(found) == 2


async def test_a_task_reaches_the_resident_by_email_and_sms_in_their_language(service):
    mail, phone = addresses()
    resident_id = await service.resident(
        f"sub-{uuid.uuid4()}", language="sv", email=mail, phone=phone
    )
    event = task(resident_id)
    await service.publish(event)
    await service.wait_for_statuses(resident_id, both_sent)

    [message] = service.smtp.to(mail)
    link = f"https://careflow.local/cases/{event.case_id}"
    assert message["Subject"] == "Nytt i dina CareFlow-ärenden"
    assert message.get_content().replace("\r\n", "\n").strip() == (
        f"Hej,\n\nDu har fått en ny handlingsinstruktion.\n\nLogga in för att läsa: {link}\n\n"
        "Detta är ett automatiskt meddelande som inte kan besvaras."
    )
    [sms] = service.sms.to(phone)
    assert sms["text"] == f"CareFlow: Du har fått en ny handlingsinstruktion. Logga in: {link}"


async def test_the_same_event_delivered_three_times_sends_one_email_and_one_sms(service):
    mail, phone = addresses()
    resident_id = await service.resident(f"sub-{uuid.uuid4()}", email=mail, phone=phone)
    event = task(resident_id, "questionnaire")
    event_id = str(uuid.uuid4())
    await service.publish(event, event_id=event_id)
    await service.publish(event, event_id=event_id)  # redelivery: the same event id
    [republished] = await service.publish(event)  # republished under a new event id
    await service.wait_for_inbox(republished)
    await service.wait_for_statuses(resident_id, both_sent)

    assert len(service.smtp.to(mail)) == 1
    assert len(service.sms.to(phone)) == 1
    assert len([r for r in service.sms.requests if r["to"] == phone]) == 1


async def test_email_waits_out_an_smtp_outage_and_arrives_after_it(service):
    mail, phone = addresses()
    resident_id = await service.resident(f"sub-{uuid.uuid4()}", email=mail, phone=phone)
    # Controller.stop/start join aiosmtpd's thread: never block the loop the service runs on.
    await asyncio.to_thread(service.smtp.stop)
    try:
        await service.publish(task(resident_id))
        found = await service.wait_for_statuses(
            resident_id, lambda f: f.get("email", ("",))[0] == "retrying"
        )
        assert found["email"][1].startswith("smtp_unavailable")
    finally:
        await asyncio.to_thread(service.smtp.start)
    await service.wait_for_statuses(resident_id, both_sent)
    assert len(service.smtp.to(mail)) == 1

    history = await service.client.get("/me/communications", headers=service.token_for(resident_id))
    [item] = history.json()["items"]
    email = next(d for d in item["deliveries"] if d["channel"] == "email")
    steps = [s["status"] for s in email["steps"]]
    assert steps[0] == "queued"
    assert "retrying" in steps
    assert steps[-1] == "sent"


async def test_a_provider_answering_500_then_200_sends_one_sms_under_one_idempotency_key(service):
    mail, phone = addresses()
    resident_id = await service.resident(f"sub-{uuid.uuid4()}", email=mail, phone=phone)
    service.sms.answer(phone, 500, 500)
    await service.publish(task(resident_id))
    await service.wait_for_statuses(resident_id, both_sent)

    attempts = [r for r in service.sms.requests if r["to"] == phone]
    assert len(attempts) == 3
    assert len({r["key"] for r in attempts}) == 1
    assert len(service.sms.to(phone)) == 1


async def test_a_rejected_sms_is_recorded_as_failed_and_not_retried(service):
    mail, phone = addresses()
    resident_id = await service.resident(f"sub-{uuid.uuid4()}", email=mail, phone=phone)
    service.sms.answer(phone, 400)
    await service.publish(task(resident_id))
    found = await service.wait_for_statuses(
        resident_id, lambda f: f.get("sms", ("",))[0] == "failed"
    )
    assert found["sms"] == ("failed", "sms_400")
    assert len([r for r in service.sms.requests if r["to"] == phone]) == 1


async def test_a_closing_proposal_states_the_deadline_in_the_residents_time_zone(service):
    mail, phone = addresses()
    resident_id = await service.resident(
        f"sub-{uuid.uuid4()}", email=mail, phone=phone, language="en", time_zone="Europe/Stockholm"
    )
    proposed_at = datetime(2026, 11, 22, 12, 30, tzinfo=UTC)
    await service.publish(
        ClosingProposed(
            case_id=uuid.uuid4(),
            resident_id=resident_id,
            proposal_id=uuid.uuid4(),
            proposed_by="professional",
            professional_id="pro-1",
            proposed_at=proposed_at,
            objection_deadline=proposed_at + timedelta(hours=72),
        )
    )
    await service.wait_for_statuses(resident_id, both_sent)
    [sms] = service.sms.to(phone)
    assert "within 72 hours, the case closes on 25 November 2026 at 13:30 (CET)." in sms["text"]


async def test_a_generic_request_for_a_new_message_notifies_once_per_notification_id(service):
    mail, phone = addresses()
    resident_id = await service.resident(f"sub-{uuid.uuid4()}", email=mail, phone=phone)
    request = NotificationRequested(
        notification_id=uuid.uuid4(),
        requested_by="messaging",
        requested_at=datetime.now(UTC),
        resident_id=resident_id,
        purpose="new_message",
        channels=["sms"],
        link_target="messages",
    )
    await service.publish(request)
    [last] = await service.publish(request)  # the requester retried under a new event id
    await service.wait_for_inbox(last)
    await wait_until(lambda: len(service.sms.to(phone)) == 1, within=60)
    [sms] = service.sms.to(phone)
    assert (
        sms["text"] == "CareFlow: Sinulle on uusi viesti. Kirjaudu: https://careflow.local/messages"
    )
    assert service.smtp.to(mail) == []
