"""Rules make reminders from clinical events; manual and staff reminders over HTTP; opt-outs,
templates, lists with filters, authorisation, audit and dead letters."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from aiokafka import AIOKafkaConsumer
from sqlalchemy import select

from careflow.contracts.clinical import ServicePerformed
from careflow.contracts.registry import CLINICAL_SERVICES
from careflow.reminders.application.scheduler import dispatch_due
from careflow.shared.outbox.tables import outbox
from careflow.testing.probe_service import publish_raw, wait_until

from .conftest import Service, contact_of

TODAY = datetime.now(UTC).date()


def performed(
    resident: uuid.UUID, org: str, code: str, at: datetime, **extra: Any
) -> ServicePerformed:
    return ServicePerformed(
        record_id=f"rec-{uuid.uuid4().hex[:8]}",
        resident_id=resident,
        organisation_id=org,
        code=code,
        occurred_at=at,
        **({"age_years": 40} | extra),
    )


async def template(service: Service, text: str = "Time for {due_date}") -> str:
    response = await service.client.post(
        "/templates", json={"name": "booster", "texts": {"fi": text}}, headers=service.admin()
    )
    assert response.status_code == 201, response.text
    return response.json()["template_id"]  # type: ignore[no-any-return]


async def rule(service: Service, **body: Any) -> dict[str, Any]:
    fields = {
        "name": "TBE booster",
        "trigger": "service_performed",
        "conditions": [{"kind": "code", "value": "VAC-TBE"}],
        "channels": ["email", "sms"],
        "days_until_due": 365,
        "days_before_due": [30, 7],
    } | body
    response = await service.client.put(
        f"/rules/{uuid.uuid4()}", json=fields, headers=service.admin()
    )
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


async def reminders_of(
    service: Service, resident: uuid.UUID, **params: Any
) -> list[dict[str, Any]]:
    response = await service.client.get(
        f"/residents/{resident}/reminders", params=params, headers=service.token()
    )
    assert response.status_code == 200, response.text
    return response.json()["items"]  # type: ignore[no-any-return]


async def test_a_performed_service_makes_the_next_due_reminder_with_its_schedule(
    service: Service,
) -> None:
    template_id = await template(service)
    await rule(service, template_id=template_id)
    resident = await service.resident()
    at = datetime.now(UTC) - timedelta(days=1)
    await service.apply(performed(resident, service.org, "VAC-TBE", at))
    (reminder,) = await reminders_of(service, resident)
    due = at.date() + timedelta(days=365)
    assert (reminder["kind"], reminder["source"], reminder["due_date"]) == (
        "patient",
        "rule",
        due.isoformat(),
    )
    assert reminder["due_colour"] == "black"
    assert reminder["text"] == f"Time for {due:%d.%m.%Y}"
    assert [s["send_at"][:10] for s in reminder["sends"]] == [
        (due - timedelta(days=30)).isoformat(),
        (due - timedelta(days=7)).isoformat(),
    ]


async def test_performed_again_moves_the_due_date_and_withdraws_the_unsent(
    service: Service,
) -> None:
    await rule(service)
    resident = await service.resident()
    first = datetime.now(UTC) - timedelta(days=300)
    await service.apply(performed(resident, service.org, "VAC-TBE", first))
    (before,) = await reminders_of(service, resident)
    await service.apply(performed(resident, service.org, "VAC-TBE", datetime.now(UTC)))
    (after,) = await reminders_of(service, resident)
    assert after["reminder_id"] == before["reminder_id"]
    assert after["due_date"] == (TODAY + timedelta(days=365)).isoformat()
    old = [s for s in after["sends"] if s["send_id"] in {b["send_id"] for b in before["sends"]}]
    assert old
    assert all((s["status"], s["reason"]) == ("withdrawn", "performed_again") for s in old)
    assert [s["status"] for s in after["sends"] if s not in old] == ["scheduled", "scheduled"]


async def test_several_rules_for_a_service_make_several_reminders_and_overlaps_are_warned(
    service: Service,
) -> None:
    first = await rule(service)
    second = await rule(service, name="TBE check", days_until_due=30, days_before_due=[1])
    assert second["overlapping_rules"] == [first["rule"]["rule_id"]]
    staff = await rule(service, name="call after", channels=[], days_until_due=2)
    assert staff["overlapping_rules"]
    resident = await service.resident()
    await service.apply(performed(resident, service.org, "VAC-TBE", datetime.now(UTC)))
    found = await reminders_of(service, resident)
    assert sorted(r["due_date"] for r in found) == sorted(
        (TODAY + timedelta(days=d)).isoformat() for d in (365, 30, 2)
    )
    assert sorted(r["kind"] for r in found) == ["internal", "patient", "patient"]


async def test_a_resident_known_only_from_the_clinical_system_is_listed_by_the_organisation(
    service: Service,
) -> None:
    await rule(service)
    resident = uuid.uuid4()  # no case in intake: the clinical system knows them
    await service.apply(performed(resident, service.org, "VAC-TBE", datetime.now(UTC)))
    assert len(await reminders_of(service, resident)) == 1
    elsewhere = await service.client.get(
        f"/residents/{resident}/reminders", headers=service.token(org="org-elsewhere")
    )
    assert elsewhere.status_code == 404


async def test_rule_conditions_decide_whether_a_reminder_is_made(service: Service) -> None:
    await rule(
        service,
        match="all",
        conditions=[{"kind": "code", "value": "VAC-TBE"}, {"kind": "min_visits", "value": "2"}],
    )
    resident = await service.resident()
    await service.apply(performed(resident, service.org, "VAC-TBE", datetime.now(UTC)))
    assert await reminders_of(service, resident) == []
    await service.apply(performed(resident, service.org, "VAC-TBE", datetime.now(UTC)))
    assert len(await reminders_of(service, resident)) == 1


async def test_a_manual_reminder_is_saved_and_sent_on_its_schedule(service: Service) -> None:
    resident = await service.resident()
    send_at = datetime.now(UTC) + timedelta(days=2)
    body = {
        "due_date": (TODAY + timedelta(days=10)).isoformat(),
        "send_times": [send_at.isoformat()],
        "channels": ["email"],
        "text": "Remember your lab test",
    }
    response = await service.client.post(
        f"/residents/{resident}/reminders", json=body, headers=service.token()
    )
    assert response.status_code == 201, response.text
    created = response.json()
    assert (created["due_colour"], created["text"]) == ("yellow", "Remember your lab test")
    service.clock.jump_to(send_at + timedelta(seconds=1))
    await dispatch_due(service.container.uow(), service.clock(), 1000)
    send_id = created["sends"][0]["send_id"]
    assert await service.requests_for(send_id) == ["careflow.notification.requested.v1"]
    # On the organisation's behalf: its professionals see it in the resident's history.
    (row,) = await service.sql(select(outbox.c.payload).where(outbox.c.key == send_id))
    assert (row.payload["organisation_id"], row.payload["case_id"]) == (service.org, None)


async def test_a_manual_reminder_is_refused_clearly_and_nothing_is_saved(service: Service) -> None:
    resident = await service.resident(phone=False)
    good = {
        "due_date": (TODAY + timedelta(days=10)).isoformat(),
        "send_times": [(datetime.now(UTC) + timedelta(days=1)).isoformat()],
        "channels": ["email"],
        "text": "Remember",
    }
    refusals = {
        "no contact data for the channel 'sms'": {"channels": ["sms"]},
        "due date is in the past": {"due_date": (TODAY - timedelta(days=1)).isoformat()},
        "leaves no time to send": {
            "send_times": [(datetime.now(UTC) + timedelta(minutes=1)).isoformat()]
        },
    }
    for words, change in refusals.items():
        response = await service.client.post(
            f"/residents/{resident}/reminders", json=good | change, headers=service.token()
        )
        assert response.status_code == 422, response.text
        assert response.headers["content-type"] == "application/problem+json"
        assert words in response.json()["detail"]
    assert await reminders_of(service, resident) == []


async def test_sms_and_email_opt_outs_are_separate(service: Service) -> None:
    resident = await service.resident()
    await service.apply(contact_of(resident, email_on=True, sms_on=False))
    send_at = datetime.now(UTC) + timedelta(days=2)
    body = {
        "due_date": (TODAY + timedelta(days=10)).isoformat(),
        "send_times": [send_at.isoformat()],
        "channels": ["email", "sms"],
        "text": "Remember",
    }
    created = await service.client.post(
        f"/residents/{resident}/reminders", json=body, headers=service.token()
    )
    service.clock.jump_to(send_at + timedelta(seconds=1))
    await dispatch_due(service.container.uow(), service.clock(), 1000)
    (send,) = await service.sql(
        "SELECT status, channels FROM reminder_sends WHERE send_id = :s",
        s=uuid.UUID(created.json()["sends"][0]["send_id"]),
    )
    assert (send.status, send.channels) == ("requested", ["email"])


async def test_changing_a_text_reports_the_unsent_and_updates_them_on_request(
    service: Service,
) -> None:
    template_id = await template(service, "Old text {due_date}")
    resident = await service.resident()
    for _ in range(2):
        body = {
            "due_date": (TODAY + timedelta(days=60)).isoformat(),
            "send_times": [(datetime.now(UTC) + timedelta(days=3)).isoformat()],
            "channels": ["email"],
            "template_id": template_id,
        }
        response = await service.client.post(
            f"/residents/{resident}/reminders", json=body, headers=service.token()
        )
        assert response.status_code == 201, response.text
    url = f"/templates/{template_id}/texts/fi"
    asked = await service.client.put(url, json={"text": "New text"}, headers=service.admin())
    assert (asked.json()["version"], asked.json()["unsent_affected"], asked.json()["updated"]) == (
        2,
        2,
        0,
    )
    assert {r["text"][:8] for r in await reminders_of(service, resident)} == {"Old text"}
    applied = await service.client.post(f"{url}/update-unsent", headers=service.admin())
    assert (applied.json()["unsent_affected"], applied.json()["updated"]) == (2, 2)
    assert {r["text"] for r in await reminders_of(service, resident)} == {"New text"}
    nurse = await service.client.put(url, json={"text": "x"}, headers=service.token())
    assert nurse.status_code == 403


async def test_lists_filter_by_colour_status_channel_and_due_range(service: Service) -> None:
    resident = await service.resident()
    for days, text in ((5, "soon"), (90, "later")):
        response = await service.client.post(
            f"/residents/{resident}/internal-reminders",
            json={"due_date": (TODAY + timedelta(days=days)).isoformat(), "text": text},
            headers=service.token(),
        )
        assert response.status_code == 201, response.text

    async def texts(**params: Any) -> list[str]:
        response = await service.client.get("/reminders", params=params, headers=service.token())
        assert response.status_code == 200, response.text
        return [r["text"] for r in response.json()["items"]]

    assert await texts() == ["soon", "later"]
    assert await texts(colour="yellow") == ["soon"]
    assert await texts(colour="black") == ["later"]
    assert await texts(colour="red") == []
    assert await texts(due_from=(TODAY + timedelta(days=30)).isoformat()) == ["later"]
    assert await texts(status="cancelled") == []
    assert await texts(channel="sms") == []
    assert await texts(kind="internal") == ["soon", "later"]


async def test_another_organisation_sees_nothing_and_professional_reads_are_audited(
    service: Service,
) -> None:
    resident = await service.resident()
    await reminders_of(service, resident)
    other = await service.client.get(
        f"/residents/{resident}/reminders", headers=service.token(org="org-elsewhere")
    )
    assert other.status_code == 404
    no_token = await service.client.get("/reminders")
    assert no_token.status_code == 401
    audit = await service.client.get(
        "/audit-records", params={"resident_id": str(resident)}, headers=service.admin()
    )
    assert audit.status_code == 200, audit.text
    (record,) = audit.json()["items"]
    assert (record["service"], record["purpose"], record["actor"]) == (
        "reminders",
        "care",
        "nurse-1",
    )


async def test_a_bad_clinical_event_goes_to_the_dead_letter_topic_with_its_reason(
    service: Service,
) -> None:
    consumer = AIOKafkaConsumer(
        CLINICAL_SERVICES.dlq, bootstrap_servers=service.bootstrap, auto_offset_reset="earliest"
    )
    await consumer.start()
    try:
        marker = uuid.uuid4().hex
        headers = [
            ("ce_id", marker.encode()),
            ("ce_type", b"careflow.clinical_service.performed.v1"),
            ("ce_source", b"/tests"),
            ("ce_specversion", b"1.0"),
        ]
        await publish_raw(
            service.bootstrap, CLINICAL_SERVICES.name, [(b"k", b'{"code": 1}', headers)]
        )
        found: dict[str, bytes] = {}

        async def dead_lettered() -> bool:
            batch = await consumer.getmany(timeout_ms=500)
            for records in batch.values():
                for record in records:
                    h = dict(record.headers)
                    if h.get("ce_id") == marker.encode():
                        found.update(h)
            return bool(found)

        await wait_until(dead_lettered, within=60)
    finally:
        await consumer.stop()
    reason = b" ".join(v for k, v in found.items() if "reason" in k or "error" in k)
    assert b"schema" in reason, found
