"""The communication history: every attempt and outcome, for the resident or their guardian."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime

from careflow.contracts.notifications import ProfessionalChatNotificationRequested
from careflow.shared.auth.claims import Child
from careflow.testing.probe_service import wait_until

from .test_delivery import addresses, task


async def test_the_resident_reads_every_delivery_and_its_steps(service):
    mail, phone = addresses()
    subject = f"sub-{uuid.uuid4()}"
    resident_id = await service.resident(subject, email=mail, phone=phone, sms_on=False)
    event = task(resident_id)
    await service.publish(event)
    await service.wait_for_statuses(resident_id, lambda f: f.get("email", ("",))[0] == "sent")

    for path in ("/me/communications", f"/residents/{resident_id}/communications"):
        answer = await service.client.get(path, headers=service.token(subject))
        assert answer.status_code == 200, answer.text
        [item] = answer.json()["items"]
        assert (item["purpose"], item["case_id"]) == ("action_instruction", str(event.case_id))
        by_channel = {d["channel"]: d for d in item["deliveries"]}
        assert [s["status"] for s in by_channel["email"]["steps"]] == ["queued", "sent"]
        assert by_channel["sms"]["status"] == "suppressed"
        assert by_channel["sms"]["reason"] == "sms_notifications_off"
        assert mail not in answer.text  # addresses are never shown
        assert phone not in answer.text


async def test_a_guardian_reads_their_child_s_history_and_nobody_else_does(service):
    child_subject = f"child-{uuid.uuid4()}"
    child_id = await service.resident(child_subject)
    path = f"/residents/{child_id}/communications"
    child = Child(subject=child_subject, birth_date=date(datetime.now(UTC).year - 10, 1, 1))
    adult = Child(subject=child_subject, birth_date=date(datetime.now(UTC).year - 20, 1, 1))

    guardian = await service.client.get(path, headers=service.token("parent", children=[child]))
    assert guardian.status_code == 200
    for headers in (
        service.token("someone-else"),
        service.token("parent", children=[adult]),  # 15 or over: no proxy
    ):
        refused = await service.client.get(path, headers=headers)
        assert refused.status_code == 404
        assert refused.headers["content-type"].startswith("application/problem+json")
    anonymous = await service.client.get(path, headers=service.token(child_subject, strong=False))
    assert anonymous.status_code == 403
    assert (await service.client.get(path)).status_code == 401


async def test_a_professional_gets_an_email_of_a_new_chat(service):
    mail = f"nurse-{uuid.uuid4().hex[:8]}@example.org"
    chat_id = uuid.uuid4()
    await service.publish(
        ProfessionalChatNotificationRequested(
            notification_id=uuid.uuid4(),
            requested_by="messaging",
            requested_at=datetime.now(UTC),
            professional_id="pro-7",
            organisation_id="org-1",
            channel_id="channel-1",
            chat_id=chat_id,
            email=mail,
            language="en",
        )
    )
    await wait_until(lambda: len(service.smtp.to(mail)) == 1, within=60)
    [message] = service.smtp.to(mail)
    assert message["Subject"] == "A new chat is waiting"
    assert f"https://desktop.careflow.local/chats/{chat_id}" in message.get_content()
