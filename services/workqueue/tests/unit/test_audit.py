"""The audit query: who may read it, time bounds with a zone, pages by position."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

import pytest

from careflow.workqueue.application import queries
from careflow.workqueue.application.ports import Actor
from careflow.workqueue.domain.audit import (
    AuditAction,
    AuditPosition,
    AuditQuery,
    AuditRecord,
    next_position,
)
from careflow.workqueue.domain.errors import InvalidRequest, NotAllowed


class _Log:
    def __init__(self, records: list[AuditRecord]) -> None:
        self.records = records

    async def query(self, query: AuditQuery) -> tuple[list[AuditRecord], int]:
        ordered = sorted(self.records, key=lambda r: (r.at, r.seq), reverse=True)
        if query.after is not None:
            ordered = [r for r in ordered if (r.at, r.seq) < (query.after.at, query.after.seq)]
        return ordered[: query.limit], len(self.records)


class _UoW:
    def __init__(self, records: list[AuditRecord]) -> None:
        self.audit = _Log(records)

    async def __aenter__(self):  # type: ignore[no-untyped-def]
        return self

    async def __aexit__(self, *exc: object) -> None:
        return None


def _record(at: datetime, seq: int) -> AuditRecord:
    return AuditRecord("org-1", "pro-a", uuid.uuid4(), uuid.uuid4(), AuditAction.OPEN, at, seq)


def test_time_bounds_without_a_time_zone_are_refused(build):
    with pytest.raises(InvalidRequest):
        AuditQuery("org-1", since=build.now.replace(tzinfo=None))
    with pytest.raises(InvalidRequest):
        AuditQuery("org-1", until=build.now.replace(tzinfo=None))


def test_a_range_that_ends_before_it_starts_is_refused(build):
    with pytest.raises(InvalidRequest):
        AuditQuery("org-1", since=build.now, until=build.now - timedelta(seconds=1))


def test_a_full_page_points_at_its_last_record_and_a_short_one_is_the_last(build):
    page = [_record(build.now, 3), _record(build.now, 2)]
    assert next_position(page, limit=2) == AuditPosition(build.now, 2)
    assert next_position(page, limit=3) is None


@pytest.mark.parametrize("role", ["admin", "auditor"])
async def test_admins_and_auditors_read_the_log_page_by_page(build, role):
    records = [_record(build.now + timedelta(minutes=i), i) for i in range(5)]
    actor = Actor("boss", "org-1", is_admin=role == "admin", may_read_audit=True)
    seen: list[int | None] = []
    after = None
    for _ in range(3):
        page = await queries.query_audit(
            _UoW(records),  # type: ignore[arg-type]
            actor,
            AuditQuery("org-1", after=after, limit=2),
        )
        seen += [r.seq for r in page.records]
        after = page.next
        if after is None:
            break
    assert seen == [4, 3, 2, 1, 0]


async def test_a_professional_without_an_audit_role_is_refused(build):
    with pytest.raises(NotAllowed):
        await queries.query_audit(
            _UoW([]),  # type: ignore[arg-type]
            Actor("nurse", "org-1", is_admin=False),
            AuditQuery("org-1"),
        )


async def test_an_auditor_reads_only_their_own_organisations_log(build):
    with pytest.raises(NotAllowed):
        await queries.query_audit(
            _UoW([]),  # type: ignore[arg-type]
            Actor("boss", "org-1", may_read_audit=True),
            AuditQuery("org-2"),
        )
