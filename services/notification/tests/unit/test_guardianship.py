"""Whose history a resident may read: their own, and a child's until the child turns 15."""

from __future__ import annotations

import uuid
from datetime import date

import pytest

from careflow.notification.application.history import ResidentReader, readable_history
from careflow.notification.domain.errors import NotFound
from careflow.notification.domain.guardianship import Ward, ensure_history_readable

from .fakes import FakeUnitOfWork

TODAY = date(2026, 11, 22)


def test_a_resident_reads_their_own_history() -> None:
    me = uuid.uuid4()
    ensure_history_readable(me, reader_id=me, wards=(), today=TODAY)


def test_a_guardian_reads_a_child_s_history_until_the_day_before_the_15th_birthday() -> None:
    child = uuid.uuid4()
    ward = Ward(child, date(2011, 11, 23))  # 15 tomorrow

    ensure_history_readable(child, reader_id=uuid.uuid4(), wards=[ward], today=TODAY)


def test_from_the_15th_birthday_on_the_child_s_history_is_not_found_for_the_guardian() -> None:
    child = uuid.uuid4()
    ward = Ward(child, date(2011, 11, 22))  # 15 today

    with pytest.raises(NotFound):
        ensure_history_readable(child, reader_id=uuid.uuid4(), wards=[ward], today=TODAY)


def test_someone_else_s_history_is_not_found_even_for_a_guardian_of_other_children() -> None:
    ward = Ward(uuid.uuid4(), date(2020, 1, 1))

    with pytest.raises(NotFound):
        ensure_history_readable(uuid.uuid4(), reader_id=uuid.uuid4(), wards=[ward], today=TODAY)


async def test_a_refused_read_raises_not_found_before_opening_a_unit_of_work() -> None:
    opened: list[FakeUnitOfWork] = []

    def uow_factory() -> FakeUnitOfWork:
        opened.append(FakeUnitOfWork())
        return opened[-1]

    reader = ResidentReader(uuid.uuid4(), (Ward(uuid.uuid4(), date(2011, 11, 22)),))
    with pytest.raises(NotFound):
        await readable_history(reader.wards[0].resident_id, reader, uow_factory, today=TODAY)
    assert opened == []

    young = ResidentReader(reader.resident_id, (Ward(uuid.uuid4(), date(2015, 1, 1)),))
    page = await readable_history(young.wards[0].resident_id, young, uow_factory, today=TODAY)
    assert (page.items, page.next_cursor) == ([], None)
    assert len(opened) == 1
