"""Messaging's events over the broker: the queue item counts the resident's unread
messages, a resident's message clears "incomplete", a professional's read resets it."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from careflow.contracts.messages import MessageSent, MessagesRead
from careflow.testing.probe_service import wait_until

from .conftest import submitted


async def test_resident_messages_show_unread_clear_incomplete_and_a_read_resets(service):
    event = submitted(service.org)
    await service.publish(event)
    await service.wait_for_item(event.case_id)
    me = service.token("pro-a")
    base = f"/queue/items/{event.case_id}"
    assert (await service.client.post(f"{base}/take", headers=me)).status_code == 200
    assert (await service.client.post(f"{base}/incomplete", headers=me)).status_code == 200

    common = {
        "case_id": event.case_id,
        "resident_id": event.resident_id,
        "organisation_id": service.org,
    }
    [sent] = await service.publish(
        MessageSent(
            **common,
            unread_by_professionals=1,
            message_id=uuid.uuid4(),
            author="resident",
            sent_at=datetime.now(UTC),
        )
    )
    await service.wait_for_inbox(sent)
    item = (await service.client.get(base, headers=me)).json()
    assert (item["status"], item["unread_messages"]) == ("taken", 1)
    assert (await service.outbox_types(event.case_id))[
        -1
    ] == "careflow.queue_item.incomplete_cleared.v1"

    [read] = await service.publish(
        MessagesRead(
            **common, unread_by_professionals=0, side="professional", read_at=datetime.now(UTC)
        )
    )
    await service.wait_for_inbox(read)

    async def reset() -> bool:
        shown = (await service.client.get(base, headers=me)).json()
        return shown["unread_messages"] == 0

    await wait_until(reset, within=10)
