"""The communication history on an in-memory unit of work: what a professional may read,
and that every such read is audited."""

from __future__ import annotations

import uuid

import pytest

from careflow.notification.application.history import (
    ProfessionalReader,
    communication_history,
    professional_history,
    query_audit,
)
from careflow.notification.domain.delivery import Delivery
from careflow.notification.domain.errors import NotFound
from careflow.notification.domain.notification import DECIDED, NotificationRequest
from careflow.shared.audit import AuditQuery, Purpose

from .builders import NOW
from .fakes import FakeUnitOfWork

READER = ProfessionalReader("nurse-1", "org-1", "unit-1")


async def notified(uow: FakeUnitOfWork, resident_id: uuid.UUID, organisation: str) -> uuid.UUID:
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
        received_at=NOW,
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

    items = await professional_history(resident_id, READER, lambda: uow, now=NOW)

    assert [i.notification_id for i in items] == [ours]
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


async def test_the_history_shows_each_delivery_with_its_steps_under_its_notification() -> None:
    uow = FakeUnitOfWork()
    resident_id = uuid.uuid4()
    first = await notified(uow, resident_id, "org-1")
    second = await notified(uow, resident_id, "org-2")

    items = await communication_history(resident_id, lambda: uow)

    assert {i.notification_id for i in items} == {first, second}
    for item in items:
        (delivery,) = item.deliveries
        assert delivery.notification_id == item.notification_id
        assert [s.status for s in delivery.steps] == ["queued"]
