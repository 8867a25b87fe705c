"""Intake and notification together, over the real broker and PostgreSQL: what a
professional does in a case reaches the right person as a prompt to log in."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from careflow.intake.domain.urgency_rules import RED_FLAGS
from careflow.intake.entrypoints.api.app import create_app as create_intake
from careflow.intake.settings import Settings as IntakeSettings
from careflow.notification.entrypoints.api.app import create_app as create_notification
from careflow.notification.settings import SenderSettings
from careflow.notification.settings import Settings as NotificationSettings
from careflow.shared.auth.claims import AuthLevel, Child, ProfessionalPrincipal, ResidentPrincipal
from careflow.shared.auth.pseudonyms import ResidentIds
from careflow.shared.auth.signing import generate_keypair, load_signing_key, mint_token
from careflow.shared.settings import AuthSettings, BrokerSettings, DatabaseSettings, RelaySettings
from careflow.testing.settings import quick_consumer

from .test_case_flow import eventually

KEY = "e2e-resident-id-key"
IDS = ResidentIds(KEY.encode())
REASON = "Chest pain resolved; see the summary"  # the closing statement: must stay in intake


@dataclass
class Suite:
    intake: httpx.AsyncClient
    org: str
    sign: Any
    databases: dict[str, str]

    async def rows(self, service: str, sql: str, **params: Any) -> list[Any]:
        engine = create_async_engine(self.databases[service])
        try:
            async with engine.connect() as conn:
                return list(await conn.execute(text(sql), params))
        finally:
            await engine.dispose()

    def auth(self, principal: Any) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.sign(principal)}"}

    def nurse(self) -> dict[str, str]:
        return self.auth(
            ProfessionalPrincipal(
                subject="nurse-1", organisation=self.org, unit="u", roles=["nurse"]
            )
        )

    def resident(self, sub: str, children: list[Child] | None = None) -> dict[str, str]:
        principal = ResidentPrincipal(
            subject=sub, auth_level=AuthLevel.STRONG, guardian_of=children or []
        )
        return self.auth(principal)

    async def contact(self, sub: str, phone: str) -> None:
        body = {
            "communication_language": "en",
            "email": f"{sub}@example.org",
            "phone": phone,
            "email_notifications": True,
            "sms_notifications": True,
        }
        response = await self.intake.put("/me/contact", json=body, headers=self.resident(sub))
        assert response.status_code == 200, response.text

    async def submit(self, headers: dict[str, str], **extra: Any) -> dict[str, Any]:
        body = {
            "kind": "symptom_assessment",
            "language": "en",
            "organisation_id": self.org,
            "phone": "+358401234567",
            # Every red-flag question answered: intake computes the class from these.
            "answers": {**dict.fromkeys(RED_FLAGS, False), "fever": True},
        } | extra
        response = await self.intake.post("/forms", json=body, headers=headers)
        assert response.status_code == 201, response.text
        return response.json()  # type: ignore[no-any-return]

    async def set_goal(self, case_id: str) -> None:
        goal = await self.intake.post(
            f"/cases/{case_id}/goals", json={"text": "Enough hydration"}, headers=self.nurse()
        )
        assert goal.status_code == 201, goal.text

    async def close_without_consent(self, case_id: str) -> None:
        closed = await self.intake.post(
            f"/cases/{case_id}/closure", json={"reason": REASON}, headers=self.nurse()
        )
        assert closed.status_code == 204, closed.text

    async def deliveries(self, resident_id: uuid.UUID, purpose: str) -> list[Any]:
        """(channel, status, reason, body) of the resident's notifications for `purpose`."""
        sql = (
            "SELECT d.channel, d.status, d.reason, d.body FROM deliveries d "
            "JOIN notifications n ON n.notification_id = d.notification_id "
            "WHERE n.resident_id = :r AND n.purpose = :p ORDER BY d.channel"
        )
        return await self.rows("notification", sql, r=resident_id, p=purpose)


@pytest.fixture
async def suite(postgres, kafka, tmp_path: Path) -> AsyncIterator[Suite]:  # type: ignore[no-untyped-def]
    kid = generate_keypair(tmp_path)
    _kid, key = load_signing_key(tmp_path, kid)
    auth = AuthSettings(jwks_path=tmp_path / "jwks.json")
    common: dict[str, Any] = {
        "environment": "test",
        "broker": BrokerSettings(
            bootstrap_servers=kafka.bootstrap_servers, idempotent_producer=False
        ),
        "relay": RelaySettings(idle_poll_seconds=0.5, retry_max_seconds=1.0),
        "auth": auth,
        "resident_id_key": KEY,
    }
    databases = {
        "intake": await postgres.create_database("intake"),
        "notification": await postgres.create_database("notification"),
    }
    intake = create_intake(
        IntakeSettings(
            database=DatabaseSettings(url=databases["intake"]),
            consumer_group=f"intake-{uuid.uuid4().hex[:8]}",
            consumer=quick_consumer(),
            **common,
        )
    )
    notification = create_notification(
        NotificationSettings(
            database=DatabaseSettings(url=databases["notification"], pool_size=5),
            consumer_group=f"notification-{uuid.uuid4().hex[:8]}",
            consumer=quick_consumer(max_workers=1),
            # Nothing is sent: the decided deliveries (queued or suppressed) are the outcome.
            sender=SenderSettings(enabled=False),
            **common,
        )
    )

    def sign(principal: Any) -> str:
        return mint_token(key, kid, principal, issuer=auth.issuer, audience=auth.audience)

    async with (
        intake.router.lifespan_context(intake),
        notification.router.lifespan_context(notification),
        httpx.AsyncClient(transport=httpx.ASGITransport(intake), base_url="http://i") as ic,
    ):
        yield Suite(ic, f"org-{uuid.uuid4().hex[:8]}", sign, databases)
        await asyncio.sleep(1.0)  # let relays finish in-flight publishes before stopping


async def test_a_new_goal_and_a_closing_without_consent_reach_the_resident(suite: Suite):
    sub = f"resident-{uuid.uuid4().hex[:8]}"
    await suite.contact(sub, "+358401112233")
    case_id = (await suite.submit(suite.resident(sub)))["case_id"]
    await suite.set_goal(case_id)
    await suite.close_without_consent(case_id)

    resident_id = IDS.of(sub)
    link = f"https://careflow.local/cases/{case_id}"

    async def goal_notified() -> list[Any]:
        return await suite.deliveries(resident_id, "new_goal")

    [(_, email_status, _, _), sms] = await eventually(goal_notified)
    assert (email_status, sms.status) == ("queued", "queued")
    assert sms.body == f"CareFlow: There is a new goal in your case. Log in: {link}"

    async def closing_notified() -> list[Any]:
        return await suite.deliveries(resident_id, "case_closed_without_consent")

    closing = await eventually(closing_notified)
    assert [(d.channel, d.status) for d in closing] == [("email", "queued"), ("sms", "queued")]
    assert closing[1].body == (
        f"CareFlow: A professional closed your case and wrote you the reason. Log in: {link}"
    )
    assert all("Chest" not in d.body for d in closing)


async def test_a_guardians_case_is_notified_to_the_guardian_not_the_child(suite: Suite):
    guardian, child = f"guardian-{uuid.uuid4().hex[:8]}", f"child-{uuid.uuid4().hex[:8]}"
    await suite.contact(guardian, "+358402223344")
    headers = suite.resident(guardian, [Child(subject=child, birth_date="2020-05-01")])
    case_id = (await suite.submit(headers, child_subject=child, phone="+358402223344"))["case_id"]
    await suite.set_goal(case_id)

    async def notified() -> list[Any]:
        return await suite.deliveries(IDS.of(guardian), "new_goal")

    found = await eventually(notified)
    # The guardian's consents decide: queued on both channels (the child has none).
    assert [(d.channel, d.status) for d in found] == [("email", "queued"), ("sms", "queued")]
    assert await suite.deliveries(IDS.of(child), "new_goal") == []


async def test_an_anonymous_cases_notification_is_suppressed_at_once(suite: Suite):
    anonymous = suite.auth(ResidentPrincipal(subject="anon", auth_level=AuthLevel.ANONYMOUS))
    form = {"kind": "pre_information", "form_id": "regular-checkup-general", "urgency": None}
    await suite.submit(anonymous, phone=None, **form)
    [(case_id, resident_id)] = await suite.rows(
        "intake", "SELECT id, resident_id FROM cases WHERE organisation_id = :o", o=suite.org
    )
    await suite.close_without_consent(str(case_id))

    async def decided() -> list[Any]:
        return await suite.deliveries(resident_id, "case_closed_without_consent")

    # Notification's park timeout is 24 h: only a decision taken at once shows here.
    found = await eventually(decided)
    assert [(d.channel, d.status, d.reason) for d in found] == [
        ("email", "suppressed", "anonymous_resident"),
        ("sms", "suppressed", "anonymous_resident"),
    ]
