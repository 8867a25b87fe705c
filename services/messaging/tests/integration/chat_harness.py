"""One real messaging server (uvicorn on a free port) for a chat test module: real PostgreSQL,
the real broker, real sockets; tokens minted with a test key; a clock the tests move."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import json
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import uvicorn
from sqlalchemy import select
from sqlalchemy.ext.asyncio import create_async_engine
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from careflow.contracts.cases import CaseSubmitted
from careflow.contracts.envelope import Envelope
from careflow.contracts.registry import TOPICS
from careflow.messaging.chat_settings import ChatSettings
from careflow.messaging.entrypoints.api.app import create_app
from careflow.messaging.settings import Settings
from careflow.shared.auth.claims import AuthLevel, ProfessionalPrincipal, ResidentPrincipal
from careflow.shared.auth.pseudonyms import ResidentIds
from careflow.shared.auth.signing import generate_keypair, load_signing_key, mint_token
from careflow.shared.outbox.tables import inbox, outbox
from careflow.shared.settings import AuthSettings, BrokerSettings, RelaySettings
from careflow.testing.probe_service import publish_raw, wait_until
from careflow.testing.settings import quick_consumer

KEY = "integration-test-resident-id-key"
IDS = ResidentIds(KEY.encode())


@dataclass
class MovableClock:
    """Real time plus an offset the tests set; the server's injected clock."""

    offset: timedelta = timedelta()
    fixed: datetime | None = None

    def __call__(self) -> datetime:
        return self.fixed if self.fixed is not None else datetime.now(UTC) + self.offset


@dataclass
class ChatServer:
    port: int
    db_url: str
    key: Any
    kid: str
    auth: AuthSettings
    app: Any
    clock: MovableClock
    bootstrap: str
    http: httpx.AsyncClient = field(init=False)
    settings: Settings = field(init=False)

    @property
    def container(self) -> Any:
        return self.app.state.container

    def _token(self, principal: Any, ttl: int) -> str:
        return mint_token(
            self.key,
            self.kid,
            principal,
            issuer=self.auth.issuer,
            audience=self.auth.audience,
            ttl=ttl,
        )

    def pro_token(self, subject: str, org: str, *roles: str, ttl: int = 600) -> str:
        principal = ProfessionalPrincipal(
            subject=subject, organisation=org, unit="unit-1", roles=list(roles)
        )
        return self._token(principal, ttl)

    def resident_token(self, subject: str, ttl: int = 600) -> str:
        return self._token(ResidentPrincipal(subject=subject, auth_level=AuthLevel.STRONG), ttl)

    @staticmethod
    def bearer(token: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {token}"}

    def socket(self, path: str) -> Any:
        return connect(f"ws://127.0.0.1:{self.port}{path}", open_timeout=20, close_timeout=5)

    async def sql(self, stmt: Any) -> list[Any]:
        engine = create_async_engine(self.db_url)
        try:
            async with engine.connect() as conn:
                return list(await conn.execute(stmt))
        finally:
            await engine.dispose()

    async def outbox_types(self, key: str) -> list[str]:
        rows = await self.sql(
            select(outbox.c.event_type).where(outbox.c.key == key).order_by(outbox.c.id)
        )
        return [r.event_type for r in rows]

    async def case_opened(self, org: str, resident_subject: str) -> uuid.UUID:
        """Publishes intake's CaseSubmitted over the broker; waits until messaging applied it."""
        case_id = uuid.uuid4()
        event = CaseSubmitted(
            case_id=case_id, resident_id=IDS.of(resident_subject), organisation_id=org,
            group_id="nurses", form_kind="symptom_assessment", identification="identified",
            language="fi", urgency="P3", phone_contact_allowed=True,
            submitted_at=datetime.now(UTC) - timedelta(hours=1),
        )  # fmt: skip
        event_id = str(uuid.uuid4())
        headers = Envelope(
            id=event_id, type=event.event_type, source="/careflow/intake", subject=event.key()
        ).to_headers()
        await publish_raw(
            self.bootstrap,
            TOPICS.for_event(event).name,
            [(event.key().encode(), event.model_dump_json().encode(), headers)],
        )

        async def applied() -> bool:
            return bool(await self.sql(select(inbox).where(inbox.c.event_id == event_id)))

        await wait_until(applied, within=90)
        return case_id

    async def audit_items(self, org: str, professional_id: str) -> list[dict[str, Any]]:
        """The audit records of one professional in the last and next five minutes."""
        since = (self.clock() - timedelta(minutes=5)).isoformat()
        until = (self.clock() + timedelta(minutes=5)).isoformat()
        page = await self.http.get(
            "/audit-records",
            params={"from": since, "to": until, "professional_id": professional_id},
            headers=self.bearer(self.pro_token("auditor-1", org, "auditor")),
        )
        assert page.status_code == 200, page.text
        return page.json()["items"]  # type: ignore[no-any-return]

    async def outbox_payloads_of_type(self, event_type: str) -> list[dict[str, Any]]:
        query = select(outbox.c.payload).where(outbox.c.event_type == event_type)
        return [r.payload for r in await self.sql(query.order_by(outbox.c.id))]

    async def outbox_payloads(self, key: str) -> list[dict[str, Any]]:
        rows = await self.sql(
            select(outbox.c.payload).where(outbox.c.key == key).order_by(outbox.c.id)
        )
        return [r.payload for r in rows]


async def authed(ws: ClientConnection, token: str) -> dict[str, Any]:
    await ws.send(json.dumps({"type": "auth", "token": token}))
    return await frame(ws)


async def frame(ws: ClientConnection, within: float = 20.0) -> dict[str, Any]:
    return json.loads(await asyncio.wait_for(ws.recv(), within))  # type: ignore[no-any-return]


@contextlib.asynccontextmanager
async def _serving(settings: Settings, clock: MovableClock) -> AsyncIterator[tuple[Any, int]]:
    """One process's app under uvicorn on a free port (its lifespan: listener, loops, relay)."""
    app = create_app(settings, clock=clock)
    config = uvicorn.Config(
        app, host="127.0.0.1", port=0, lifespan="on", log_level="warning", ws="websockets-sansio"
    )
    server = uvicorn.Server(config)
    serving = asyncio.create_task(server.serve())
    try:
        while not server.started:
            if serving.done():
                serving.result()
            await asyncio.sleep(0.05)
        yield app, server.servers[0].sockets[0].getsockname()[1]
    finally:
        server.should_exit = True
        await serving


@contextlib.asynccontextmanager
async def chat_server(
    postgres: Any, kafka: Any, tmp: Path, **chat: Any
) -> AsyncIterator[ChatServer]:
    database = await postgres.create_service_database()
    kid = generate_keypair(tmp)
    _kid, key = load_signing_key(tmp, kid)
    auth = AuthSettings(jwks_path=tmp / "jwks.json")
    clock = MovableClock()
    settings = Settings(
        database=database.settings(pool_size=10),
        broker=BrokerSettings(bootstrap_servers=kafka.bootstrap_servers, idempotent_producer=False),
        relay=RelaySettings(idle_poll_seconds=0.5, retry_max_seconds=1.0),
        consumer=quick_consumer(max_workers=1),
        auth=auth,
        consumer_group=f"messaging-{uuid.uuid4().hex[:8]}",
        resident_id_key=KEY,  # type: ignore[arg-type]
        chat=ChatSettings(
            **({"poll_seconds": 2.0, "timer_seconds": 0.2, "auth_timeout_seconds": 3.0} | chat)
        ),
    )
    async with _serving(settings, clock) as (app, port):
        running = ChatServer(
            port, database.owner_url, key, kid, auth, app, clock, kafka.bootstrap_servers
        )
        running.settings = settings
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=30) as http:
            running.http = http
            yield running


@contextlib.asynccontextmanager
async def replica(of: ChatServer) -> AsyncIterator[ChatServer]:
    """A second process of the same service: same database, same consumer group."""
    async with _serving(of.settings, of.clock) as (app, port):
        twin = dataclasses.replace(of, port=port, app=app)
        twin.settings = of.settings
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=30) as http:
            twin.http = http
            yield twin


async def open_channel(
    server: ChatServer, org: str, *, visibility: str = "residents", **fields: Any
) -> str:
    admin = server.bearer(server.pro_token("admin-1", org, "chat_admin"))
    made = await server.http.post(
        "/chat-channels", json={"name": "Nurse chat", "visibility": visibility}, headers=admin
    )
    assert made.status_code == 201, made.text
    channel_id = made.json()["channel_id"]
    opened = await server.http.patch(
        f"/chat-channels/{channel_id}", json={"open": True, **fields}, headers=admin
    )
    assert opened.status_code == 200, opened.text
    return channel_id  # type: ignore[no-any-return]


async def be_present(
    server: ChatServer, org: str, channel_id: str, pro: str, *, present: bool = True, **fields: Any
) -> None:
    answer = await server.http.put(
        f"/chat-channels/{channel_id}/presence",
        json={"present": present, **fields},
        headers=server.bearer(server.pro_token(pro, org)),
    )
    assert answer.status_code == 200, answer.text


async def taken_chat(server: ChatServer, org: str, resident: str, pro: str) -> str:
    channel_id = await open_channel(server, org)
    await be_present(server, org, channel_id, pro)
    started = await server.http.post(
        "/chats",
        json={"channel_id": channel_id, "language": "fi"},
        headers=server.bearer(server.resident_token(resident)),
    )
    assert started.status_code == 201, started.text
    chat_id = started.json()["chat"]["chat_id"]
    took = await server.http.post(
        f"/chats/{chat_id}/take", headers=server.bearer(server.pro_token(pro, org))
    )
    assert took.status_code == 200, took.text
    return chat_id  # type: ignore[no-any-return]


def send(text: str, client_id: uuid.UUID | None = None) -> str:
    return json.dumps(
        {"type": "send", "client_message_id": str(client_id or uuid.uuid4()), "text": text}
    )


async def next_of(ws: Any, kind: str) -> dict[str, Any]:
    while True:
        got = await frame(ws)
        if got["type"] == kind:
            return got


@dataclass
class Closing:
    """Every frame a socket received until the server closed it, and how it closed."""

    frames: list[dict[str, Any]]
    code: int
    reason: str

    def mention(self, text: str) -> bool:
        return any(text in json.dumps(f) for f in self.frames)


async def until_closed(ws: ClientConnection, within: float = 30.0) -> Closing:
    frames: list[dict[str, Any]] = []
    try:
        while True:
            frames.append(await frame(ws, within))
    except ConnectionClosed as closed:
        if closed.rcvd is None:
            raise AssertionError("the connection ended without a close frame") from closed
        return Closing(frames, closed.rcvd.code, closed.rcvd.reason)
