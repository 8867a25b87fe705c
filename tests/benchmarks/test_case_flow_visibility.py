"""The case-flow bench's queue watcher: it reads workqueue's new outbox rows, and notes
each watched case once its QueueItemAdded row has committed, in whatever order the
transactions commit."""

from __future__ import annotations

import asyncio
import importlib.util
import sys
import time
import uuid
from pathlib import Path

import asyncpg
from sqlalchemy.ext.asyncio import create_async_engine

from careflow.shared.outbox.tables import outbox

_BENCH = Path(__file__).resolve().parents[2] / "benchmarks"
sys.path.insert(0, str(_BENCH))  # the watcher's module imports its siblings by name
_SPEC = importlib.util.spec_from_file_location("case_flow_load", _BENCH / "case_flow_load.py")
assert _SPEC is not None
assert _SPEC.loader is not None
load = importlib.util.module_from_spec(_SPEC)
sys.modules["case_flow_load"] = load
_SPEC.loader.exec_module(load)

from case_flow_report import Submission  # noqa: E402 (found through the path set above)

INSERT = (
    "INSERT INTO outbox (event_id, topic, key, shard, event_type, source, payload, occurred_at) "
    "VALUES ($1, 'workqueue.items.v1', $2, 0, $3, 'workqueue', '{}', now())"
)


def test_ids_passed_over_are_read_again_until_they_appear_or_are_forgotten():
    rows = load.NewRows(highest=10, forget_after=30.0)
    rows.saw([11, 14], now=100.0)  # 12 and 13 were taken by transactions still open
    assert rows.highest == 14
    assert set(rows.missing) == {12, 13}
    rows.saw([13, 15], now=101.0)
    assert rows.highest == 15
    assert set(rows.missing) == {12}
    rows.saw([], now=131.5)  # 12's transaction rolled back: given up after 30 s
    assert rows.missing == {}
    assert rows.highest == 15


async def _outbox_database(url: str) -> str:
    engine = create_async_engine(url)
    async with engine.begin() as conn:
        await conn.run_sync(outbox.metadata.create_all, tables=[outbox])
    await engine.dispose()
    return url.replace("postgresql+asyncpg://", "postgresql://")


async def _noted(seen, submission: Submission, within: float = 2.0) -> float:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + within
    while submission.visible is None and time.monotonic() < deadline:
        seen._wake.set()
        await asyncio.sleep(0.01)
    assert submission.visible is not None, f"{submission.case_id} never noted"
    return submission.visible


async def test_each_case_is_noted_when_its_row_commits_whatever_the_order(fresh_database: str):
    dsn = await _outbox_database(fresh_database)
    writer = await asyncpg.connect(dsn)
    first, second = await asyncpg.connect(dsn), await asyncpg.connect(dsn)
    seen = load.Visibility(dsn)
    await seen.start()
    try:
        early = Submission(due=0.0, case_id=str(uuid.uuid4()))
        await writer.execute(INSERT, uuid.uuid4(), early.case_id, load.ITEM_ADDED)
        late, quick, undone, other = (
            Submission(due=0.0, case_id=str(uuid.uuid4())) for _ in range(4)
        )
        slow = first.transaction()
        await slow.start()
        await first.execute(INSERT, uuid.uuid4(), late.case_id, load.ITEM_ADDED)
        rolled_back = second.transaction()
        await rolled_back.start()
        await second.execute(INSERT, uuid.uuid4(), undone.case_id, load.ITEM_ADDED)
        # A higher id commits first, and another event of a watched case is no item.
        await writer.execute(INSERT, uuid.uuid4(), quick.case_id, load.ITEM_ADDED)
        await writer.execute(INSERT, uuid.uuid4(), other.case_id, "careflow.queue_item.taken.v1")
        for submission in (late, quick, undone, other):
            seen.watch(submission)
        await _noted(seen, quick)
        assert seen._rows.missing, "the open transactions' ids are to be read again"
        assert late.visible is None

        await rolled_back.rollback()
        committed = time.monotonic()
        await slow.commit()
        assert await _noted(seen, late) >= committed

        # Its row committed before it was watched (an item may show before the answer).
        seen.watch(early)
        assert early.visible is not None
        await asyncio.sleep(0.1)
        assert undone.visible is None
        assert other.visible is None
        assert set(seen.outstanding) == {undone.case_id, other.case_id}
    finally:
        await seen.stop()
        for conn in (writer, first, second):
            await conn.close()
