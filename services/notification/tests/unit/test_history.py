"""The communication history on an in-memory unit of work: what a professional may read,
and that every such read is audited."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta

import pytest

from careflow.notification.application.history import (
    ProfessionalReader,
    communication_history,
    professional_history,
    query_audit,
)
from careflow.notification.domain.delivery import Delivery
from careflow.notification.domain.errors import InvalidInput, NotFound
from careflow.notification.domain.history import HistoryCursor, HistoryPage
from careflow.notification.domain.notification import DECIDED, NotificationRequest
from careflow.shared.audit import AuditCursor, AuditQuery, Purpose

from .builders import NOW
from .fakes import FakeUnitOfWork

READER = ProfessionalReader("nurse-1", "org-1", "unit-1")


async def notified(
    uow: FakeUnitOfWork, resident_id: uuid.UUID, organisation: str, *, at: datetime = NOW
) -> uuid.UUID:
    """A case of `organisation` and one notification about it, with an email delivery."""
    case_id = uuid.uuid4()
    await uow.cases.add(
        case_id=case_id, resident_id=resident_id, organisation_id=organisation, opened_at=NOW
    )
    request = NotificationRequest(
        notification_id=uuid.uuid4(),
        resident_id=resident_id,
        purpose="task",
        channels=("email",),
        link="https://careflow.example/",
        received_at=at,
        case_id=case_id,
    )
    await uow.notifications.add(request, DECIDED)
    await uow.deliveries.add(
        Delivery.queue(
            delivery_id=uuid.uuid4(),
            notification_id=request.notification_id,
            resident_id=resident_id,
            channel="email",
            created_at=NOW,
            body="CareFlow: ...",
        )
    )
    return request.notification_id


async def test_a_professional_reads_only_their_organisations_notifications_and_is_audited() -> None:
    uow = FakeUnitOfWork()
    resident_id = uuid.uuid4()
    ours = await notified(uow, resident_id, "org-1")
    await notified(uow, resident_id, "org-2")

    page = await professional_history(resident_id, READER, lambda: uow, now=NOW)

    assert [i.notification_id for i in page.items] == [ours]
    (record,) = uow.audit.records
    assert record["professional_id"] == "nurse-1"
    assert (record["resident_id"], record["items"]) == (resident_id, 1)
    assert record["purpose"] == Purpose.COMMUNICATION_REVIEW
    assert uow.commits == 1


async def test_the_audit_query_pages_the_organisations_history_reads_newest_first() -> None:
    uow = FakeUnitOfWork()
    resident_id = uuid.uuid4()
    await notified(uow, resident_id, "org-1")
    for subject in ("nurse-1", "nurse-2", "nurse-3"):
        reader = ProfessionalReader(subject, "org-1")
        await professional_history(resident_id, reader, lambda: uow, now=NOW)

    first = await query_audit("org-1", lambda: uow, AuditQuery(limit=2))
    rest = await query_audit("org-1", lambda: uow, AuditQuery(limit=2, cursor=first.next_cursor))

    # One time for all three reads: the record ids keep them apart and in order.
    assert [r.actor for r in first.items + rest.items] == ["nurse-3", "nurse-2", "nurse-1"]
    assert rest.next_cursor is None
    assert {(r.purpose, r.case_id) for r in first.items} == {(Purpose.COMMUNICATION_REVIEW, None)}
    assert (await query_audit("org-2", lambda: uow, AuditQuery())).items == []
    assert uow.commits == 3  # the audit query wrote nothing


async def test_a_resident_with_no_case_in_the_readers_organisation_is_not_found_unaudited() -> None:
    uow = FakeUnitOfWork()
    resident_id = uuid.uuid4()
    await notified(uow, resident_id, "org-2")

    with pytest.raises(NotFound):
        await professional_history(resident_id, READER, lambda: uow, now=NOW)

    assert uow.audit.records == []
    assert uow.commits == 0


async def requested(
    uow: FakeUnitOfWork, resident_id: uuid.UUID, organisation: str | None
) -> uuid.UUID:
    """A patient reminder (no case) requested on `organisation`'s behalf."""
    request = NotificationRequest(
        notification_id=uuid.uuid4(),
        resident_id=resident_id,
        purpose="patient_reminder",
        channels=("email",),
        link="https://careflow.example/reminders",
        received_at=NOW,
        organisation_id=organisation,
    )
    await uow.notifications.add(request, DECIDED)
    return request.notification_id


async def test_a_reminder_without_a_case_shows_to_the_requesting_organisation_only() -> None:
    uow = FakeUnitOfWork()
    resident_id = uuid.uuid4()
    case_news = await notified(uow, resident_id, "org-1", at=NOW - timedelta(hours=1))
    ours = await requested(uow, resident_id, "org-1")
    await requested(uow, resident_id, "org-2")
    await requested(uow, resident_id, None)  # on no one's behalf

    page = await professional_history(resident_id, READER, lambda: uow, now=NOW)

    assert [i.notification_id for i in page.items] == [ours, case_news]
    assert [r["items"] for r in uow.audit.records] == [2]


async def test_a_reminder_alone_opens_the_history_to_its_organisation_audited() -> None:
    uow = FakeUnitOfWork()
    resident_id = uuid.uuid4()  # no case anywhere
    ours = await requested(uow, resident_id, "org-1")
    await requested(uow, resident_id, "org-2")

    page = await professional_history(resident_id, READER, lambda: uow, now=NOW)
    assert [i.notification_id for i in page.items] == [ours]
    (record,) = uow.audit.records
    assert (record["organisation_id"], record["resident_id"]) == ("org-1", resident_id)
    assert record["purpose"] == Purpose.COMMUNICATION_REVIEW

    stranger = ProfessionalReader("nurse-9", "org-3")
    with pytest.raises(NotFound):
        await professional_history(resident_id, stranger, lambda: uow, now=NOW)
    assert len(uow.audit.records) == 1  # the refused read left no record


async def test_the_history_shows_each_delivery_with_its_steps_under_its_notification() -> None:
    uow = FakeUnitOfWork()
    resident_id = uuid.uuid4()
    first = await notified(uow, resident_id, "org-1")
    second = await notified(uow, resident_id, "org-2")

    page = await communication_history(resident_id, lambda: uow)

    assert {i.notification_id for i in page.items} == {first, second}
    for item in page.items:
        (delivery,) = item.deliveries
        assert delivery.notification_id == item.notification_id
        assert [s.status for s in delivery.steps] == ["queued"]


async def walk(read: Callable[[str | None], Awaitable[HistoryPage]]) -> list[list[uuid.UUID]]:
    """Every page's notification ids, following `next_cursor` to the last page."""
    pages, cursor = [], None
    while True:
        page = await read(cursor)
        pages.append([n.notification_id for n in page.items])
        if page.next_cursor is None:
            return pages
        cursor = page.next_cursor


async def test_pages_walk_the_whole_history_newest_first_each_notification_once() -> None:
    uow = FakeUnitOfWork()
    resident_id = uuid.uuid4()
    # Three share one time: the id keeps them apart and in one order across pages.
    times = [NOW - timedelta(minutes=m) for m in (0, 0, 0, 1, 2, 3, 4)]
    ids = [await notified(uow, resident_id, "org-1", at=t) for t in times]

    pages = await walk(lambda cursor: communication_history(resident_id, lambda: uow, 2, cursor))

    assert [len(p) for p in pages] == [2, 2, 2, 1]
    walked = [i for p in pages for i in p]
    newest_first = sorted(ids, key=lambda i: (times[ids.index(i)], i), reverse=True)
    assert walked == newest_first
    last = await communication_history(resident_id, lambda: uow, 7)
    assert (len(last.items), last.next_cursor) == (7, None)  # exactly a page: no empty next


async def test_a_notification_arriving_during_a_walk_moves_no_page_boundary() -> None:
    uow = FakeUnitOfWork()
    resident_id = uuid.uuid4()
    ids = [
        await notified(uow, resident_id, "org-1", at=NOW - timedelta(minutes=m)) for m in range(5)
    ]
    first = await communication_history(resident_id, lambda: uow, 2)
    await notified(uow, resident_id, "org-1", at=NOW + timedelta(minutes=1))

    pages = await walk(
        lambda cursor: communication_history(
            resident_id, lambda: uow, 2, cursor or first.next_cursor
        )
    )

    walked = [n.notification_id for n in first.items] + [i for p in pages for i in p]
    assert walked == ids


async def test_a_professional_s_pages_are_their_organisation_s_and_each_read_is_audited() -> None:
    uow = FakeUnitOfWork()
    resident_id = uuid.uuid4()
    ours = []
    for minutes in range(3):
        at = NOW - timedelta(minutes=minutes)
        ours.append(await notified(uow, resident_id, "org-1", at=at))
        await notified(uow, resident_id, "org-2", at=at)

    def read(cursor: str | None) -> Awaitable[HistoryPage]:
        return professional_history(
            resident_id, READER, lambda: uow, now=NOW, limit=2, cursor=cursor
        )

    pages = await walk(read)

    assert pages == [ours[:2], ours[2:]]
    assert [r["items"] for r in uow.audit.records] == [2, 1]  # one record per page read


@pytest.mark.parametrize(
    "cursor",
    [
        "",
        "not-a-cursor",
        "aGlzdG9yeS0xfG5vdHxh",  # base64 of text that is no position
        AuditCursor(NOW, 7).encode(),  # the audit log's, not a history's
        HistoryCursor(NOW, uuid.uuid4()).encode() + "A",
    ],
)
async def test_a_cursor_this_history_did_not_give_is_invalid_input_and_unaudited(
    cursor: str,
) -> None:
    uow = FakeUnitOfWork()
    resident_id = uuid.uuid4()
    await notified(uow, resident_id, "org-1")

    with pytest.raises(InvalidInput):
        await communication_history(resident_id, lambda: uow, 2, cursor)
    with pytest.raises(InvalidInput):
        await professional_history(resident_id, READER, lambda: uow, now=NOW, cursor=cursor)

    assert uow.audit.records == []


def test_a_cursor_reads_back_the_position_it_names() -> None:
    position = HistoryCursor(NOW, uuid.uuid4())
    assert HistoryCursor.decode(position.encode()) == position
