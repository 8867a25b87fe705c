"""The real complaints service (migrations, relay, loops, HTTP) on real PostgreSQL and
the broker, with a real local e-services directory; one service per test module."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import create_async_engine

from careflow.complaints.entrypoints.api.app import create_app
from careflow.complaints.settings import DeliverySettings, DirectorySettings, Settings
from careflow.shared.auth.claims import (
    AuthLevel,
    Child,
    ProfessionalPrincipal,
    ResidentPrincipal,
    ServicePrincipal,
)
from careflow.shared.auth.pseudonyms import ResidentIds
from careflow.shared.auth.signing import generate_keypair, load_signing_key, mint_token
from careflow.shared.outbox.tables import outbox
from careflow.shared.settings import AuthSettings, BrokerSettings, RelaySettings
from careflow.testing.settings import quick_consumer

from .fakes import Directory

KEY = "integration-test-resident-id-key"
IDS = ResidentIds(KEY.encode())


class Clock:
    """The service's clock, movable by the tests (due dates, overdue)."""

    def __init__(self) -> None:
        self.offset = timedelta()

    def __call__(self) -> datetime:
        return datetime.now(UTC) + self.offset


@dataclass
class Service:
    client: httpx.AsyncClient
    app: Any
    db_url: str
    bootstrap: str
    directory: Directory
    clock: Clock
    key: Any
    kid: str
    auth: AuthSettings

    def _bearer(self, principal: Any) -> dict[str, str]:
        token = mint_token(
            self.key, self.kid, principal, issuer=self.auth.issuer, audience=self.auth.audience
        )
        return {"Authorization": f"Bearer {token}"}

    def resident(
        self, subject: str, *, strong: bool = True, children: list[Child] | None = None
    ) -> dict[str, str]:
        level = AuthLevel.STRONG if strong else AuthLevel.ANONYMOUS
        return self._bearer(
            ResidentPrincipal(subject=subject, auth_level=level, guardian_of=children or [])
        )

    def pro(self, subject: str, region: str, unit: str, *roles: str) -> dict[str, str]:
        return self._bearer(
            ProfessionalPrincipal(
                subject=subject, organisation=region, unit=unit, roles=list(roles)
            )
        )

    def system(self, subject: str) -> dict[str, str]:
        return self._bearer(ServicePrincipal(subject=subject))

    @property
    def context(self) -> Any:
        return self.app.state.container.context

    async def sql(self, stmt: Any) -> list[Any]:
        engine = create_async_engine(self.db_url)
        try:
            async with engine.connect() as conn:
                return list(await conn.execute(stmt))
        finally:
            await engine.dispose()

    async def outbox_events(self, event_type: str) -> list[dict[str, Any]]:
        rows = await self.sql(select(outbox.c.payload).where(outbox.c.event_type == event_type))
        return [r.payload for r in rows]

    async def open_region(self, code: str, board: str) -> None:
        """Onboards a region with its patient board, as platform support does."""
        support = self.pro("support-1", "platform", "support", "platform_support")
        r = await self.client.put(
            f"/support/regions/{code}", json={"name": f"Region {code}"}, headers=support
        )
        assert r.status_code == 200, r.text
        r = await self.client.put(
            f"/support/regions/{code}/patient-board",
            json={"hsa_id": board, "name": "Patientnämnden"},
            headers=support,
        )
        assert r.status_code == 200, r.text

    async def add_clinic(self, region: str, hsa_id: str) -> None:
        self.directory.add(hsa_id, region)
        admin = self.pro("admin-" + region, region, "region-office", "regional_admin")
        r = await self.client.post(
            f"/admin/regions/{region}/clinics", json={"hsa_id": hsa_id}, headers=admin
        )
        assert r.status_code == 201, r.text


def hsa(prefix: str = "E") -> str:
    """A fresh, well-formed HSA-id."""
    return f"SE2321000131-{prefix}{uuid.uuid4().hex[:10].upper()}"


def region_code() -> str:
    """A region code few other tests of the module use (codes are only two digits)."""
    return f"{uuid.uuid4().int % 90 + 10:02d}"


def child(birth: date) -> Child:
    return Child(subject=f"child-{uuid.uuid4()}", birth_date=birth)


@pytest.fixture(scope="module")
async def service(
    postgres, kafka, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Service]:  # type: ignore[no-untyped-def]
    database = await postgres.create_service_database()
    keys: Path = tmp_path_factory.mktemp("keys")
    kid = generate_keypair(keys)
    _kid, key = load_signing_key(keys, kid)
    auth = AuthSettings(jwks_path=keys / "jwks.json")
    directory = Directory()
    await directory.start()
    clock = Clock()
    settings = Settings(
        database=database.settings(pool_size=5),
        broker=BrokerSettings(bootstrap_servers=kafka.bootstrap_servers, idempotent_producer=False),
        relay=RelaySettings(idle_poll_seconds=0.5, retry_max_seconds=1.0),
        consumer=quick_consumer(max_workers=1),
        auth=auth,
        consumer_group=f"complaints-{uuid.uuid4().hex[:8]}",
        resident_id_key=KEY,  # type: ignore[arg-type]
        directory=DirectorySettings(url=directory.url, batch_size=1000, sync_seconds=0),
        delivery=DeliverySettings(
            idle_poll_seconds=0.1, retry_initial_seconds=0.2, retry_max_seconds=0.5
        ),
        overdue_count_seconds=0.2,
    )
    app = create_app(settings, clock=clock)
    try:
        async with (
            app.router.lifespan_context(app),
            httpx.AsyncClient(
                transport=httpx.ASGITransport(app), base_url="http://complaints", timeout=60
            ) as client,
        ):
            yield Service(
                client,
                app,
                database.owner_url,
                kafka.bootstrap_servers,
                directory,
                clock,
                key,
                kid,
                auth,
            )
    finally:
        await directory.stop()
