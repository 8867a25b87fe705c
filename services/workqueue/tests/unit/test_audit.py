"""Audit use cases with an in-memory log: reads record their purpose, the audit query
hands back the shared contract's keyset pages."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

from careflow.shared.audit import AuditQuery, AuditRecordOut
from careflow.workqueue.application import queries
from careflow.workqueue.application.ports import Actor
from careflow.workqueue.domain.audit import AuditRecord
from careflow.workqueue.domain.ordering import QueueQuery


class _Log:
    """Stored records with their ids; pages them as the shared keyset query does."""

    def __init__(self) -> None:
        self.rows: list[tuple[int, AuditRecord]] = []
        self.asked: list[dict[str, Any]] = []

    async def record(self, records: list[AuditRecord]) -> None:
        start = len(self.rows) + 1
        self.rows += [(start + n, r) for n, r in enumerate(records)]

    async def page(
        self, organisation_id: str, query: AuditQuery, **filters: Any
    ) -> list[AuditRecordOut]:
        self.asked.append({"organisation_id": organisation_id, **filters})
        mine = [
            (i, r)
            for i, r in self.rows
            if r.organisation_id == organisation_id
            and all(v is None or getattr(r, k) == v for k, v in filters.items())
        ]
        if query.cursor is not None:
            mine = [(i, r) for i, r in mine if (r.at, i) < (query.cursor.at, query.cursor.id)]
        mine.sort(key=lambda row: (row[1].at, row[0]), reverse=True)
        return [
            AuditRecordOut.of(
                id=i,
                service="workqueue",
                at=r.at,
                actor=r.professional_id,
                organisation=r.organisation_id,
                unit=None,
                resident_id=r.resident_id,
                case_id=r.case_id,
                action=r.action,
                purpose=r.purpose,
            )
            for i, r in mine[: query.limit + 1]
        ]


class _Items:
    def __init__(self, items: list[Any]) -> None:
        self.items = items

    async def list(self, query: QueueQuery, now: datetime) -> tuple[list[Any], int]:
        return self.items, len(self.items)

    async def get(self, case_id: uuid.UUID, *, for_update: bool = False) -> Any:
        return next((i for i in self.items if i.case_id == case_id), None)


class _UoW:
    def __init__(self, items: list[Any] | None = None) -> None:
        self.audit = _Log()
        self.items = _Items(items or [])

    async def __aenter__(self):  # type: ignore[no-untyped-def]
        return self

    async def __aexit__(self, *exc: object) -> None:
        return None

    async def commit(self) -> None:
        return None


NURSE = Actor("pro-a", "org-1")


async def test_listing_and_opening_record_queue_work_for_each_item_shown(build):
    items = [build.item(), build.item()]
    uow = _UoW(items)
    await queries.list_queue(uow, NURSE, QueueQuery("org-1"), now=build.now)  # type: ignore[arg-type]
    await queries.open_item(uow, NURSE, items[0].case_id, now=build.now)  # type: ignore[arg-type]
    assert [(r.case_id, r.action.value, r.purpose) for _, r in uow.audit.rows] == [
        (items[0].case_id, "list_queue", "queue_work"),
        (items[1].case_id, "list_queue", "queue_work"),
        (items[0].case_id, "open_task", "queue_work"),
    ]


async def test_the_audit_is_read_page_by_page_for_the_callers_organisation_and_filters(build):
    uow = _UoW([build.item() for _ in range(5)])
    await queries.list_queue(uow, NURSE, QueueQuery("org-1"), now=build.now)  # type: ignore[arg-type]
    await queries.list_queue(  # type: ignore[arg-type]
        uow, Actor("pro-b", "org-1"), QueueQuery("org-1"), now=build.now + timedelta(minutes=1)
    )
    await queries.list_queue(uow, Actor("x", "org-2"), QueueQuery("org-2"), now=build.now)  # type: ignore[arg-type]
    seen: list[str] = []
    query = AuditQuery(limit=3)
    for _ in range(10):
        page = await queries.query_audit(uow, "org-1", query)  # type: ignore[arg-type]
        assert len(page.items) <= 3
        seen += [r.cursor for r in page.items]
        if page.next_cursor is None:
            break
        assert page.next_cursor == page.items[-1].cursor
        query = AuditQuery(limit=3, cursor=page.next_cursor)
    assert len(seen) == len(set(seen)) == 10  # the organisation's ten, none twice

    mine = await queries.query_audit(uow, "org-1", AuditQuery(), professional_id="pro-a")  # type: ignore[arg-type]
    assert {r.actor for r in mine.items} == {"pro-a"}
    assert len(mine.items) == 5
    assert uow.audit.asked[-1] == {
        "organisation_id": "org-1",
        "resident_id": None,
        "case_id": None,
        "professional_id": "pro-a",
    }


async def test_a_page_that_holds_the_rest_says_it_is_the_last(build):
    uow = _UoW([build.item(), build.item()])
    await queries.list_queue(uow, NURSE, QueueQuery("org-1"), now=build.now)  # type: ignore[arg-type]
    page = await queries.query_audit(uow, "org-1", AuditQuery(limit=2))  # type: ignore[arg-type]
    assert (len(page.items), page.next_cursor) == (2, None)
    assert {r.purpose for r in page.items} == {"queue_work"}
