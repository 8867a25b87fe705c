"""What a submission sends to PostgreSQL: the common case is one statement."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime

from careflow.intake.application.case_changes import save_case
from careflow.intake.domain.case import Case
from careflow.testing.statements import Sent, statements_by_connection

from .conftest import Api, resident, symptom_form


def _of_the_request(sent: dict[int, Sent]) -> list[str]:
    # The relay shares the pool: the request's statements are those that read the
    # resident, and what their connections sent with them.
    return [q for s in sent.values() if any("FROM residents" in q for q, _ in s) for q, _ in s]


async def test_a_repeat_submission_checks_its_resident_and_writes_all_in_one_statement(
    api: Api,
) -> None:
    me = resident(f"res-{uuid.uuid4()}")
    assert (await api.call("POST", "/forms", me, symptom_form())).status_code == 201
    with statements_by_connection(api.app.state.container.runtime.engine) as sent:
        response = await api.call("POST", "/forms", me, symptom_form())
        await asyncio.sleep(0)  # asyncpg calls its query loggers soon, not at once
    assert response.status_code == 201, response.text
    [written] = _of_the_request(sent)
    assert "FROM residents" in written
    assert "FOR UPDATE" not in written
    assert all(f"INSERT INTO {table}" in written for table in ("cases", "case_events", "outbox"))
    case_id = response.json()["case_id"]
    assert await api.rows("SELECT kind FROM case_events WHERE case_id = :c", c=case_id) == [
        ("CaseOpened",)
    ]
    [(event_type,)] = await api.rows("SELECT event_type FROM outbox WHERE key = :k", k=case_id)
    assert event_type == "careflow.case.submitted.v1"


async def test_a_new_phone_number_is_noted_under_the_residents_lock(api: Api) -> None:
    me = resident(f"res-{uuid.uuid4()}")
    assert (await api.call("POST", "/forms", me, symptom_form())).status_code == 201
    with statements_by_connection(api.app.state.container.runtime.engine) as sent:
        response = await api.call("POST", "/forms", me, symptom_form(phone="+358409990000"))
        await asyncio.sleep(0)
    assert response.status_code == 201, response.text
    statements = _of_the_request(sent)
    assert any("FROM residents" in q and "FOR UPDATE" in q for q in statements)
    assert (await api.call("GET", "/me/contact", me)).json()["phone"] == "+358409990000"
    # The case went in once: with the number, not with the statement that found it new.
    cases = await api.rows(
        "SELECT count(*) FROM outbox WHERE event_type = :t AND key = :k",
        t="careflow.case.submitted.v1",
        k=response.json()["case_id"],
    )
    assert cases == [(1,)]
    updates = await api.rows(
        "SELECT count(*) FROM outbox WHERE event_type = :t",
        t="careflow.resident.contact_updated.v1",
    )
    assert updates == [(2,)]  # the first number, then the new one


async def test_a_unit_of_works_later_reads_see_the_cases_it_saved(api: Api) -> None:
    """A consumed batch applies several events in one unit of work: the second event's
    read of a case must see what the first one saved, still uncommitted."""
    case = Case.create_for_resident(
        resident_id=uuid.uuid4(),
        kind="health_examination",
        language="fi",
        professional_id="nurse-1",
        organisation_id="org-1",
        unit_id=None,
        group_id=None,
        now=datetime.now(UTC),
    )
    async with api.app.state.container.uow() as uow:
        await save_case(uow, case)
        seen = await uow.cases.get(case.id, lock=True)
        assert seen is not None
        assert [e["kind"] for e in await uow.cases.latest_events(case.id)] == ["CaseCreated"]
        assert await api.rows("SELECT id FROM cases WHERE id = :c", c=case.id) == []
        # Left without commit: the writes sent for the read roll back with the rest.
    assert await api.rows("SELECT id FROM cases WHERE id = :c", c=case.id) == []
    assert await api.rows("SELECT id FROM outbox WHERE key = :k", k=str(case.id)) == []
