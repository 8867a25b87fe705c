"""Merging the services' audit pages: order, per-service positions, the cursor text."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime, timedelta

import pytest

from careflow.gateway.application.audit import (
    DONE,
    MERGED_CURSOR_PATTERN,
    decode_positions,
    query_audit_records,
)
from careflow.gateway.domain.routing import Upstream
from careflow.shared.audit import AuditCursor, AuditPage, AuditQuery, AuditRecordOut, Purpose

T0 = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


def record(service: str, id: int, minutes: int) -> AuditRecordOut:
    return AuditRecordOut.of(
        id=id,
        service=service,
        at=T0 + timedelta(minutes=minutes),
        actor="pro",
        organisation="o",
        unit="u",
        resident_id=uuid.uuid4(),
        case_id=None,
        action="read",
        purpose=Purpose.CARE,
    )


class Logs:
    """Each service's records, paged as the shared contract pages them."""

    def __init__(self, records: dict[str, list[AuditRecordOut]]) -> None:
        self.records = records
        self.asked: list[str] = []

    async def page(self, upstream: Upstream, query: AuditQuery, authorization: str) -> AuditPage:
        self.asked.append(upstream.name)
        newest_first = sorted(
            self.records[upstream.name],
            key=lambda r: (AuditCursor.decode(r.cursor).at, AuditCursor.decode(r.cursor).id),
            reverse=True,
        )
        if query.cursor is not None:
            after = (query.cursor.at, query.cursor.id)
            newest_first = [
                r
                for r in newest_first
                if (AuditCursor.decode(r.cursor).at, AuditCursor.decode(r.cursor).id) < after
            ]
        items = newest_first[: query.limit]
        more = len(newest_first) > query.limit
        return AuditPage(items=items, next_cursor=items[-1].cursor if more else None)


def upstreams(*names: str) -> list[Upstream]:
    return [Upstream(n, f"http://{n}", f"/{n}", 10, 2, 2) for n in names]


async def walk(logs: Logs, names: list[str], limit: int) -> list[list[AuditRecordOut]]:
    pages, cursor = [], None
    while True:
        page = await query_audit_records(
            upstreams(*names), logs, AuditQuery(limit=limit), cursor, "Bearer t"
        )
        pages.append(page.items)
        if page.next_cursor is not None:
            assert re.fullmatch(MERGED_CURSOR_PATTERN, page.next_cursor)
        cursor = page.next_cursor
        if cursor is None:
            return pages


async def test_pages_hold_every_record_once_newest_first_with_ties_by_service_then_id():
    logs = Logs(
        {
            "intake": [record("intake", i, m) for i, m in ((1, 1), (2, 5), (3, 5), (4, 9))],
            "workqueue": [record("workqueue", i, m) for i, m in ((7, 5), (8, 2), (9, 10))],
        }
    )
    pages = await walk(logs, ["intake", "workqueue"], limit=2)
    shown = [(r.service, AuditCursor.decode(r.cursor).id) for page in pages for r in page]
    assert shown == [
        ("workqueue", 9),
        ("intake", 4),
        ("intake", 3),
        ("intake", 2),
        ("workqueue", 7),
        ("workqueue", 8),
        ("intake", 1),
    ]
    assert all(len(page) <= 2 for page in pages)


async def test_a_service_whose_records_are_all_shown_is_not_asked_again():
    logs = Logs({"intake": [record("intake", 1, 1)], "workqueue": [record("workqueue", 1, 2)]})
    first = await query_audit_records(
        upstreams("intake", "workqueue"), logs, AuditQuery(limit=1), None, "Bearer t"
    )
    assert first.next_cursor is not None
    positions = decode_positions(first.next_cursor)
    assert positions["workqueue"] == DONE
    logs.asked.clear()
    second = await query_audit_records(
        upstreams("intake", "workqueue"), logs, AuditQuery(limit=1), first.next_cursor, "Bearer t"
    )
    assert logs.asked == ["intake"]
    assert [r.service for r in second.items] == ["intake"]
    assert second.next_cursor is None


async def test_an_empty_log_everywhere_is_one_empty_last_page():
    pages = await walk(Logs({"intake": [], "workqueue": []}), ["intake", "workqueue"], limit=5)
    assert pages == [[]]


def test_every_text_of_the_pattern_names_positions():
    position = AuditCursor(T0, 5).encode()
    text = f"intake.{position}~gone.-~intake.-"
    assert re.fullmatch(MERGED_CURSOR_PATTERN, text)
    # The first mention wins; an unknown service is simply one nobody asks.
    assert decode_positions(text) == {"intake": position, "gone": DONE}
    with pytest.raises(ValueError, match="merged audit cursor"):
        decode_positions("intake.a1")
