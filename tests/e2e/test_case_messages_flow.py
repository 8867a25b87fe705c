"""Intake, workqueue, messaging and notification together, over the real broker and
PostgreSQL: a resident's message reaches the professionals' queue item as unread and
clears "incomplete"; a professional's answer reaches the resident as an email in their
language that never carries the text; an objection by message keeps the case open past
the 72 hours (injected clock)."""

from __future__ import annotations

import asyncio
import socket
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from careflow.intake.domain.urgency_rules import RED_FLAGS
from careflow.intake.entrypoints.api.app import create_app as create_intake
from careflow.intake.settings import CloserSettings
from careflow.intake.settings import Settings as IntakeSettings
from careflow.local.smtp_sink import SmtpSink
from careflow.messaging.entrypoints.api.app import create_app as create_messaging
from careflow.messaging.settings import Settings as MessagingSettings
from careflow.notification.entrypoints.api.app import create_app as create_notification
from careflow.notification.settings import SenderSettings, SmtpSettings
from careflow.notification.settings import Settings as NotificationSettings
from careflow.shared.auth.claims import AuthLevel, ProfessionalPrincipal, ResidentPrincipal
from careflow.shared.auth.signing import generate_keypair, load_signing_key, mint_token
from careflow.shared.settings import AuthSettings, BrokerSettings, RelaySettings
from careflow.testing.settings import quick_consumer
from careflow.workqueue.entrypoints.api.app import create_app as create_workqueue
from careflow.workqueue.settings import Settings as WorkqueueSettings

from .test_case_flow import Clock, eventually

KEY = "e2e-messages-resident-id-key"
#: What the resident writes and what the professional answers: neither may leave messaging.
QUESTION = "Is the rash on my left arm contagious?"
ANSWER = "Keep the rash on your arm covered and come in on Friday."
#: notification's Swedish headline for purpose new_message.
SWEDISH_NEW_MESSAGE = "Du har ett nytt meddelande."


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Suite:
    intake: httpx.AsyncClient
    workqueue: httpx.AsyncClient
    messaging: httpx.AsyncClient
    clock: Clock
    closer: Any
    org: str
    sign: Any
    mail: Path
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
        principal = ProfessionalPrincipal(
            subject="nurse-1", organisation=self.org, unit="u", roles=["nurse"]
        )
        return self.auth(principal)

    def resident(self, sub: str) -> dict[str, str]:
        return self.auth(ResidentPrincipal(subject=sub, auth_level=AuthLevel.STRONG))

    async def case_of(self, sub: str) -> str:
        """A new resident (Swedish, email allowed) submits a symptom assessment; the case
        is known to the queue and to messaging once this returns."""
        contact = {
            "communication_language": "sv",
            "email": f"{sub}@example.org",
            "phone": "+358401234567",
            "email_notifications": True,
            "sms_notifications": False,
        }
        put = await self.intake.put("/me/contact", json=contact, headers=self.resident(sub))
        assert put.status_code == 200, put.text
        form = {
            "kind": "symptom_assessment",
            "language": "sv",
            "organisation_id": self.org,
            "group_id": "nurses",
            "phone": "+358401234567",
            "answers": {**dict.fromkeys(RED_FLAGS, False), "fever": True},
        }
        sent = await self.intake.post("/forms", json=form, headers=self.resident(sub))
        assert sent.status_code == 201, sent.text
        case_id: str = sent.json()["case_id"]
        await eventually(lambda: self.item(case_id))
        await eventually(
            lambda: self.rows(
                "messaging", "SELECT 1 FROM message_cases WHERE case_id = :c", c=case_id
            )
        )
        return case_id

    async def item(self, case_id: str) -> dict[str, Any] | None:
        response = await self.workqueue.get(f"/queue/items/{case_id}", headers=self.nurse())
        return response.json() if response.status_code == 200 else None

    def emails_to(self, address: str) -> list[EmailMessage]:
        found = []
        for path in sorted(self.mail.glob("*.eml")):
            mail = message_from_bytes(path.read_bytes(), policy=policy.default)
            if address in str(mail["To"]):
                found.append(mail)  # type: ignore[arg-type]
        return found


@pytest.fixture(scope="module")
async def suite(postgres, kafka, tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Suite]:  # type: ignore[no-untyped-def]
    keys = tmp_path_factory.mktemp("keys")
    kid, key = load_signing_key(keys, generate_keypair(keys))
    auth = AuthSettings(jwks_path=keys / "jwks.json")
    sink = SmtpSink(tmp_path_factory.mktemp("mail"), port=_free_port())
    await asyncio.to_thread(sink.start)
    common: dict[str, Any] = {
        "environment": "test",
        "broker": BrokerSettings(
            bootstrap_servers=kafka.bootstrap_servers, idempotent_producer=False
        ),
        "relay": RelaySettings(idle_poll_seconds=0.5, retry_max_seconds=1.0),
        "consumer": quick_consumer(max_workers=1),
        "auth": auth,
    }
    clock = Clock()
    names = ("intake", "workqueue", "messaging", "notification")
    databases = {name: await postgres.create_service_database(name) for name in names}
    group = uuid.uuid4().hex[:8]
    intake = create_intake(
        IntakeSettings(
            database=databases["intake"].settings(pool_size=5),
            # Driven by hand after the clock moves: what the test sees is then certain.
            closer=CloserSettings(enabled=False),
            consumer_group=f"intake-{group}",
            resident_id_key=KEY,
            **common,
        ),
        clock=clock,
    )
    workqueue = create_workqueue(
        WorkqueueSettings(
            database=databases["workqueue"].settings(pool_size=5),
            consumer_group=f"workqueue-{group}",
            **common,
        ),
        clock=clock,
    )
    messaging = create_messaging(
        MessagingSettings(
            database=databases["messaging"].settings(pool_size=5),
            consumer_group=f"messaging-{group}",
            resident_id_key=KEY,
            **common,
        ),
        clock=clock,
    )
    notification = create_notification(
        NotificationSettings(
            database=databases["notification"].settings(pool_size=5),
            consumer_group=f"notification-{group}",
            resident_id_key=KEY,
            smtp=SmtpSettings(port=sink.port, timeout_seconds=5),
            sender=SenderSettings(idle_poll_seconds=0.2),
            **common,
        )
    )

    def sign(principal: Any) -> str:
        return mint_token(key, kid, principal, issuer=auth.issuer, audience=auth.audience)

    def client(app: Any, name: str) -> httpx.AsyncClient:
        return httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url=f"http://{name}")

    try:
        async with (
            intake.router.lifespan_context(intake),
            workqueue.router.lifespan_context(workqueue),
            messaging.router.lifespan_context(messaging),
            notification.router.lifespan_context(notification),
            client(intake, "i") as ic,
            client(workqueue, "w") as wc,
            client(messaging, "m") as mc,
        ):
            yield Suite(
                ic,
                wc,
                mc,
                clock,
                intake.state.container.closer,
                f"org-{group}",
                sign,
                sink.directory,
                {name: db.owner_url for name, db in databases.items()},
            )
            await asyncio.sleep(1.0)  # let relays finish in-flight publishes before stopping
    finally:
        await asyncio.to_thread(sink.stop)


async def test_a_residents_message_is_unread_clears_incomplete_and_the_answer_is_emailed(
    suite: Suite,
):
    sub = f"resident-{uuid.uuid4().hex[:8]}"
    case_id = await suite.case_of(sub)
    nurse = suite.nurse()
    for step in ("take", "incomplete"):
        done = await suite.workqueue.post(f"/queue/items/{case_id}/{step}", headers=nurse)
        assert done.status_code == 200, done.text

    asked = await suite.messaging.post(
        f"/me/cases/{case_id}/messages", json={"text": QUESTION}, headers=suite.resident(sub)
    )
    assert asked.status_code == 201, asked.text

    async def unread_and_cleared() -> dict[str, Any] | None:
        item = await suite.item(case_id)
        return item if item and item["unread_messages"] == 1 else None

    item = await eventually(unread_and_cleared)
    assert item["status"] == "taken"  # "incomplete" cleared by the resident's message

    page = await suite.messaging.get(f"/cases/{case_id}/messages", headers=nurse)
    assert [m["text"] for m in page.json()["messages"]] == [QUESTION]
    answered = await suite.messaging.post(
        f"/cases/{case_id}/messages", json={"text": ANSWER}, headers=nurse
    )
    assert answered.status_code == 201, answered.text
    read = await suite.messaging.post(f"/cases/{case_id}/messages/read", headers=nurse)
    assert read.status_code == 200, read.text

    def new_message_emails() -> list[EmailMessage]:
        return [
            mail
            for mail in suite.emails_to(f"{sub}@example.org")
            if SWEDISH_NEW_MESSAGE in mail.get_body(("plain",)).get_content()  # type: ignore[union-attr]
        ]

    async def emailed() -> list[EmailMessage]:
        return new_message_emails()

    [mail] = await eventually(emailed)
    body = mail.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert f"/cases/{case_id}" in body  # a prompt to log in, in Swedish
    for shown in (body, str(mail["Subject"]), mail.as_string()):
        assert QUESTION not in shown
        assert ANSWER not in shown
        assert "arm" not in shown

    async def read_by_professionals() -> bool:
        shown = await suite.item(case_id)
        return shown is not None and shown["unread_messages"] == 0

    await eventually(read_by_professionals)


async def test_an_objection_by_message_keeps_the_case_open_past_72_hours(suite: Suite):
    objecting, silent = f"resident-{uuid.uuid4().hex[:8]}", f"resident-{uuid.uuid4().hex[:8]}"
    objected_case, silent_case = await suite.case_of(objecting), await suite.case_of(silent)
    nurse = suite.nurse()
    for case_id in (objected_case, silent_case):
        proposal = await suite.intake.post(f"/cases/{case_id}/closing-proposals", headers=nurse)
        assert proposal.status_code == 201, proposal.text

    async def window_known() -> list[Any]:
        return await suite.rows(
            "messaging",
            "SELECT 1 FROM message_cases WHERE case_id = :c AND open_proposal_id IS NOT NULL",
            c=objected_case,
        )

    await eventually(window_known)
    suite.clock.now += timedelta(hours=71)
    objection = await suite.messaging.post(
        f"/me/cases/{objected_case}/messages",
        json={"text": "I am not better yet", "objects_to_closing": True},
        headers=suite.resident(objecting),
    )
    assert objection.status_code == 201, objection.text

    async def recorded() -> list[Any]:
        return await suite.rows(
            "intake",
            "SELECT 1 FROM outbox WHERE key = :c AND event_type = :t",
            c=objected_case,
            t="careflow.case.closing_objected.v1",
        )

    await eventually(recorded)
    suite.clock.now += timedelta(hours=2)  # 73 hours after the proposals
    assert await suite.closer.close_due() == 1  # the silent one only

    async def status(sub: str, case_id: str) -> str:
        page = await suite.intake.get(f"/me/cases/{case_id}", headers=suite.resident(sub))
        assert page.status_code == 200, page.text
        return page.json()["status"]  # type: ignore[no-any-return]

    assert await status(objecting, objected_case) == "open"
    assert await status(silent, silent_case) == "closed"
