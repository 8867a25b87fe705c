"""The complaints rules on their own: import verdicts, due dates, who sees what, where a
case goes."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from uuid import uuid4

import pytest

from careflow.complaints.domain.access import HANDLER, LOCAL_ADMIN, RECEIVER, Staff
from careflow.complaints.domain.cases import (
    AnswerChannel,
    Case,
    DuePolicy,
    HandledIn,
    Kind,
    PlaceKind,
    Status,
    Submission,
    check_reply,
)
from careflow.complaints.domain.clinics import DirectoryEntry, Verdict, judge, rows_of
from careflow.complaints.domain.delivery import Backoff
from careflow.complaints.domain.errors import (
    HandledElsewhere,
    InvalidInput,
    NotAllowed,
    NotFound,
    Refused,
    ServiceClosed,
)
from careflow.complaints.domain.regions import NO_BOARD, PatientBoard, Region

NOW = datetime(2026, 12, 4, 9, 0, tzinfo=UTC)
CLINIC, OTHER_CLINIC, BOARD = (
    "SE2321000131-E000000011",
    "SE2321000131-E000000012",
    "SE2321000131-P000000001",
)


def case(**changes: object) -> Case:
    base = Case(
        case_id=uuid4(),
        kind=Kind.COMPLAINT,
        region_code="14",
        place_hsa_id=CLINIC,
        place_kind=PlaceKind.CLINIC,
        handled_in=HandledIn.STAFF_VIEW,
        status=Status.RECEIVED,
        anonymous=False,
        resident_id=uuid4(),
        answer_channel=AnswerChannel.MESSAGE,
        submitted_at=NOW,
        due_at=NOW + timedelta(days=28),
    )
    return replace(base, **changes)  # type: ignore[arg-type]


def staff(*roles: str, subject: str = "pro-1", place: str = CLINIC, region: str = "14") -> Staff:
    return Staff(subject, region, place, frozenset(roles))


def test_a_region_without_a_patient_board_is_closed_and_says_why() -> None:
    region = Region("14", "Västra Götaland")
    assert not region.is_open
    assert region.closed_reason == NO_BOARD
    with pytest.raises(ServiceClosed, match="patient board is not set"):
        region.require_open()


def test_a_region_with_its_board_is_open() -> None:
    region = Region("14", "Västra Götaland", PatientBoard(BOARD, "Patientnämnden"))
    assert region.is_open
    assert region.closed_reason is None
    assert region.require_open().hsa_id == BOARD


def test_an_answer_is_due_in_four_weeks_and_sooner_for_a_patient_under_18() -> None:
    policy = DuePolicy(answer_days=28, under_18_days=14)
    assert policy.due(NOW, None) == NOW + timedelta(days=28)
    assert policy.due(NOW, date(1980, 1, 1)) == NOW + timedelta(days=28)
    assert policy.due(NOW, date(2010, 1, 1)) == NOW + timedelta(days=14)
    # Turns 18 tomorrow: still under 18 today.
    assert policy.due(NOW, date(2008, 12, 5)) == NOW + timedelta(days=14)
    assert policy.due(NOW, date(2008, 12, 4)) == NOW + timedelta(days=28)


def test_the_due_days_are_configurable() -> None:
    assert DuePolicy(answer_days=20, under_18_days=5).due(NOW, date(2015, 1, 1)) == NOW + timedelta(
        days=5
    )


def test_an_unanswered_case_past_its_due_date_is_overdue_and_an_answered_one_is_not() -> None:
    late = case(due_at=NOW - timedelta(seconds=1))
    assert late.overdue(NOW)
    assert not late.answered(NOW).overdue(NOW)
    assert not case().overdue(NOW)


def test_an_anonymous_submission_cannot_ask_for_an_answer() -> None:
    with pytest.raises(InvalidInput, match="anonymous"):
        Submission(Kind.FEEDBACK, "14", None, "x", "y", None, True, AnswerChannel.LETTER)


def test_an_anonymous_case_gets_no_answer() -> None:
    with pytest.raises(Refused, match="anonymous"):
        check_reply(case(anonymous=True, resident_id=None, answer_channel=None), final=True)
    assert not case(anonymous=True, resident_id=None, answer_channel=None).notifies_resident


def test_a_case_in_the_clinics_own_system_is_not_handled_in_the_staff_view() -> None:
    own = case(handled_in=HandledIn.OWN_SYSTEM)
    with pytest.raises(HandledElsewhere):
        own.distributed(group_id=None, handler_id="pro-2")
    with pytest.raises(HandledElsewhere):
        check_reply(own, final=False)


def test_receivers_see_their_places_cases_and_nobody_sees_another_places() -> None:
    mine = case()
    assert staff(RECEIVER).may_see(mine, set())
    assert not staff(RECEIVER, place=OTHER_CLINIC).may_see(mine, set())
    assert not staff(RECEIVER, region="01").may_see(mine, set())
    assert not staff(LOCAL_ADMIN).may_see(mine, set())


def test_a_handler_sees_only_the_cases_given_to_them_or_their_group() -> None:
    group = uuid4()
    handler = staff(HANDLER, subject="pro-h")
    assert not handler.may_see(case(), {group})
    assert handler.may_see(case(handler_id="pro-h"), set())
    assert not handler.may_see(case(handler_id="pro-other"), set())
    assert handler.may_see(case(group_id=group), {group})
    assert not handler.may_see(case(group_id=uuid4()), {group})
    with pytest.raises(NotFound):
        handler.require_sees(case(handler_id="pro-other"), set())


def test_only_a_handler_given_the_case_sends_the_answer_receivers_send_partial_replies() -> None:
    given = case(handler_id="pro-h", status=Status.DISTRIBUTED)
    staff(RECEIVER).require_may_reply(given, set(), final=False)
    with pytest.raises(NotAllowed):
        staff(RECEIVER).require_may_reply(given, set(), final=True)
    staff(HANDLER, subject="pro-h").require_may_reply(given, set(), final=True)


def test_distribution_gives_a_case_to_one_group_or_one_handler_and_can_be_redone() -> None:
    group = uuid4()
    to_group = case().distributed(group_id=group, handler_id=None)
    assert (to_group.group_id, to_group.handler_id, to_group.status) == (
        group,
        None,
        Status.DISTRIBUTED,
    )
    to_handler = to_group.distributed(group_id=None, handler_id="pro-h")
    assert (to_handler.group_id, to_handler.handler_id) == (None, "pro-h")
    with pytest.raises(InvalidInput):
        case().distributed(group_id=group, handler_id="pro-h")


def test_a_board_case_retargeted_leaves_the_board_and_its_handlers_for_the_clinic() -> None:
    at_board = case(place_hsa_id=BOARD, place_kind=PlaceKind.BOARD, handler_id="pro-board")
    moved = at_board.retargeted(CLINIC, HandledIn.STAFF_VIEW)
    assert (moved.place_hsa_id, moved.place_kind, moved.handler_id, moved.status) == (
        CLINIC,
        PlaceKind.CLINIC,
        None,
        Status.RECEIVED,
    )
    with pytest.raises(Refused):
        case().retargeted(OTHER_CLINIC, HandledIn.STAFF_VIEW)


def test_every_import_row_gets_its_verdict() -> None:
    content = "\n".join(
        [
            "SE2321000131-E000000001",  # valid
            "not-an-id",  # malformed
            "SE2321000131-E000000001",  # duplicate
            "SE2321000131-E000000002",  # unknown
            "SE2321000131-E000000003",  # not activated
            "SE2321000131-E000000004",  # other region
            "",
            "SE2321000131-E000000005",  # already added
        ]
    )
    directory = {
        "SE2321000131-E000000001": DirectoryEntry("SE2321000131-E000000001", "A", "14", True),
        "SE2321000131-E000000003": DirectoryEntry("SE2321000131-E000000003", "C", "14", False),
        "SE2321000131-E000000004": DirectoryEntry("SE2321000131-E000000004", "D", "01", True),
        "SE2321000131-E000000005": DirectoryEntry("SE2321000131-E000000005", "E", "14", True),
    }
    verdicts = judge(
        rows_of(content, "txt"),
        region_code="14",
        existing={"SE2321000131-E000000005"},
        directory=directory,
    )
    assert [(v.line, v.verdict) for v in verdicts] == [
        (1, Verdict.VALID),
        (2, Verdict.MALFORMED),
        (3, Verdict.DUPLICATE),
        (4, Verdict.UNKNOWN_HSA_ID),
        (5, Verdict.NOT_ACTIVATED),
        (6, Verdict.OTHER_REGION),
        (8, Verdict.ALREADY_ADDED),
    ]


def test_a_csv_file_gives_its_first_column_and_skips_a_header() -> None:
    rows = rows_of("hsa_id;name\nSE2321000131-E000000001;Vårdcentralen\n\nbad;x\n", "csv")
    assert [(r.line, r.hsa_id) for r in rows] == [(2, "SE2321000131-E000000001"), (4, "bad")]


def test_deliveries_back_off_doubling_up_to_the_cap() -> None:
    backoff = Backoff(initial_seconds=2, max_seconds=10)
    assert [backoff.next_attempt(NOW, n) - NOW for n in (1, 2, 3, 4)] == [
        timedelta(seconds=s) for s in (2, 4, 8, 10)
    ]
