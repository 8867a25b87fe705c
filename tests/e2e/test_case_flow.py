"""Intake and workqueue together, over the real broker and PostgreSQL."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.structs import ConsumerRecord
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from careflow.contracts.cases import CaseSubmitted
from careflow.contracts.registry import INTAKE_CASES
from careflow.contracts.workqueue import QueueItemAdded
from careflow.intake.domain.urgency_rules import RED_FLAGS
from careflow.intake.entrypoints.api.app import create_app as create_intake
from careflow.intake.settings import CloserSettings
from careflow.intake.settings import Settings as IntakeSettings
from careflow.shared.auth.claims import AuthLevel, ProfessionalPrincipal, ResidentPrincipal
from careflow.shared.auth.signing import generate_keypair, load_signing_key, mint_token
from careflow.shared.settings import (
    AuthSettings,
    BrokerSettings,
    RelaySettings,
)
from careflow.testing.probe_service import publish_raw
from careflow.testing.settings import quick_consumer
from careflow.workqueue.entrypoints.api.app import create_app as create_workqueue
from careflow.workqueue.settings import Settings as WorkqueueSettings

#: The red-flag questions of intake's urgency rules, all answered "no".
NO_RED_FLAGS = dict.fromkeys(RED_FLAGS, False)


class Clock:
    def __init__(self) -> None:
        self.now = datetime.now(UTC)

    def __call__(self) -> datetime:
        return self.now


@dataclass
class Suite:
    intake: httpx.AsyncClient
    workqueue: httpx.AsyncClient
    clock: Clock
    org: str
    sign: Any
    bootstrap: str
    databases: dict[str, str]  # service name -> its database URL

    async def rows(self, service: str, sql: str, **params: Any) -> list[Any]:
        engine = create_async_engine(self.databases[service])
        try:
            async with engine.connect() as conn:
                return list(await conn.execute(text(sql), params))
        finally:
            await engine.dispose()

    def auth(self, principal: Any) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.sign(principal)}"}

    def nurse(self, sub: str = "nurse-1") -> dict[str, str]:
        return self.auth(
            ProfessionalPrincipal(subject=sub, organisation=self.org, unit="u", roles=["nurse"])
        )

    def resident(self, sub: str) -> dict[str, str]:
        return self.auth(ResidentPrincipal(subject=sub, auth_level=AuthLevel.STRONG))

    async def submit(self, sub: str, **extra: Any) -> dict[str, Any]:
        body = {
            "kind": "symptom_assessment",
            "language": "fi",
            "organisation_id": self.org,
            "group_id": "nurses",
            "phone": "+358401234567",
            # Intake computes the class: worsening symptoms, no red flag -> P2 (symptoms-1).
            "answers": {**NO_RED_FLAGS, "fever": True, "worsening": True},
        } | extra
        response = await self.intake.post("/forms", json=body, headers=self.resident(sub))
        assert response.status_code == 201, response.text
        return response.json()  # type: ignore[no-any-return]

    async def queue(self, path: str = "/queue") -> list[dict[str, Any]]:
        response = await self.workqueue.get(path, headers=self.nurse())
        assert response.status_code == 200, response.text
        return response.json()["items"]  # type: ignore[no-any-return]

    async def in_queue(self, case_id: str, path: str = "/queue") -> dict[str, Any] | None:
        return next((i for i in await self.queue(path) if i["case_id"] == case_id), None)


async def eventually(predicate: Any, within: float = 60.0) -> Any:
    deadline = asyncio.get_running_loop().time() + within
    while True:
        result = await predicate()
        if result:
            return result
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"not within {within}s")
        await asyncio.sleep(0.2)


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
        "consumer": quick_consumer(),
        "auth": auth,
    }
    clock = Clock()
    # As deployed: migrated by an owner role, used by a role that owns nothing.
    databases = {
        "intake": await postgres.create_service_database("intake"),
        "workqueue": await postgres.create_service_database("workqueue"),
    }
    intake = create_intake(
        IntakeSettings(
            database=databases["intake"].settings(),
            closer=CloserSettings(enabled=True, poll_seconds=0.2),
            consumer_group=f"intake-{uuid.uuid4().hex[:8]}",
            consumers_enabled=True,
            **common,
        ),
        clock=clock,
    )
    workqueue = create_workqueue(
        WorkqueueSettings(
            database=databases["workqueue"].settings(),
            consumer_group=f"workqueue-{uuid.uuid4().hex[:8]}",
            **common,
        )
    )

    def sign(principal: Any) -> str:
        return mint_token(key, kid, principal, issuer=auth.issuer, audience=auth.audience)

    async with (
        intake.router.lifespan_context(intake),
        workqueue.router.lifespan_context(workqueue),
        httpx.AsyncClient(transport=httpx.ASGITransport(intake), base_url="http://i") as ic,
        httpx.AsyncClient(transport=httpx.ASGITransport(workqueue), base_url="http://w") as wc,
    ):
        org = f"org-{uuid.uuid4().hex[:8]}"
        owner_urls = {name: db.owner_url for name, db in databases.items()}
        yield Suite(ic, wc, clock, org, sign, kafka.bootstrap_servers, owner_urls)
        await asyncio.sleep(1.0)  # let relays finish in-flight publishes before stopping


async def test_submission_is_taken_worked_and_closed_after_72_hours(suite: Suite):
    case_id = (await suite.submit("resident-a"))["case_id"]
    item = await eventually(lambda: suite.in_queue(case_id, "/queue/groups/nurses"))
    assert item["urgency"] == "P2"

    taken = await suite.workqueue.post(f"/queue/items/{case_id}/take", headers=suite.nurse())
    assert taken.status_code == 200, taken.text
    assert await suite.in_queue(case_id, "/queue/mine")

    nurse = suite.nurse()
    start = suite.clock.now.date().isoformat()
    task = await suite.intake.post(
        f"/cases/{case_id}/tasks",
        json={"kind": "action_instruction", "instruction": "Drink water", "start_date": start},
        headers=nurse,
    )
    assert task.status_code == 201, task.text
    goal = await suite.intake.post(
        f"/cases/{case_id}/goals", json={"text": "Enough hydration"}, headers=nurse
    )
    assert goal.status_code == 201, goal.text
    proposal = await suite.intake.post(f"/cases/{case_id}/closing-proposals", headers=nurse)
    assert proposal.status_code == 201, proposal.text

    suite.clock.now += timedelta(hours=72, seconds=1)
    await eventually(lambda: suite.in_queue(case_id, "/queue/closed"))
    assert await suite.in_queue(case_id) is None


async def test_closed_before_taken_disappears_and_private_save_never_appears(suite: Suite):
    closing = (await suite.submit("resident-b"))["case_id"]
    await eventually(lambda: suite.in_queue(closing))
    closed = await suite.intake.post(
        f"/me/cases/{closing}/closure", headers=suite.resident("resident-b")
    )
    assert closed.status_code == 204, closed.text

    private = await suite.submit("resident-c", for_myself=True)
    assert private["private"] is True
    marker = (await suite.submit("resident-d"))["case_id"]  # published after the private save

    await eventually(lambda: suite.in_queue(marker))
    await eventually(lambda: _absent(suite, closing))
    ids = {i["case_id"] for path in ("/queue", "/queue/closed") for i in await suite.queue(path)}
    assert closing not in ids
    assert private.get("case_id") not in ids


async def _absent(suite: Suite, case_id: str) -> bool:
    return await suite.in_queue(case_id) is None


async def test_two_professionals_taking_at_once_one_wins(suite: Suite):
    case_id = (await suite.submit("resident-e"))["case_id"]
    await eventually(lambda: suite.in_queue(case_id))
    responses = await asyncio.gather(
        suite.workqueue.post(f"/queue/items/{case_id}/take", headers=suite.nurse("nurse-1")),
        suite.workqueue.post(f"/queue/items/{case_id}/take", headers=suite.nurse("nurse-2")),
    )
    assert sorted(r.status_code for r in responses) == [200, 409]


async def _published(bootstrap: str, topic: str, event_id: str) -> ConsumerRecord | None:
    """The message carrying CloudEvents id `event_id` as it is on the topic (no group)."""
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    await consumer.start()
    try:
        partitions = [TopicPartition(topic, p) for p in range(INTAKE_CASES.partitions)]
        consumer.assign(partitions)
        await consumer.seek_to_beginning(*partitions)
        ends = await consumer.end_offsets(partitions)
        pending = {tp for tp in partitions if ends[tp] > 0}
        while pending:
            for records in (await consumer.getmany(*pending, timeout_ms=500)).values():
                for record in records:
                    if dict(record.headers or ()).get("ce_id") == event_id.encode():
                        return record
            pending = {tp for tp in pending if await consumer.position(tp) < ends[tp]}
        return None
    finally:
        await consumer.stop()


async def test_the_same_case_event_redelivered_makes_one_queue_item(suite: Suite):
    case_id = (await suite.submit("resident-f"))["case_id"]
    await eventually(lambda: suite.in_queue(case_id))
    [(event_id,)] = await suite.rows(
        "intake",
        "SELECT event_id FROM outbox WHERE key = :k AND event_type = :t",
        k=case_id,
        t=CaseSubmitted.event_type,
    )
    # The very message intake's relay published: same key, body and CloudEvents id.
    original = await _published(suite.bootstrap, INTAKE_CASES.name, str(event_id))
    assert original is not None, "intake's CaseSubmitted is not on the topic"
    again = (original.key, original.value, list(original.headers))
    renamed_id = str(uuid.uuid4())
    renamed = (
        original.key,
        original.value,
        [(k, renamed_id.encode() if k == "ce_id" else v) for k, v in original.headers],
    )
    # Redelivered twice as it was, then announced once more under a new id; all on the
    # case's partition, in this order.
    await publish_raw(suite.bootstrap, INTAKE_CASES.name, [again, again, renamed])

    async def renamed_consumed() -> bool:
        inbox = "SELECT 1 FROM inbox WHERE event_id = :e"
        return bool(await suite.rows("workqueue", inbox, e=renamed_id))

    await eventually(renamed_consumed)  # so the two redeliveries before it were consumed too
    assert [i["case_id"] for i in await suite.queue() if i["case_id"] == case_id] == [case_id]
    items = "SELECT count(*) FROM queue_items WHERE case_id = :c"
    assert await suite.rows("workqueue", items, c=case_id) == [(1,)]
    added = "SELECT count(*) FROM outbox WHERE key = :k AND event_type = :t"
    assert await suite.rows("workqueue", added, k=case_id, t=QueueItemAdded.event_type) == [(1,)]
    inbox = "SELECT count(*) FROM inbox WHERE event_id = :e"
    assert await suite.rows("workqueue", inbox, e=str(event_id)) == [(1,)]


async def test_a_p0_submission_tells_the_resident_at_once_and_never_waits_as_a_free_task(
    suite: Suite,
):
    """domain.md: P0 "must tell the resident so at once and never wait in a queue"."""
    submitted = await suite.submit("resident-g", answers={**NO_RED_FLAGS, "chest_pain": True})
    assert (submitted["urgency"], submitted["call_emergency_number"]) == ("P0", True)
    case_id = submitted["case_id"]

    record = await eventually(lambda: suite.in_queue(case_id, "/queue/groups/nurses"))
    assert record["status"] == "emergency"
    assert record["assignee"] is None
    emergencies = await suite.queue("/queue?state=emergency")
    assert [i["case_id"] for i in emergencies] == [case_id]
    free = await suite.queue("/queue?state=free")
    assert case_id not in {i["case_id"] for i in free}
    taken = await suite.workqueue.post(f"/queue/items/{case_id}/take", headers=suite.nurse())
    assert taken.status_code == 409, taken.text
