"""Input edges over the real HTTP app: values that must be 422 problems (never 500s, never
in a log), answer limits, and the paged case list."""

from __future__ import annotations

import logging
import traceback
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from .conftest import NO_RED_FLAGS, Api, professional, resident, symptom_form

CONTACT = {
    "communication_language": "fi",
    "email": "alice@example.fi",
    "email_notifications": True,
}


class _Everything(logging.Handler):
    """Every record the process logs, with its traceback, as text."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.texts: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        text = record.getMessage()
        if record.exc_info and record.exc_info[1] is not None:
            text += "".join(traceback.format_exception(record.exc_info[1]))
        self.texts.append(text)


@contextmanager
def logged() -> Iterator[_Everything]:
    # Added after the app started: its logging setup replaces the root's handlers.
    handler, root = _Everything(), logging.getLogger()
    root.addHandler(handler)
    try:
        yield handler
    finally:
        root.removeHandler(handler)


def _is_problem(response: Any, status: int) -> None:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"


async def test_an_email_with_a_trailing_newline_is_a_422_and_never_logged(api: Api) -> None:
    me = resident(f"res-{uuid.uuid4()}")
    with logged() as log:
        response = await api.call(
            "PUT", "/me/contact", me, CONTACT | {"email": "alice@example.fi\n"}
        )
    _is_problem(response, 422)
    assert "alice@example.fi" not in response.text
    assert not [text for text in log.texts if "alice@example.fi" in text]
    assert await api.rows("SELECT id FROM residents") == []
    assert await api.rows("SELECT id FROM outbox") == []
    # The same address without the newline is accepted.
    assert (await api.call("PUT", "/me/contact", me, CONTACT)).status_code == 200


@pytest.mark.parametrize("phone", ["+358401234567\n", "+358401234567\r", " +358401234567"])
async def test_a_phone_with_anything_around_it_is_a_422_on_contact_and_forms(
    api: Api, phone: str
) -> None:
    me = resident(f"res-{uuid.uuid4()}")
    with logged() as log:
        contact = CONTACT | {"phone": phone, "sms_notifications": True}
        _is_problem(await api.call("PUT", "/me/contact", me, contact), 422)
        _is_problem(await api.call("POST", "/forms", me, symptom_form(phone=phone)), 422)
    assert not [text for text in log.texts if "358401234567" in text]
    assert await api.rows("SELECT id FROM cases") == []
    assert await api.rows("SELECT id FROM outbox") == []


async def test_a_value_the_event_contract_refuses_is_a_422_naming_the_field_not_the_value(
    api: Api,
) -> None:
    # A professional id that is a fine token subject but not a contract ExternalId:
    # the CaseCreatedByProfessional event cannot carry it.
    nurse = professional("nurse.7@org-1.example")
    body = {"resident_subject": f"res-{uuid.uuid4()}", "kind": "wellbeing_check", "language": "en"}
    with logged() as log:
        response = await api.call("POST", "/cases", nurse, body)
    _is_problem(response, 422)
    assert "created_by" in response.json()["detail"]
    assert "nurse.7" not in response.text
    assert not [text for text in log.texts if "nurse.7" in text]
    assert await api.rows("SELECT id FROM cases") == []
    assert await api.rows("SELECT id FROM outbox") == []


@pytest.mark.parametrize(
    ("answers", "limit"),
    [
        ({f"q{i}": i for i in range(201)}, "200 answers"),
        ({"story": "x" * 4001}, "4000 characters"),
        ({"table": [[["too deep"]]]}, "2 levels"),
        ({"rows": [[i for i in range(100)] for _ in range(25)]}, "2000 values"),
        ({"q" * 101: True}, "100 characters"),
        ({"note": "before\x00after"}, "Control characters"),
    ],
)
async def test_answers_over_a_limit_are_a_422_and_store_nothing(
    api: Api, answers: dict[str, Any], limit: str
) -> None:
    response = await api.call(
        "POST", "/forms", resident(f"res-{uuid.uuid4()}"), symptom_form(answers=answers)
    )
    _is_problem(response, 422)
    assert limit in response.json()["detail"]
    assert await api.rows("SELECT id FROM cases") == []


async def test_answers_at_the_limits_are_accepted(api: Api) -> None:
    # The red-flag questions the urgency rules require count towards the 200 answers.
    answers: dict[str, Any] = dict(NO_RED_FLAGS)
    answers |= {f"q{i}": i for i in range(198 - len(NO_RED_FLAGS))}
    answers |= {"story": "x" * 4000, "table": [{"row": 1, "note": "line one\nline two"}]}
    me = resident(f"res-{uuid.uuid4()}")
    response = await api.call("POST", "/forms", me, symptom_form(answers=answers))
    assert response.status_code == 201, response.text
    page = (await api.call("GET", f"/me/cases/{response.json()['case_id']}", me)).json()
    assert page["summary"]["results"] == answers


async def test_a_goal_with_a_nul_character_is_a_422(api: Api) -> None:
    me = resident(f"res-{uuid.uuid4()}")
    case_id = (await api.call("POST", "/forms", me, symptom_form())).json()["case_id"]
    response = await api.call("POST", f"/me/cases/{case_id}/goals", me, {"text": "walk\x00daily"})
    _is_problem(response, 422)
    assert await api.rows("SELECT id FROM goals") == []


async def test_my_cases_come_in_pages_newest_first_with_the_total(api: Api) -> None:
    me = resident(f"res-{uuid.uuid4()}")
    created = []
    for minutes in range(5):
        api.clock.advance(minutes=minutes)
        created.append((await api.call("POST", "/forms", me, symptom_form())).json()["case_id"])
    newest_first = created[::-1]

    first = (await api.call("GET", "/me/cases?limit=2", me)).json()
    second = (await api.call("GET", "/me/cases?limit=2&offset=2", me)).json()
    last = (await api.call("GET", "/me/cases?limit=2&offset=4", me)).json()
    pages = [first, second, last]
    assert [page["total"] for page in pages] == [5, 5, 5]
    assert [c["id"] for page in pages for c in page["items"]] == newest_first
    assert (last["limit"], last["offset"], len(last["items"])) == (2, 4, 1)
    beyond = (await api.call("GET", "/me/cases?offset=5", me)).json()
    assert (beyond["items"], beyond["total"]) == ([], 5)
    # Someone else's cases are neither listed nor counted.
    other = (await api.call("GET", "/me/cases", resident(f"res-{uuid.uuid4()}"))).json()
    assert (other["items"], other["total"]) == ([], 0)


@pytest.mark.parametrize("query", ["limit=0", "limit=101", "offset=-1"])
async def test_a_page_outside_the_bounds_is_a_422(api: Api, query: str) -> None:
    response = await api.call("GET", f"/me/cases?{query}", resident(f"res-{uuid.uuid4()}"))
    _is_problem(response, 422)
