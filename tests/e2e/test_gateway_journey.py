"""The resident journey of `make demo`, through the gateway only; then an auditor reads
every service's audit records in one paged call.

Intake and workqueue run as in production (uvicorn, their own databases, the session's
broker), the gateway in front of them over real HTTP. The demo's steps get only the
gateway's address: `/intake/...` and `/workqueue/...`.
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from careflow.gateway.entrypoints.api.app import create_app as create_gateway
from careflow.gateway.settings import DEFAULT_UPSTREAMS
from careflow.gateway.settings import Settings as GatewaySettings
from careflow.intake.entrypoints.api.app import create_app as create_intake
from careflow.intake.settings import Settings as IntakeSettings
from careflow.local.demo import Demo
from careflow.local.dev_token import dev_token, resident_token
from careflow.shared.audit import AuditCursor
from careflow.shared.auth.signing import JWKS_FILE
from careflow.shared.settings import AuthSettings, BrokerSettings, RelaySettings
from careflow.testing.serving import serving
from careflow.testing.settings import quick_consumer
from careflow.workqueue.entrypoints.api.app import create_app as create_workqueue
from careflow.workqueue.settings import Settings as WorkqueueSettings


@dataclass
class Suite:
    gateway: str
    direct: dict[str, str]  # service -> its own address (for comparison only)
    keys: Path


@pytest.fixture(scope="module")
async def suite(postgres, kafka, tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Suite]:  # type: ignore[no-untyped-def]
    keys = tmp_path_factory.mktemp("keys")
    dev_token(keys)  # makes the local keys
    # The demo's tokens live a working day, as `make run`'s do.
    auth = AuthSettings(jwks_path=keys / JWKS_FILE, max_lifetime_seconds=12 * 3600)
    common: dict[str, Any] = {
        "environment": "test",
        "broker": BrokerSettings(
            bootstrap_servers=kafka.bootstrap_servers, idempotent_producer=False
        ),
        "relay": RelaySettings(idle_poll_seconds=0.5, retry_max_seconds=1.0),
        "consumer": quick_consumer(),
        "auth": auth,
    }
    suffix = uuid.uuid4().hex[:8]
    intake = create_intake(
        IntakeSettings(
            database=(await postgres.create_service_database("intake")).settings(),
            consumer_group=f"intake-{suffix}",
            **common,
        )
    )
    workqueue = create_workqueue(
        WorkqueueSettings(
            database=(await postgres.create_service_database("workqueue")).settings(),
            consumer_group=f"workqueue-{suffix}",
            **common,
        )
    )
    async with contextlib.AsyncExitStack() as stack:
        direct = {
            "intake": await stack.enter_async_context(serving(intake)),
            "workqueue": await stack.enter_async_context(serving(workqueue)),
        }
        upstreams = {name: {"enabled": False} for name in DEFAULT_UPSTREAMS} | {
            name: {"enabled": True, "base_url": url} for name, url in direct.items()
        }
        gateway = create_gateway(
            GatewaySettings(
                environment="test",
                database=(await postgres.create_service_database("gateway")).settings(),
                auth=auth,
                upstreams=upstreams,
            )
        )
        url = await stack.enter_async_context(serving(gateway))
        yield Suite(url, direct, keys)
        await asyncio.sleep(1.0)  # let relays finish in-flight publishes before stopping


async def test_the_demo_journey_runs_through_the_gateway_only(suite: Suite):
    lines: list[str] = []
    professional = {"Authorization": f"Bearer {dev_token(suite.keys)}"}
    resident = {"Authorization": f"Bearer {resident_token(suite.keys, f'demo-{uuid.uuid4().hex}')}"}

    def journey() -> int:
        with (
            httpx.Client(base_url=f"{suite.gateway}/intake", timeout=10) as intake,
            httpx.Client(base_url=f"{suite.gateway}/workqueue", timeout=10) as workqueue,
        ):
            demo = Demo(intake, workqueue, professional, resident, timeout=60, out=lines.append)
            demo.run()
            return demo.steps

    steps = await asyncio.to_thread(journey)
    assert steps == 11, lines
    assert "is in group queue 'nurses'" in lines[1]
    assert "resident sees the closing proposal" in lines[7]
    assert "is gone from the queue" in lines[10]


async def test_an_auditor_reads_every_service_audit_records_in_one_paged_call(suite: Suite):
    """After the journey, intake and workqueue hold audit records of the professional's
    reads; the gateway's pages hold exactly the union of both, newest first, each once."""
    auditor = {"Authorization": f"Bearer {dev_token(suite.keys)}"}
    async with httpx.AsyncClient(timeout=30) as client:
        expected = set()
        for service, url in suite.direct.items():
            cursor = None
            while True:
                params = {"limit": 500} | ({"cursor": cursor} if cursor else {})
                page = (
                    await client.get(f"{url}/audit-records", params=params, headers=auditor)
                ).json()
                expected |= {(service, item["cursor"]) for item in page["items"]}
                cursor = page["next_cursor"]
                if cursor is None:
                    break
        merged: list[dict[str, Any]] = []
        cursor = None
        pages = 0
        while True:
            params = {"limit": 2} | ({"cursor": cursor} if cursor else {})
            response = await client.get(
                f"{suite.gateway}/audit-records", params=params, headers=auditor
            )
            assert response.status_code == 200, response.text
            page = response.json()
            assert len(page["items"]) <= 2
            merged += page["items"]
            pages += 1
            cursor = page["next_cursor"]
            if cursor is None:
                break
        refused = await client.get(
            f"{suite.gateway}/audit-records",
            headers={"Authorization": f"Bearer {resident_token(suite.keys, 'r')}"},
        )
    assert {service for service, _ in expected} == {"intake", "workqueue"}
    assert [(i["service"], i["cursor"]) for i in merged] == sorted(
        ((i["service"], i["cursor"]) for i in merged), key=lambda k: _order(*k)
    )
    assert len(merged) == len(expected)
    assert {(i["service"], i["cursor"]) for i in merged} == expected
    assert pages >= len(expected) // 2
    assert refused.status_code == 403


def _order(service: str, cursor: str) -> tuple[float, str, int]:
    position = AuditCursor.decode(cursor)
    return (-position.at.timestamp(), service, -position.id)
