"""Audit rows are append-only for workqueue's database role: migrations run as the owner
role and grant the service role SELECT and INSERT on them, and nothing more."""

from __future__ import annotations

from careflow.shared.db.migrate import migrate_async
from careflow.testing.privileges import (
    APPEND,
    WRITE,
    access_lists,
    execute,
    granted,
    insert_and_read_back,
    refused,
)
from careflow.testing.servers import ServiceDatabase
from careflow.workqueue.adapters.tables import audit_records, metadata
from careflow.workqueue.bootstrap import MIGRATIONS


async def test_the_service_role_adds_and_reads_audit_rows_but_cannot_change_them(
    service_database: ServiceDatabase,
) -> None:
    await migrate_async(MIGRATIONS, service_database.settings())
    as_service = service_database.service_url

    assert len(await insert_and_read_back(as_service, audit_records)) == 1
    for statement in (
        "UPDATE audit_records SET action = 'rewritten'",
        "DELETE FROM audit_records",
        "TRUNCATE audit_records",
    ):
        assert await refused(as_service, statement), statement
    assert len(await insert_and_read_back(service_database.owner_url, audit_records)) == 2


async def test_every_other_table_stays_writable_and_a_second_run_changes_no_grant(
    service_database: ServiceDatabase,
) -> None:
    await migrate_async(MIGRATIONS, service_database.settings())
    first = await access_lists(service_database)
    await migrate_async(MIGRATIONS, service_database.settings())

    assert await access_lists(service_database) == first
    others = {name for name in metadata.tables if name != "audit_records"} | {"outbox", "inbox"}
    assert await granted(service_database) == {"audit_records": APPEND} | dict.fromkeys(
        others, WRITE
    )


async def test_a_right_to_change_audit_rows_given_by_hand_is_taken_back_by_the_next_run(
    service_database: ServiceDatabase,
) -> None:
    await migrate_async(MIGRATIONS, service_database.settings())
    role = service_database.service_role
    await execute(service_database.owner_url, f'GRANT ALL ON audit_records TO "{role}", PUBLIC')

    await migrate_async(MIGRATIONS, service_database.settings())

    assert (await granted(service_database))["audit_records"] == APPEND
    assert await refused(service_database.service_url, "DELETE FROM audit_records")
