"""The audit log over the real app and database: the shared audit contract's keyset
pages by time range, its refusals and roles, and the purpose backfill."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from careflow.notification.bootstrap import MIGRATIONS
from careflow.shared.db.migrate import upgrade_async

from .test_professional_access import professional

T0 = datetime(2026, 5, 1, 8, tzinfo=UTC)


async def _insert(db_url: str, org: str, times: list[datetime]) -> None:
    engine = create_async_engine(db_url)
    try:
        async with engine.begin() as conn:
            await conn.execute(
                text(
                    "INSERT INTO audit_records (at, professional_id, organisation_id, unit_id,"
                    " resident_id, action, items, purpose) VALUES (:at, :who, :org, 'unit-1',"
                    " :resident, 'read_communication_history', 1, 'communication_review')"
                ),
                [
                    {"at": at, "who": f"pro-{i}", "org": org, "resident": uuid.uuid4()}
                    for i, at in enumerate(times)
                ],
            )
    finally:
        await engine.dispose()


async def _page(service, org: str, roles: tuple[str, ...] = ("auditor",), **params: Any):  # type: ignore[no-untyped-def]
    return await service.client.get(
        "/audit-records", params=params, headers=professional(service, org, roles=roles)
    )


async def test_pages_by_time_range_show_each_record_once_under_concurrent_inserts(service):  # type: ignore[no-untyped-def]
    org = f"org-{uuid.uuid4().hex[:6]}"
    await _insert(service.db_url, org, [T0] * 7 + [T0 + timedelta(hours=1)] * 2)
    await _insert(service.db_url, f"other-{org}", [T0] * 3)
    seen: list[str] = []
    cursor = None
    for page_number in range(10):
        params = {"limit": 3, "to": (T0 + timedelta(minutes=30)).isoformat()}
        page = await _page(service, org, **params | ({"cursor": cursor} if cursor else {}))
        assert page.status_code == 200, page.text
        seen += [r["cursor"] for r in page.json()["items"]]
        assert {r["at"] for r in page.json()["items"]} == {"2026-05-01T08:00:00Z"}
        if page_number == 0:
            await _insert(service.db_url, org, [T0] * 4)  # same time, during the walk
        cursor = page.json()["next_cursor"]
        if cursor is None:
            break
    assert len(seen) == len(set(seen)) == 7
    assert page_number == 2

    later = await _page(service, org, roles=("admin",), **{"from": "2026-05-01T10:00:00+01:00"})
    assert [r["actor"] for r in later.json()["items"]] == ["pro-8", "pro-7"]


async def test_bad_queries_get_422_and_only_auditor_roles_read_the_log(service):  # type: ignore[no-untyped-def]
    org = f"org-{uuid.uuid4().hex[:6]}"
    for params in (
        {"from": "2026-05-01T08:00:00"},
        {"to": "2026-05-01T08:00:00"},
        {"cursor": "bm90LWEtY3Vyc29y"},
        {"limit": 501},
    ):
        refused = await _page(service, org, **params)
        assert refused.status_code == 422, params
        assert refused.headers["content-type"].startswith("application/problem+json")
    assert (await _page(service, org, roles=("nurse",))).status_code == 403
    assert (await _page(service, org, roles=("auditor",))).status_code == 200


async def test_records_from_before_purposes_are_backfilled_as_communication_review(
    fresh_database: str,
) -> None:
    await upgrade_async(MIGRATIONS, fresh_database, "0004")
    engine = create_async_engine(fresh_database)
    try:
        async with engine.begin() as conn:
            await conn.execute(
                text(
                    "INSERT INTO audit_records (at, professional_id, organisation_id,"
                    " resident_id, action, items) VALUES (now(), 'p', 'o', :r,"
                    " 'read_communication_history', 2)"
                ),
                {"r": uuid.uuid4()},
            )
        await upgrade_async(MIGRATIONS, fresh_database)
        async with engine.connect() as conn:
            purposes = list(await conn.execute(text("SELECT purpose FROM audit_records")))
            default = await conn.scalar(
                text(
                    "SELECT column_default FROM information_schema.columns"
                    " WHERE table_name = 'audit_records' AND column_name = 'purpose'"
                )
            )
    finally:
        await engine.dispose()
    assert [p for (p,) in purposes] == ["communication_review"]
    assert default is None  # new records must state their purpose
