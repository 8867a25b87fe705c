"""The audit contract's cursor and query: what they accept, what they refuse, and pages."""

from __future__ import annotations

import base64
import re
import uuid
from datetime import UTC, datetime, timedelta, timezone

import pytest
from pydantic import ValidationError

from careflow.shared.audit import (
    CURSOR_PATTERN,
    MAX_LIMIT,
    AuditCursor,
    AuditQuery,
    AuditRecordOut,
    InvalidCursor,
    Purpose,
    page_of,
)

AT = datetime(2026, 3, 1, 12, 30, 15, 123456, tzinfo=UTC)


def test_a_cursor_decodes_to_the_position_it_was_made_from() -> None:
    cursor = AuditCursor(AT, 42)
    assert AuditCursor.decode(cursor.encode()) == cursor


def test_equal_instants_in_other_zones_make_the_same_cursor() -> None:
    helsinki = AT.astimezone(timezone(timedelta(hours=2)))
    assert AuditCursor(helsinki, 7).encode() == AuditCursor(AT, 7).encode()


def test_a_cursor_is_url_safe_text() -> None:
    text = AuditCursor(AT, 10**18).encode()
    assert text.isascii()
    assert not set(text) & set("+/=&?# ")


def _b64(raw: str) -> str:
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


@pytest.mark.parametrize(
    "text",
    [
        "",
        "not base64 at all!",
        "x" * 300,
        "a2" + "A" * 22,  # another format
        "h1" + "A" * 22,  # another contract's cursor
        "a1" + "A" * 21,  # too short
        "a1" + "A" * 21 + "B",  # not the one spelling of its position
        _b64("1|2026-03-01T12:30:15+00:00"),  # no id
        _b64("2|2026-03-01T12:30:15+00:00|5"),  # unknown version
        _b64("1|2026-03-01T12:30:15|5"),  # naive time
        _b64("1|yesterday|5"),
        _b64("1|2026-03-01T12:30:15+00:00|-5"),
        _b64("1|2026-03-01T12:30:15+00:00|05"),  # not canonical
        _b64("1|2026-03-01T12:30:15+00:00|1e3"),
        _b64("1|2026-03-01T14:30:15+02:00|5"),  # the same instant, not as encode spells it
        base64.urlsafe_b64encode(b"\xff\xfe|x|1").decode(),
    ],
)
def test_anything_encode_did_not_make_is_an_invalid_cursor(text: str) -> None:
    with pytest.raises(InvalidCursor) as refused:
        AuditCursor.decode(text)
    assert str(refused.value) == "The cursor is not one this service gave."


@pytest.mark.parametrize("body", ["A" * 21 + "A", "_" * 21 + "w", "-" * 21 + "Q", "zz" * 10 + "_g"])
def test_every_text_the_pattern_admits_names_a_position(body: str) -> None:
    # The OpenAPI states the pattern: a client holding it can send no cursor we refuse.
    text = "a1" + body
    assert re.fullmatch(CURSOR_PATTERN, text)
    cursor = AuditCursor.decode(text)
    assert cursor.at.tzinfo is not None
    assert AuditCursor(cursor.at, cursor.id).encode() == text or cursor.at in (
        datetime.min.replace(tzinfo=UTC),
        datetime.max.replace(tzinfo=UTC),
    )


def test_a_position_has_one_spelling() -> None:
    text = AuditCursor(AT, 42).encode()
    other_last = {"A": "B", "Q": "R", "g": "h", "w": "x"}[text[-1]]
    with pytest.raises(InvalidCursor):
        AuditCursor.decode(text[:-1] + other_last)


def test_a_range_that_ends_before_it_starts_is_a_valid_empty_query() -> None:
    query = AuditQuery.model_validate({"from": AT, "to": AT - timedelta(seconds=1)})
    assert query.from_ is not None
    assert query.to is not None
    assert query.from_ > query.to


def test_the_query_takes_aware_times_and_decodes_its_cursor() -> None:
    cursor = AuditCursor(AT, 3)
    query = AuditQuery.model_validate(
        {"from": "2026-03-01T00:00:00+02:00", "to": AT, "limit": 10, "cursor": cursor.encode()}
    )
    assert query.from_ == datetime(2026, 2, 28, 22, tzinfo=UTC)
    assert query.cursor == cursor
    assert query.limit == 10


@pytest.mark.parametrize(
    ("fields", "where"),
    [
        ({"from": "2026-03-01T00:00:00"}, "from"),
        ({"to": datetime(2026, 3, 1)}, "to"),
        ({"limit": 0}, "limit"),
        ({"limit": MAX_LIMIT + 1}, "limit"),
        ({"cursor": "garbage"}, "cursor"),
    ],
)
def test_the_query_refuses_naive_times_bad_limits_and_foreign_cursors(
    fields: dict[str, object], where: str | None
) -> None:
    with pytest.raises(ValidationError) as refused:
        AuditQuery.model_validate(fields)
    [error] = refused.value.errors()
    assert error["loc"] == ((where,) if where else ())


def _record(at: datetime, id: int) -> AuditRecordOut:
    return AuditRecordOut.of(
        id=id,
        service="test",
        at=at,
        actor="prof-1",
        organisation="org-1",
        unit=None,
        resident_id=uuid.uuid4(),
        case_id=None,
        action="read",
        purpose=Purpose.CARE,
    )


def test_a_page_of_one_more_than_the_limit_continues_from_its_last_record() -> None:
    records = [_record(AT, id) for id in (5, 4, 3)]
    page = page_of(records, AuditQuery(limit=2))
    assert [r.cursor for r in page.items] == [r.cursor for r in records[:2]]
    assert page.next_cursor is not None
    assert AuditCursor.decode(page.next_cursor) == AuditCursor(AT, 4)


def test_a_page_with_no_more_records_has_no_next_cursor() -> None:
    page = page_of([_record(AT, 1), _record(AT, 2)], AuditQuery(limit=2))
    assert len(page.items) == 2
    assert page.next_cursor is None
    assert page_of([], AuditQuery()).next_cursor is None


def test_a_cursor_id_past_a_32_bit_column_orders_like_its_end() -> None:
    from sqlalchemy import BigInteger, Column, Integer

    from careflow.shared.audit.sql import _within

    assert _within(2**40, Column("id", Integer)) == 2**31 - 1
    assert _within(-(2**40), Column("id", Integer)) == -(2**31)
    assert _within(2**40, Column("id", BigInteger)) == 2**40
