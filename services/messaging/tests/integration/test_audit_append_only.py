"""Audit rows are append-only for messaging's database role: migrations run as the owner
role and grant the service role SELECT and INSERT on them, and nothing more."""

from __future__ import annotations

from careflow.messaging.adapters import message_tables  # noqa: F401  (its tables on metadata)
from careflow.messaging.adapters.chat_tables import chat_messages
from careflow.messaging.adapters.tables import audit_records, metadata
from careflow.messaging.bootstrap import MIGRATIONS
from careflow.testing.privileges import (
    check_append_only_for_the_service,
    check_hand_grants_taken_back,
    check_other_tables_writable_and_grants_idempotent,
)
from careflow.testing.servers import ServiceDatabase


async def test_the_service_role_adds_and_reads_audit_rows_but_cannot_change_them(
    service_database: ServiceDatabase,
) -> None:
    await check_append_only_for_the_service(service_database, MIGRATIONS, audit_records)


async def test_every_other_table_stays_writable_and_a_second_run_changes_no_grant(
    service_database: ServiceDatabase,
) -> None:
    # Chat transcripts (chat_messages) are append-only too: SELECT and INSERT only.
    await check_other_tables_writable_and_grants_idempotent(
        service_database, MIGRATIONS, metadata, audit_records, chat_messages
    )


async def test_a_right_to_change_audit_rows_given_by_hand_is_taken_back_by_the_next_run(
    service_database: ServiceDatabase,
) -> None:
    await check_hand_grants_taken_back(service_database, MIGRATIONS, audit_records)
