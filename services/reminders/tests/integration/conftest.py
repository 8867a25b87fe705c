"""The real service (migrations, consumers, relay, scheduler, HTTP) on real PostgreSQL and
the broker, with a clock the tests move."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import create_async_engine

from careflow.contracts.base import ContractEvent
from careflow.contracts.cases import CaseSubmitted
from careflow.contracts.envelope import Envelope
from careflow.contracts.registry import TOPICS
from careflow.contracts.residents import ResidentContactUpdated
from careflow.reminders.entrypoints.api.app import create_app
from careflow.reminders.settings import SchedulerSettings, Settings
from careflow.shared.auth.claims import ProfessionalPrincipal
from careflow.shared.auth.signing import generate_keypair, load_signing_key, mint_token
from careflow.shared.outbox.tables import inbox, outbox
from careflow.shared.settings import AuthSettings, BrokerSettings, RelaySettings
from careflow.testing.probe_service import publish_raw, wait_until
from careflow.testing.servers import ServiceDatabase
from careflow.testing.settings import quick_consumer


@dataclass
class Clock:
    """Real time moved by `offset`: tests jump ahead to a send time (an accelerated clock)."""

    offset: timedelta = timedelta(0)

    def __call__(self) -> datetime:
        return datetime.now(UTC) + self.offset

    def jump_to(self, moment: datetime) -> None:
        self.offset = moment - datetime.now(UTC)


@dataclass
class Service:
    client: httpx.AsyncClient
    bootstrap: str
    db_url: str
    key: Any
    kid: str
    auth: AuthSettings
    clock: Clock
    container: Any = None
    org: str = field(default_factory=lambda: f"org-{uuid.uuid4().hex[:8]}")

    def token(
        self, sub: str = "nurse-1", *, roles: tuple[str, ...] = ("nurse",), org: str | None = None
    ) -> dict[str, str]:
        principal = ProfessionalPrincipal(
            subject=sub, organisation=org or self.org, unit="unit-1", roles=list(roles)
        )
        token = mint_token(
            self.key, self.kid, principal, issuer=self.auth.issuer, audience=self.auth.audience
        )
        return {"Authorization": f"Bearer {token}"}

    def admin(self) -> dict[str, str]:
        return self.token("admin-1", roles=("admin",))

    async def publish(self, *events: ContractEvent) -> list[str]:
        ids = []
        for event in events:
            event_id = str(uuid.uuid4())
            headers = Envelope(
                id=event_id, type=event.event_type, source="/careflow/tests", subject=event.key()
            ).to_headers()
            await publish_raw(
                self.bootstrap,
                TOPICS.for_event(event).name,
                [(event.key().encode(), event.model_dump_json().encode(), headers)],
            )
            ids.append(event_id)
        return ids

    async def apply(self, *events: ContractEvent) -> None:
        """Publishes and waits until the service has consumed each event."""
        for event_id in await self.publish(*events):
            await self.wait_for_inbox(event_id)

    async def wait_for_inbox(self, event_id: str) -> None:
        async def seen() -> bool:
            return bool(await self.sql(select(inbox).where(inbox.c.event_id == event_id)))

        await wait_until(seen, within=60)

    async def sql(self, stmt: Any, **params: Any) -> list[Any]:
        engine = create_async_engine(self.db_url)
        try:
            async with engine.begin() as conn:
                if isinstance(stmt, str):
                    stmt = text(stmt)
                result = await conn.execute(stmt, params)
                return list(result) if result.returns_rows else []
        finally:
            await engine.dispose()

    async def resident(self, *, email: bool = True, phone: bool = True, **opt: bool) -> uuid.UUID:
        """A resident with a case in the organisation and known contact presence."""
        resident_id = uuid.uuid4()
        await self.apply(
            case_of(resident_id, self.org), contact_of(resident_id, email, phone, **opt)
        )
        return resident_id

    async def requests_for(self, key: uuid.UUID | str) -> list[str]:
        rows = await self.sql(
            select(outbox.c.event_type).where(outbox.c.key == str(key)).order_by(outbox.c.id)
        )
        return [r.event_type for r in rows]

    async def sends_of_booking(self, booking_id: str) -> list[Any]:
        return await self.sql(
            "SELECT s.* FROM reminder_sends s JOIN reminders r USING (reminder_id) "
            "WHERE r.booking_id = :b ORDER BY s.send_at",
            b=booking_id,
        )


def case_of(resident_id: uuid.UUID, org: str, case_id: uuid.UUID | None = None) -> CaseSubmitted:
    return CaseSubmitted(
        case_id=case_id or uuid.uuid4(),
        resident_id=resident_id,
        organisation_id=org,
        group_id="nurses",
        form_kind="symptom_assessment",
        identification="identified",
        language="fi",
        urgency="P3",
        phone_contact_allowed=True,
        submitted_at=datetime.now(UTC) - timedelta(hours=1),
    )


def contact_of(
    resident_id: uuid.UUID,
    email: bool = True,
    phone: bool = True,
    *,
    email_on: bool = True,
    sms_on: bool = True,
    at: datetime | None = None,
) -> ResidentContactUpdated:
    return ResidentContactUpdated(
        resident_id=resident_id,
        anonymous=False,
        email_notifications=email_on,
        sms_notifications=sms_on,
        phone_contact_allowed=phone,
        communication_language="fi",
        has_email=email,
        has_phone=phone,
        updated_at=at or datetime.now(UTC),
    )


Starter = Callable[..., contextlib.AbstractAsyncContextManager[Service]]


@pytest.fixture(scope="module")
async def start_service(postgres, kafka, tmp_path_factory) -> AsyncIterator[Starter]:  # type: ignore[no-untyped-def]
    """Starts the service on one database for the module; a second start is a second
    replica (or the same service restarted) on the same database."""
    database: ServiceDatabase = await postgres.create_service_database()
    keys: Path = tmp_path_factory.mktemp("keys")
    kid = generate_keypair(keys)
    _kid, key = load_signing_key(keys, kid)
    auth = AuthSettings(jwks_path=keys / "jwks.json")
    group = f"reminders-{uuid.uuid4().hex[:8]}"
    clock = Clock()

    @contextlib.asynccontextmanager
    async def started(*, scheduler: bool = True, **overrides: Any) -> AsyncIterator[Service]:
        settings = Settings(
            environment="test",
            database=database.settings(pool_size=5),
            broker=BrokerSettings(
                bootstrap_servers=kafka.bootstrap_servers, idempotent_producer=False
            ),
            relay=RelaySettings(idle_poll_seconds=0.3, retry_max_seconds=1.0),
            consumer=quick_consumer(max_workers=1),
            auth=auth,
            consumer_group=group,
            scheduler=SchedulerSettings(enabled=scheduler, poll_seconds=0.1),
            **overrides,
        )
        app = create_app(settings, clock=clock)
        async with (
            app.router.lifespan_context(app),
            httpx.AsyncClient(
                transport=httpx.ASGITransport(app), base_url="http://reminders"
            ) as client,
        ):
            yield Service(
                client,
                kafka.bootstrap_servers,
                database.owner_url,
                key,
                kid,
                auth,
                clock,
                app.state.container,
            )

    return started


@pytest.fixture(scope="module")
async def running(start_service: Starter) -> AsyncIterator[Service]:
    async with start_service() as service:
        yield service


@pytest.fixture
def service(running: Service) -> Service:
    """The module's service; each test starts at the real time in an organisation of its own."""
    running.clock.offset = timedelta(0)
    running.org = f"org-{uuid.uuid4().hex[:8]}"
    return running
