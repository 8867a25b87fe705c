"""`GET /audit-records` on the real app and database: the shared audit contract's
purpose, auditor roles, keyset pages and refusals; the purpose migration's backfill."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from careflow.shared.db.migrate import upgrade_async
from careflow.workqueue.bootstrap import MIGRATIONS

from .conftest import Service, submitted

T0 = datetime(2026, 5, 1, 8, tzinfo=UTC)


async def _insert(service: Service, who: list[str], at: datetime, org: str | None = None) -> None:
    """Records as earlier reads left them, one per professional in `who`."""
    engine = create_async_engine(service.db_url)
    try:
        async with engine.begin() as conn:
            await conn.execute(
                text(
                    "INSERT INTO audit_records (organisation_id, professional_id, resident_id,"
                    " case_id, action, at, purpose)"
                    " VALUES (:org, :who, :resident, :case, 'list_queue', :at, 'queue_work')"
                ),
                [
                    {
                        "org": org or service.org,
                        "who": name,
                        "resident": uuid.uuid4(),
                        "case": uuid.uuid4(),
                        "at": at,
                    }
                    for name in who
                ],
            )
    finally:
        await engine.dispose()


async def _get(service: Service, headers: dict[str, str], **params: Any) -> httpx.Response:
    return await service.client.get("/audit-records", params=params, headers=headers)


def _auditor(service: Service) -> dict[str, str]:
    return service.token("inspector", roles=("auditor",))


async def test_a_take_is_stored_with_its_purpose(service: Service) -> None:
    event = submitted(service.org)
    await service.publish(event)
    await service.wait_for_item(event.case_id)
    taken = await service.client.post(
        f"/queue/items/{event.case_id}/take", headers=service.token("pro-a")
    )
    assert taken.status_code == 200, taken.text

    rows = await service.sql(
        text("SELECT action, purpose FROM audit_records WHERE case_id = :c").bindparams(
            c=event.case_id
        )
    )
    assert [(r.action, r.purpose) for r in rows] == [("take_task", "queue_work")]
    page = await _get(service, _auditor(service), case_id=str(event.case_id))
    assert [(r["action"], r["purpose"]) for r in page.json()["items"]] == [
        ("take_task", "queue_work")
    ]
    # Reading the audit log shows no resident data, so it adds no record.
    assert await service.audit_count() == 1


async def test_walking_the_pages_shows_each_record_once_while_records_arrive(
    service: Service,
) -> None:
    await _insert(service, [f"first-{i}" for i in range(7)], T0)
    await _insert(service, ["stranger-1", "stranger-2"], T0, org="another-org")
    seen: list[str] = []
    cursor: str | None = None
    for page_number in range(10):
        params = {"limit": 3} | ({"cursor": cursor} if cursor else {})
        response = await _get(service, _auditor(service), **params)
        assert response.status_code == 200, response.text
        seen += [r["actor"] for r in response.json()["items"]]
        if page_number == 0:
            # At the walk's head (same time, later ids): no page boundary moves.
            await _insert(service, [f"head-{i}" for i in range(4)], T0)
            # Behind the walk's position: shown when the walk gets there.
            await _insert(service, ["behind-1", "behind-2"], T0 - timedelta(minutes=1))
        cursor = response.json()["next_cursor"]
        if cursor is None:
            break
    assert len(seen) == len(set(seen))
    assert sorted(seen) == sorted([f"first-{i}" for i in range(7)] + ["behind-1", "behind-2"])
    assert seen[-2:] == ["behind-2", "behind-1"]  # older last; equal times newest id first
    assert page_number == 2


async def test_the_time_range_keeps_from_and_drops_to(service: Service) -> None:
    for minutes in range(5):
        await _insert(service, [f"at-{minutes}"], T0 + timedelta(minutes=minutes))
    response = await _get(
        service,
        _auditor(service),
        **{
            "from": (T0 + timedelta(minutes=1)).isoformat(),
            "to": (T0 + timedelta(minutes=3)).isoformat(),
        },
    )
    assert response.status_code == 200, response.text
    assert [r["actor"] for r in response.json()["items"]] == ["at-2", "at-1"]


async def test_only_admins_and_auditors_read_the_audit_log(service: Service) -> None:
    await _insert(service, ["pro-a"], T0)
    for roles, status in ((("admin",), 200), (("auditor",), 200), (("nurse",), 403), ((), 403)):
        response = await _get(service, service.token("p", roles=roles))
        assert response.status_code == status, roles
        if status == 200:
            assert [r["actor"] for r in response.json()["items"]] == ["pro-a"]
    assert (await service.client.get("/audit-records")).status_code == 401


async def test_naive_times_bad_ranges_and_foreign_cursors_are_a_422(service: Service) -> None:
    for params in (
        {"from": "2026-05-01T08:00:00"},
        {"to": "2026-05-01T08:00:00"},
        {"cursor": "bm90LWEtY3Vyc29y"},
        {"limit": "0"},
    ):
        response = await _get(service, _auditor(service), **params)
        assert response.status_code == 422, params
        assert response.headers["content-type"] == "application/problem+json"


async def test_records_from_before_purposes_are_backfilled_as_queue_work(
    fresh_database: str,
) -> None:
    await upgrade_async(MIGRATIONS, fresh_database, "0005")
    engine = create_async_engine(fresh_database)
    try:
        async with engine.begin() as conn:
            await conn.execute(
                text(
                    "INSERT INTO audit_records (organisation_id, professional_id, resident_id,"
                    " case_id, action, at) VALUES ('o', 'n', :r, :c, 'open_task', now())"
                ),
                {"r": uuid.uuid4(), "c": uuid.uuid4()},
            )
        await upgrade_async(MIGRATIONS, fresh_database)
        async with engine.connect() as conn:
            purposes = list(await conn.execute(text("SELECT purpose FROM audit_records")))
            [column] = list(
                await conn.execute(
                    text(
                        "SELECT is_nullable, column_default FROM information_schema.columns"
                        " WHERE table_name = 'audit_records' AND column_name = 'purpose'"
                    )
                )
            )
    finally:
        await engine.dispose()
    assert [p for (p,) in purposes] == ["queue_work"]
    # New records must state their purpose: no default fills it in.
    assert (column.is_nullable, column.column_default) == ("NO", None)
