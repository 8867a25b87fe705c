"""What a consumed case event sends to PostgreSQL: a new case is one read and one write."""

from __future__ import annotations

import asyncio

from careflow.testing.statements import around, statements_by_connection

from .conftest import Service, submitted


async def test_a_submitted_case_is_read_once_plainly_and_written_with_its_claim_in_one_statement(
    service: Service,
) -> None:
    event = submitted(service.org)
    with statements_by_connection(service.container.runtime.engine) as sent:
        [event_id] = await service.publish(event)
        await service.wait_for_item(event.case_id)
        await asyncio.sleep(0)  # asyncpg calls its query loggers soon, not at once
    statements, at = around(sent, "INSERT INTO inbox", event_id)
    written = statements[at]
    assert all(f"INSERT INTO {t}" in written for t in ("inbox", "queue_items", "outbox"))
    # No COMMIT after it: the statement commits on its own.
    if at + 1 < len(statements):
        assert not statements[at + 1].strip().upper().startswith("COMMIT"), statements
    # One read before it, of the item or its parked events, neither locking nor begun
    # (a pooled connection of its own, taken for that statement alone).
    reads, read_at = around(sent, "FROM parked_events", str(event.case_id))
    read = reads[read_at]
    assert "queue_items" in read
    assert "FOR UPDATE" not in read
    if read_at > 0:
        assert not reads[read_at - 1].strip().upper().startswith("BEGIN"), reads
