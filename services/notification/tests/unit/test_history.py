"""The communication history on an in-memory unit of work: what a professional may read,
and that every such read is audited."""

from __future__ import annotations

import uuid

import pytest

from careflow.notification.application.history import (
    ProfessionalReader,
    communication_history,
    professional_history,
)
from careflow.notification.domain.delivery import Delivery
from careflow.notification.domain.errors import NotFound
from careflow.notification.domain.notification import DECIDED, NotificationRequest

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

    assert [i["notification_id"] for i in items] == [ours]
    (record,) = uow.audit.records
    assert record["professional_id"] == "nurse-1"
    assert (record["resident_id"], record["items"]) == (resident_id, 1)
    assert uow.commits == 1


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

    assert {i["notification_id"] for i in items} == {first, second}
    for item in items:
        (delivery,) = item["deliveries"]
        assert delivery["notification_id"] == item["notification_id"]
        assert [s["status"] for s in delivery["steps"]] == ["queued"]
