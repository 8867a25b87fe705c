"""The real service (migrations, consumer, relay, HTTP) on real PostgreSQL and the broker,
started once per test module; every test makes its own ids."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
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
from careflow.messaging.entrypoints.api.app import create_app
from careflow.messaging.settings import SendLimits, Settings
from careflow.shared.auth.claims import AuthLevel, Child, ProfessionalPrincipal, ResidentPrincipal
from careflow.shared.auth.pseudonyms import ResidentIds
from careflow.shared.auth.signing import generate_keypair, load_signing_key, mint_token
from careflow.shared.outbox.tables import inbox, outbox
from careflow.shared.settings import AuthSettings, BrokerSettings, RelaySettings
from careflow.testing.probe_service import publish_raw, wait_until
from careflow.testing.settings import quick_consumer

KEY = "messaging-tests-resident-id-key"
IDS = ResidentIds(KEY.encode())
#: The send limit of the tests' service: small, so a test reaches it quickly.
LIMIT = 4


class Clock:
    """The service's clock; a test moves it (objection windows)."""

    def __init__(self) -> None:
        self.offset = timedelta()

    def __call__(self) -> datetime:
        return datetime.now(UTC) + self.offset


def submitted(org: str, resident_sub: str, **overrides: Any) -> CaseSubmitted:
    fields: dict[str, Any] = {
        "case_id": uuid.uuid4(),
        "resident_id": IDS.of(resident_sub),
        "organisation_id": org,
        "group_id": "nurses",
        "form_kind": "symptom_assessment",
        "identification": "identified",
        "language": "sv",
        "urgency": "P3",
        "phone_contact_allowed": True,
        "submitted_at": datetime.now(UTC) - timedelta(hours=1),
    }
    return CaseSubmitted(**(fields | overrides))


@dataclass
class Service:
    client: httpx.AsyncClient
    bootstrap: str
    db_url: str
    sign: Callable[[Any], str]
    clock: Clock

    def professional(self, org: str, sub: str = "nurse-1", roles: tuple[str, ...] = ()) -> dict:
        principal = ProfessionalPrincipal(
            subject=sub, organisation=org, unit="unit-1", roles=list(roles)
        )
        return {"Authorization": f"Bearer {self.sign(principal)}"}

    def resident(self, sub: str, children: tuple[str, ...] = ()) -> dict:
        principal = ResidentPrincipal(
            subject=sub,
            auth_level=AuthLevel.STRONG,
            guardian_of=[Child(subject=c, birth_date="2020-01-01") for c in children],
        )
        return {"Authorization": f"Bearer {self.sign(principal)}"}

    async def publish(self, *events: ContractEvent) -> list[str]:
        """Publishes each event on its registry topic, in order; returns the event ids."""
        ids = [str(uuid.uuid4()) for _ in events]
        by_topic: dict[str, list[tuple[bytes, bytes, list[tuple[str, bytes]]]]] = {}
        for i, e in enumerate(events):
            headers = Envelope(
                id=ids[i], type=e.event_type, source="/careflow/intake", subject=e.key()
            ).to_headers()
            by_topic.setdefault(TOPICS.for_event(e).name, []).append(
                (e.key().encode(), e.model_dump_json().encode(), headers)
            )
        for topic, messages in by_topic.items():
            await publish_raw(self.bootstrap, topic, messages)
        return ids

    async def applied(self, *events: ContractEvent) -> None:
        """Publishes the events and waits until the service has applied the last one."""
        ids = await self.publish(*events)

        async def seen() -> bool:
            return bool(await self.sql(select(inbox).where(inbox.c.event_id == ids[-1])))

        await wait_until(seen, within=60)

    async def sql(self, stmt: Any, **params: Any) -> list[Any]:
        engine = create_async_engine(self.db_url)
        try:
            async with engine.connect() as conn:
                statement = text(stmt) if isinstance(stmt, str) else stmt
                return list(await conn.execute(statement, params))
        finally:
            await engine.dispose()

    async def outbox_of(self, key: str) -> list[tuple[str, dict[str, Any]]]:
        rows = await self.sql(
            select(outbox.c.event_type, outbox.c.payload)
            .where(outbox.c.key == key)
            .order_by(outbox.c.id)
        )
        return [(r.event_type, r.payload) for r in rows]

    async def notification_requests(self, case_id: uuid.UUID) -> list[dict[str, Any]]:
        rows = await self.sql(
            select(outbox.c.payload).where(
                outbox.c.event_type == "careflow.notification.requested.v1"
            )
        )
        return [r.payload for r in rows if r.payload.get("case_id") == str(case_id)]


@pytest.fixture(scope="module")
async def service(
    postgres, kafka, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Service]:  # type: ignore[no-untyped-def]
    keys: Path = tmp_path_factory.mktemp("keys")
    kid, key = load_signing_key(keys, generate_keypair(keys))
    auth = AuthSettings(jwks_path=keys / "jwks.json")
    database = await postgres.create_service_database()
    clock = Clock()
    settings = Settings(
        environment="test",
        database=database.settings(pool_size=5),
        broker=BrokerSettings(bootstrap_servers=kafka.bootstrap_servers, idempotent_producer=False),
        relay=RelaySettings(idle_poll_seconds=0.5, retry_max_seconds=1.0),
        consumer=quick_consumer(),
        auth=auth,
        consumer_group=f"messaging-{uuid.uuid4().hex[:8]}",
        resident_id_key=KEY,
        send_limits=SendLimits(messages=LIMIT, window_seconds=600),
    )
    app = create_app(settings, clock=clock)

    def sign(principal: Any) -> str:
        return mint_token(key, kid, principal, issuer=auth.issuer, audience=auth.audience)

    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(
            transport=httpx.ASGITransport(app), base_url="http://messaging"
        ) as client,
    ):
        yield Service(client, kafka.bootstrap_servers, database.owner_url, sign, clock)
