"""The real service (migrations, consumers, relay, senders, HTTP) on real PostgreSQL, the
broker, an SMTP server and an SMS provider."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import create_async_engine

from careflow.contracts.base import ContractEvent
from careflow.contracts.envelope import Envelope
from careflow.contracts.registry import TOPICS
from careflow.contracts.residents import ResidentContactDetailsChanged, ResidentContactUpdated
from careflow.notification.adapters.tables import deliveries
from careflow.notification.entrypoints.api.app import create_app
from careflow.notification.settings import SenderSettings, Settings, SmsSettings, SmtpSettings
from careflow.shared.auth.claims import AuthLevel, Child, ResidentPrincipal
from careflow.shared.auth.pseudonyms import ResidentIds
from careflow.shared.auth.signing import generate_keypair, load_signing_key, mint_token
from careflow.shared.outbox.tables import inbox
from careflow.shared.settings import (
    AuthSettings,
    BrokerSettings,
    RelaySettings,
)
from careflow.testing.probe_service import publish_raw, wait_until
from careflow.testing.servers import ServiceDatabase
from careflow.testing.settings import quick_consumer

from .fakes import SmsProvider, SmtpServer

KEY = "integration-test-resident-id-key"
IDS = ResidentIds(KEY.encode())
SUBJECTS: dict[uuid.UUID, str] = {}


@dataclass
class Service:
    client: httpx.AsyncClient
    bootstrap: str
    db_url: str
    smtp: SmtpServer
    sms: SmsProvider
    key: Any
    kid: str
    auth: AuthSettings

    def token(self, subject: str, *, strong: bool = True, children: list[Child] = ()) -> dict:  # type: ignore[assignment]
        principal = ResidentPrincipal(
            subject=subject,
            auth_level=AuthLevel.STRONG if strong else AuthLevel.ANONYMOUS,
            guardian_of=list(children),
        )
        token = mint_token(
            self.key, self.kid, principal, issuer=self.auth.issuer, audience=self.auth.audience
        )
        return {"Authorization": f"Bearer {token}"}

    def token_for(self, resident_id: uuid.UUID) -> dict:  # type: ignore[type-arg]
        return self.token(SUBJECTS[resident_id])

    async def publish(self, *events: ContractEvent, event_id: str | None = None) -> list[str]:
        ids = [event_id or str(uuid.uuid4()) for _ in events]
        for i, event in enumerate(events):
            topic = TOPICS.for_event(event).name
            headers = Envelope(
                id=ids[i], type=event.event_type, source="/careflow/tests", subject=event.key()
            ).to_headers()
            await publish_raw(
                self.bootstrap,
                topic,
                [(event.key().encode(), event.model_dump_json().encode(), headers)],
            )
        return ids

    async def resident(self, subject: str, **consents: Any) -> uuid.UUID:
        """Publishes the resident's consents and contact details and waits until both
        are applied (they travel on different topics, so either may land first)."""
        resident_id = IDS.of(subject)
        SUBJECTS[resident_id] = subject
        for event_id in await self.publish(*resident_events(resident_id, **consents)):
            await self.wait_for_inbox(event_id)
        return resident_id

    async def sql(self, stmt: Any) -> list[Any]:
        engine = create_async_engine(self.db_url)
        try:
            async with engine.connect() as conn:
                return list(await conn.execute(stmt))
        finally:
            await engine.dispose()

    async def wait_for_inbox(self, event_id: str) -> None:
        async def seen() -> bool:
            return bool(await self.sql(select(inbox).where(inbox.c.event_id == event_id)))

        await wait_until(seen, within=60)

    async def statuses(self, resident_id: uuid.UUID) -> dict[str, tuple[str, str | None]]:
        rows = await self.sql(select(deliveries).where(deliveries.c.resident_id == resident_id))
        return {r.channel: (r.status, r.reason) for r in rows}

    async def wait_for_statuses(
        self, resident_id: uuid.UUID, predicate: Callable[[dict[str, Any]], bool]
    ) -> dict[str, tuple[str, str | None]]:
        found: dict[str, Any] = {}

        async def met() -> bool:
            found.update(await self.statuses(resident_id))
            return predicate(found)

        await wait_until(met, within=60)
        return found


def resident_events(
    resident_id: uuid.UUID,
    *,
    language: str = "fi",
    email: str | None = "resident@example.org",
    phone: str | None = "+358401234567",
    email_on: bool = True,
    sms_on: bool = True,
    time_zone: str | None = "Europe/Helsinki",
) -> list[ContractEvent]:
    now = datetime.now(UTC)
    return [
        ResidentContactUpdated(
            resident_id=resident_id,
            anonymous=False,
            email_notifications=email_on,
            sms_notifications=sms_on,
            phone_contact_allowed=phone is not None,
            communication_language=language,  # type: ignore[arg-type]
            has_email=email is not None,
            has_phone=phone is not None,
            updated_at=now,
            time_zone=time_zone,
        ),
        ResidentContactDetailsChanged(
            resident_id=resident_id,
            email=email,
            phone=phone,
            communication_language=language,  # type: ignore[arg-type]
            changed_at=now,
        ),
    ]


ServiceFactory = Callable[..., contextlib.AbstractAsyncContextManager[Service]]


@pytest.fixture
async def start_service(
    service_database: ServiceDatabase, kafka, tmp_path: Path
) -> AsyncIterator[ServiceFactory]:  # type: ignore[no-untyped-def]
    kid = generate_keypair(tmp_path)
    _kid, key = load_signing_key(tmp_path, kid)
    auth = AuthSettings(jwks_path=tmp_path / "jwks.json")
    smtp, sms = SmtpServer(), SmsProvider()
    await asyncio.to_thread(smtp.start)
    await asyncio.to_thread(sms.start)

    @contextlib.asynccontextmanager
    async def started(**sender: Any) -> AsyncIterator[Service]:
        settings = Settings(
            # Migrated by the owner role; the service connects as a role that owns nothing.
            database=service_database.settings(pool_size=5),
            broker=BrokerSettings(
                bootstrap_servers=kafka.bootstrap_servers, idempotent_producer=False
            ),
            relay=RelaySettings(idle_poll_seconds=0.5, retry_max_seconds=1.0),
            # One Kafka consumer per topic: five topics in one group rebalance less on 2 cores.
            consumer=quick_consumer(max_workers=1),
            auth=auth,
            consumer_group=f"notification-{uuid.uuid4().hex[:8]}",
            resident_id_key=KEY,  # type: ignore[arg-type]
            smtp=SmtpSettings(port=smtp.port, timeout_seconds=5),
            sms=SmsSettings(provider_url=sms.url, timeout_seconds=5),
            sender=SenderSettings(
                idle_poll_seconds=0.2,
                retry_initial_seconds=0.2,
                retry_max_seconds=1.0,
                **({"park_check_seconds": 0.5} | sender),
            ),
        )
        app = create_app(settings)
        async with (
            app.router.lifespan_context(app),
            httpx.AsyncClient(
                transport=httpx.ASGITransport(app), base_url="http://notification"
            ) as client,
        ):
            yield Service(
                client,
                kafka.bootstrap_servers,
                service_database.owner_url,
                smtp,
                sms,
                key,
                kid,
                auth,
            )

    try:
        yield started
    finally:
        await asyncio.to_thread(smtp.stop)
        await asyncio.to_thread(sms.stop)


@pytest.fixture
async def service(start_service: ServiceFactory) -> AsyncIterator[Service]:
    async with start_service() as running:
        yield running
