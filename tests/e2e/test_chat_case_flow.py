"""Intake, workqueue and messaging together, over the real broker and PostgreSQL: a live chat
that names no case, moved by its nurse to non-urgent, becomes a case in intake (opened at
messaging's request, as a professional-created case), an item in the work queue showing
the resident's chat lines as unread messages, and the transcript on that case in
messaging; no event carries the chat's text."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from careflow.intake.entrypoints.api.app import create_app as create_intake
from careflow.intake.settings import CloserSettings
from careflow.intake.settings import Settings as IntakeSettings
from careflow.messaging.application.chat_flow import post_message
from careflow.messaging.chat_settings import ChatSettings
from careflow.messaging.domain.chat_case import case_id_for_chat
from careflow.messaging.domain.chats import SenderKind
from careflow.messaging.entrypoints.api.app import create_app as create_messaging
from careflow.messaging.settings import Settings as MessagingSettings
from careflow.shared.auth.claims import AuthLevel, ProfessionalPrincipal, ResidentPrincipal
from careflow.shared.auth.signing import generate_keypair, load_signing_key, mint_token
from careflow.shared.settings import AuthSettings, BrokerSettings, RelaySettings
from careflow.testing.settings import quick_consumer
from careflow.workqueue.entrypoints.api.app import create_app as create_workqueue
from careflow.workqueue.settings import Settings as WorkqueueSettings

from .test_case_flow import Clock, eventually

KEY = "e2e-chat-case-resident-id-key"
LINES = (
    (SenderKind.RESIDENT, "My left knee has been swollen for two weeks."),
    (SenderKind.PROFESSIONAL, "Does it hurt when you walk?"),
    (SenderKind.RESIDENT, "Only on the stairs."),
)


@dataclass
class Suite:
    intake: httpx.AsyncClient
    workqueue: httpx.AsyncClient
    messaging: httpx.AsyncClient
    messaging_app: Any
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

    def pro(self, subject: str, *roles: str) -> dict[str, str]:
        principal = ProfessionalPrincipal(
            subject=subject, organisation=self.org, unit="u", roles=list(roles or ("nurse",))
        )
        return {"Authorization": f"Bearer {self.sign(principal)}"}

    def resident(self, sub: str) -> dict[str, str]:
        principal = ResidentPrincipal(subject=sub, auth_level=AuthLevel.STRONG)
        return {"Authorization": f"Bearer {self.sign(principal)}"}


@pytest.fixture(scope="module")
async def suite(postgres, kafka, tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Suite]:  # type: ignore[no-untyped-def]
    keys = tmp_path_factory.mktemp("keys")
    kid, key = load_signing_key(keys, generate_keypair(keys))
    auth = AuthSettings(jwks_path=keys / "jwks.json")
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
    names = ("intake", "workqueue", "messaging")
    databases = {name: await postgres.create_service_database(name) for name in names}
    group = uuid.uuid4().hex[:8]
    intake = create_intake(
        IntakeSettings(
            database=databases["intake"].settings(pool_size=5),
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
            chat=ChatSettings(loops_enabled=False),  # no idle end, no schedules: not under test
            **common,
        ),
        clock=clock,
    )

    def sign(principal: Any) -> str:
        return mint_token(key, kid, principal, issuer=auth.issuer, audience=auth.audience)

    def client(app: Any, name: str) -> httpx.AsyncClient:
        return httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url=f"http://{name}")

    async with (
        intake.router.lifespan_context(intake),
        workqueue.router.lifespan_context(workqueue),
        messaging.router.lifespan_context(messaging),
        client(intake, "i") as ic,
        client(workqueue, "w") as wc,
        client(messaging, "m") as mc,
    ):
        yield Suite(
            ic, wc, mc, messaging, f"org-{group}", sign,
            {name: db.owner_url for name, db in databases.items()},
        )  # fmt: skip
        await asyncio.sleep(1.0)  # let relays finish in-flight publishes before stopping


async def _taken_chat(suite: Suite, sub: str) -> str:
    admin = suite.pro("admin-1", "chat_admin")
    made = await suite.messaging.post(
        "/chat-channels", json={"name": "Nurse chat", "visibility": "residents"}, headers=admin
    )
    assert made.status_code == 201, made.text
    channel_id = made.json()["channel_id"]
    opened = await suite.messaging.patch(
        f"/chat-channels/{channel_id}", json={"open": True}, headers=admin
    )
    assert opened.status_code == 200, opened.text
    present = await suite.messaging.put(
        f"/chat-channels/{channel_id}/presence",
        json={"present": True},
        headers=suite.pro("nurse-1"),
    )
    assert present.status_code == 200, present.text
    started = await suite.messaging.post(
        "/chats", json={"channel_id": channel_id, "language": "sv"}, headers=suite.resident(sub)
    )
    assert started.status_code == 201, started.text
    chat_id: str = started.json()["chat"]["chat_id"]
    took = await suite.messaging.post(f"/chats/{chat_id}/take", headers=suite.pro("nurse-1"))
    assert took.status_code == 200, took.text
    return chat_id


async def test_a_caseless_chat_moved_to_non_urgent_becomes_a_queued_case_with_its_transcript(
    suite: Suite,
) -> None:
    sub = f"resident-{uuid.uuid4().hex[:8]}"
    chat_id = await _taken_chat(suite, sub)
    container = suite.messaging_app.state.container
    resident_id = str(container.resident_ids.of(sub))
    for kind, line in LINES:
        # What the chat socket's `send` frame calls (sockets have their own tests).
        await post_message(
            container.chat_uow(), uuid.UUID(chat_id), kind=kind,
            sender_id=resident_id if kind is SenderKind.RESIDENT else "nurse-1",
            client_message_id=uuid.uuid4(), text=line, now=container.clock(),
        )  # fmt: skip
    moved = await suite.messaging.post(
        f"/chats/{chat_id}/transfer", json={"non_urgent": True}, headers=suite.pro("nurse-1")
    )
    assert moved.status_code == 200, moved.text
    case_id = str(case_id_for_chat(uuid.UUID(chat_id)))

    # Intake opened the case, in the chat's organisation, for the chat's resident.
    async def case() -> dict[str, Any] | None:
        got = await suite.intake.get(f"/cases/{case_id}", headers=suite.pro("nurse-1"))
        return got.json() if got.status_code == 200 else None

    page = await eventually(case)
    assert page["kind"] == "chat_conversation", page
    rows = await suite.rows(
        "intake", "SELECT organisation_id, resident_id FROM cases WHERE id = :c", c=case_id
    )
    assert [(r[0], str(r[1])) for r in rows] == [(suite.org, resident_id)]

    # The work queue has its item, showing the resident's two lines as unread messages.
    async def item_with_unread() -> dict[str, Any] | None:
        got = await suite.workqueue.get(f"/queue/items/{case_id}", headers=suite.pro("nurse-1"))
        if got.status_code != 200 or got.json()["unread_messages"] != 2:
            return None
        return got.json()

    item = await eventually(item_with_unread)
    assert item["case_kind"] == "chat_conversation", item

    # Messaging has the transcript on the case, in order, each line of its side.
    messages = await suite.messaging.get(f"/cases/{case_id}/messages", headers=suite.pro("nurse-1"))
    assert messages.status_code == 200, messages.text
    body = messages.json()
    assert [(m["author"], m["text"]) for m in reversed(body["messages"])] == [
        (kind.value, line) for kind, line in LINES
    ]
    assert body["unread"] == 2

    # No event of any of the three services carried the chat's text.
    for service in ("messaging", "intake", "workqueue"):
        payloads = " ".join(str(r) for r in await suite.rows(service, "SELECT * FROM outbox"))
        assert all(line not in payloads for _, line in LINES), service
