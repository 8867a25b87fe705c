"""The communication history in keyset pages: a walk shows every notification once, also
while new ones arrive, and a cursor this history did not give is refused."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from sqlalchemy import func, select

from careflow.notification.adapters.tables import audit_records, notifications
from careflow.shared.audit import AuditCursor
from careflow.testing.probe_service import wait_until

from .test_delivery import task
from .test_professional_access import professional, submitted


async def notified(service, resident_id: uuid.UUID, case_id: uuid.UUID, count: int) -> None:  # type: ignore[no-untyped-def]
    """Publishes `count` tasks of the case and waits until the service recorded them all."""
    n = notifications.c
    before = await ids_of(service, resident_id)
    events = [task(resident_id).model_copy(update={"case_id": case_id}) for _ in range(count)]
    await service.publish(*events)
    counted = select(func.count()).where(n.resident_id == resident_id)

    async def recorded() -> bool:
        [(found,)] = await service.sql(counted)
        return found == len(before) + count

    await wait_until(recorded, within=60)


async def ids_of(service, resident_id: uuid.UUID) -> list[str]:  # type: ignore[no-untyped-def]
    """The resident's notification ids, newest first, as the pages must show them."""
    n = notifications.c
    rows = await service.sql(
        select(n.notification_id)
        .where(n.resident_id == resident_id)
        .order_by(n.received_at.desc(), n.notification_id.desc())
    )
    return [str(r.notification_id) for r in rows]


async def test_walking_the_pages_shows_each_notification_once_while_new_ones_arrive(service):
    # No channel on: every delivery is suppressed at once, nothing waits on a sender.
    subject = f"sub-{uuid.uuid4()}"
    resident_id = await service.resident(subject, email_on=False, sms_on=False)
    org = f"org-{uuid.uuid4().hex[:6]}"
    case = submitted(resident_id, org)
    await service.publish(case)
    await notified(service, resident_id, case.case_id, 5)
    there = await ids_of(service, resident_id)
    nurse = professional(service, org)

    for path, headers in (
        ("/me/communications", service.token(subject)),
        (f"/residents/{resident_id}/communications", service.token(subject)),
        (f"/professional/residents/{resident_id}/communications", nurse),
    ):
        first = await service.client.get(path, params={"limit": 2}, headers=headers)
        assert first.status_code == 200, first.text
        walked = [i["notification_id"] for i in first.json()["items"]]
        cursor, pages = first.json()["next_cursor"], 1
        await notified(service, resident_id, case.case_id, 2)  # newer than every page's start
        while cursor is not None:
            page = await service.client.get(
                path, params={"limit": 2, "cursor": cursor}, headers=headers
            )
            assert page.status_code == 200, page.text
            assert all(i["deliveries"] for i in page.json()["items"])  # still grouped
            walked += [i["notification_id"] for i in page.json()["items"]]
            cursor, pages = page.json()["next_cursor"], pages + 1

        assert walked == there  # each once, newest first, none of the new ones mid-walk
        there = await ids_of(service, resident_id)

    # One audit record per page the professional read (9 notifications by then, 2 a page).
    a = audit_records.c
    [(reads,)] = await service.sql(select(func.count()).where(a.resident_id == resident_id))
    assert reads == pages == 5


async def test_a_foreign_or_malformed_cursor_is_a_422_problem_and_no_read(service):
    subject = f"sub-{uuid.uuid4()}"
    resident_id = await service.resident(subject, email_on=False, sms_on=False)
    org = f"org-{uuid.uuid4().hex[:6]}"
    case = submitted(resident_id, org)
    await service.publish(case)
    await notified(service, resident_id, case.case_id, 1)
    resident, nurse = service.token(subject), professional(service, org)

    foreign = AuditCursor(datetime.now(UTC), 3).encode()  # the audit log's, not a history's
    for cursor in ("garbage", foreign, "x" * 201):
        for path, headers in (
            ("/me/communications", resident),
            (f"/residents/{resident_id}/communications", resident),
            (f"/professional/residents/{resident_id}/communications", nurse),
        ):
            answer = await service.client.get(path, params={"cursor": cursor}, headers=headers)
            assert answer.status_code == 422, (path, answer.text)
            assert answer.headers["content-type"].startswith("application/problem+json")
            assert cursor not in answer.text

    a = audit_records.c
    [(reads,)] = await service.sql(select(func.count()).where(a.resident_id == resident_id))
    assert reads == 0
