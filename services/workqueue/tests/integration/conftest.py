"""The real service (migrations, consumer, relay, HTTP) on real PostgreSQL and the broker."""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator
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
from careflow.shared.auth.claims import ProfessionalPrincipal
from careflow.shared.auth.signing import generate_keypair, load_signing_key, mint_token
from careflow.shared.outbox.tables import inbox, outbox
from careflow.shared.settings import (
    AuthSettings,
    BrokerSettings,
    RelaySettings,
)
from careflow.testing.probe_service import publish_raw, wait_until
from careflow.testing.servers import ServiceDatabase
from careflow.testing.settings import quick_consumer
from careflow.workqueue.adapters.tables import audit_records, queue_items
from careflow.workqueue.entrypoints.api.app import create_app
from careflow.workqueue.settings import Settings


def submitted(org: str, **overrides: Any) -> CaseSubmitted:
    fields: dict[str, Any] = {
        "case_id": uuid.uuid4(),
        "resident_id": uuid.uuid4(),
        "organisation_id": org,
        "group_id": "nurses",
        "form_kind": "symptom_assessment",
        "identification": "identified",
        "language": "fi",
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
    org: str
    key: Any
    kid: str
    auth: AuthSettings
    #: The service's wiring (unit-of-work factory, policies), for use cases run directly.
    container: Any = None

    def token(self, sub: str, *, org: str | None = None, roles: tuple[str, ...] = ()) -> dict:
        principal = ProfessionalPrincipal(
            subject=sub, organisation=org or self.org, unit="unit-1", roles=list(roles)
        )
        token = mint_token(
            self.key, self.kid, principal, issuer=self.auth.issuer, audience=self.auth.audience
        )
        return {"Authorization": f"Bearer {token}"}

    async def publish(self, *events: ContractEvent, event_id: str | None = None) -> list[str]:
        """Publishes each event on its registry topic (case events in one call, in order)."""
        ids = [event_id or str(uuid.uuid4()) for _ in events]
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

    async def wait_for_inbox(self, event_id: str) -> None:
        async def seen() -> bool:
            return bool(await self.sql(select(inbox).where(inbox.c.event_id == event_id)))

        await wait_until(seen, within=30)

    async def sql(self, stmt: Any) -> list[Any]:
        engine = create_async_engine(self.db_url)
        try:
            async with engine.connect() as conn:
                return list(await conn.execute(stmt))
        finally:
            await engine.dispose()

    async def items_of(self, case_id: uuid.UUID) -> list[Any]:
        return await self.sql(select(queue_items).where(queue_items.c.case_id == case_id))

    async def wait_for_item(self, case_id: uuid.UUID) -> None:
        async def present() -> bool:
            return bool(await self.items_of(case_id))

        await wait_until(present, within=30)

    async def outbox_types(self, case_id: uuid.UUID) -> list[str]:
        rows = await self.sql(
            select(outbox.c.event_type).where(outbox.c.key == str(case_id)).order_by(outbox.c.id)
        )
        return [r.event_type for r in rows]

    async def audit_count(self) -> int:
        rows = await self.sql(select(text("count(*)")).select_from(audit_records))
        return int(rows[0][0])


@pytest.fixture
async def service(  # type: ignore[no-untyped-def]
    service_database: ServiceDatabase, kafka, tmp_path: Path, request
) -> AsyncIterator[Service]:
    """The service for one test's organisation; `indirect` parametrisation gives that
    organisation its own urgency-scale override (contracts.urgency.load_scale format)."""
    org = f"org-{uuid.uuid4().hex[:8]}"
    scales: dict[str, Path] = {}
    if getattr(request, "param", None) is not None:
        scales[org] = tmp_path / "urgency-scale.json"
        scales[org].write_text(json.dumps(request.param))
    kid = generate_keypair(tmp_path)
    _kid, key = load_signing_key(tmp_path, kid)
    auth = AuthSettings(jwks_path=tmp_path / "jwks.json")
    settings = Settings(
        # Migrated by the owner role; the service connects as a role that owns nothing.
        database=service_database.settings(pool_size=5),
        broker=BrokerSettings(bootstrap_servers=kafka.bootstrap_servers, idempotent_producer=False),
        relay=RelaySettings(idle_poll_seconds=0.5, retry_max_seconds=1.0),
        consumer=quick_consumer(),
        auth=auth,
        # Each test its own group: it reads the topic with its own database and offsets.
        consumer_group=f"workqueue-{uuid.uuid4().hex[:8]}",
        urgency_scales=scales,
    )
    app = create_app(settings)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(
            transport=httpx.ASGITransport(app), base_url="http://workqueue"
        ) as client,
    ):
        yield Service(
            client,
            kafka.bootstrap_servers,
            service_database.owner_url,
            org,
            key,
            kid,
            auth,
            app.state.container,
        )
