"""The audit log over the real app and database: purposes, the shared auditor roles,
time-range keyset pages, and refusals (the shared audit contract)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from careflow.intake.bootstrap import MIGRATIONS
from careflow.shared.db.migrate import upgrade_async

from .conftest import Api, professional, resident, symptom_form

AUDITOR = professional("auditor-1", roles=["auditor"])
T0 = datetime(2026, 5, 1, 8, tzinfo=UTC)


async def _insert(api: Api, count: int, at: datetime, org: str = "org-1") -> None:
    engine = create_async_engine(api.db.owner_url)
    try:
        async with engine.begin() as conn:
            await conn.execute(
                text(
                    "INSERT INTO audit_records (at, professional_id, organisation_id, unit_id,"
                    " resident_id, case_id, action, purpose)"
                    " VALUES (:at, :who, :org, 'unit-1', :resident, NULL, 'read_case', 'care')"
                ),
                [
                    {"at": at, "who": f"nurse-{i}", "org": org, "resident": uuid.uuid4()}
                    for i in range(count)
                ],
            )
    finally:
        await engine.dispose()


async def _get(api: Api, who: Any, **params: Any) -> httpx.Response:
    headers = {"Authorization": f"Bearer {api.token_for(who)}"}
    return await api.client.get("/audit-records", params=params, headers=headers)


async def test_a_case_read_is_recorded_with_its_purpose_and_shown_to_an_auditor(api: Api) -> None:
    submitted = await api.call("POST", "/forms", resident(f"res-{uuid.uuid4()}"), symptom_form())
    case_id = submitted.json()["case_id"]
    assert (await api.call("GET", f"/cases/{case_id}", professional("nurse-7"))).status_code == 200

    page = await _get(api, AUDITOR, case_id=case_id)
    assert page.status_code == 200, page.text
    [record] = page.json()["items"]
    assert record["service"] == "intake"
    assert (record["actor"], record["organisation"], record["case_id"]) == (
        "nurse-7",
        "org-1",
        case_id,
    )
    assert (record["action"], record["purpose"]) == ("read_case", "care")
    assert page.json()["next_cursor"] is None
    # Reading the audit log is not a read of resident data: it adds no record.
    assert len(await api.rows("SELECT id FROM audit_records")) == 1


async def test_walking_the_pages_shows_each_record_once_though_all_share_one_time(
    api: Api,
) -> None:
    await _insert(api, 7, T0)
    await _insert(api, 2, T0, org="org-2")
    seen: list[str] = []
    cursor: str | None = None
    for page_number in range(10):
        params = {"limit": 3} | ({"cursor": cursor} if cursor else {})
        page = (await _get(api, AUDITOR, **params)).json()
        seen += [r["cursor"] for r in page["items"]]
        if page_number == 0:
            # Records written during the walk, at the same time, move no page boundary.
            await _insert(api, 4, T0)
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert len(seen) == len(set(seen)) == 7
    assert page_number == 2


async def test_the_time_range_keeps_from_and_drops_to_newest_first(api: Api) -> None:
    for minutes in range(5):
        await _insert(api, 1, T0 + timedelta(minutes=minutes))
    page = await _get(
        api,
        AUDITOR,
        **{
            "from": (T0 + timedelta(minutes=1)).isoformat(),
            "to": (T0 + timedelta(minutes=3)).astimezone().isoformat(),
        },
    )
    assert page.status_code == 200, page.text
    assert [r["at"] for r in page.json()["items"]] == [
        (T0 + timedelta(minutes=m)).isoformat().replace("+00:00", "Z") for m in (2, 1)
    ]


async def test_only_the_shared_auditor_roles_read_the_audit_log(api: Api) -> None:
    await _insert(api, 1, T0)
    for roles, status in ((["admin"], 200), (["auditor"], 200), (["nurse"], 403)):
        response = await _get(api, professional("p", roles=roles))
        assert response.status_code == status, roles
    assert (await _get(api, resident("res-1"))).status_code == 403
    assert (await api.client.get("/audit-records")).status_code == 401


async def test_naive_times_and_foreign_cursors_get_422_and_change_nothing(api: Api) -> None:
    for params in (
        {"from": "2026-05-01T08:00:00"},
        {"to": "2026-05-01T08:00:00"},
        {"cursor": "bm90LWEtY3Vyc29y"},
    ):
        response = await _get(api, AUDITOR, **params)
        assert response.status_code == 422, params
        assert response.headers["content-type"] == "application/problem+json"
    assert await api.rows("SELECT id FROM audit_records") == []


async def test_records_from_before_purposes_are_backfilled_as_care(fresh_database: str) -> None:
    await upgrade_async(MIGRATIONS, fresh_database, "0003")
    engine = create_async_engine(fresh_database)
    try:
        async with engine.begin() as conn:
            await conn.execute(
                text(
                    "INSERT INTO audit_records (at, professional_id, organisation_id,"
                    " resident_id, action) VALUES (now(), 'n', 'o', :r, 'read_case')"
                ),
                {"r": uuid.uuid4()},
            )
        await upgrade_async(MIGRATIONS, fresh_database)
        async with engine.connect() as conn:
            purposes = list(await conn.execute(text("SELECT purpose FROM audit_records")))
            nullable = await conn.scalar(
                text(
                    "SELECT is_nullable FROM information_schema.columns"
                    " WHERE table_name = 'audit_records' AND column_name = 'purpose'"
                )
            )
    finally:
        await engine.dispose()
    assert [p for (p,) in purposes] == ["care"]
    assert nullable == "NO"
