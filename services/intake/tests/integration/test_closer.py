"""The 72-hour closer: exactly once across concurrent closers, and after a crash mid-way."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import uuid

from careflow.intake.adapters.unit_of_work import IntakeUnitOfWork
from careflow.intake.application.close_expired_proposals import ProposalCloser
from careflow.intake.entrypoints.api.app import create_app

from .conftest import Api, intake_settings, professional, resident, symptom_form, wait_until

CLOSED = "careflow.case.closed.v1"


async def _proposed_cases(api: Api, count: int) -> list[str]:
    ids = []
    for _ in range(count):
        me = resident(f"res-{uuid.uuid4()}")
        case_id = (await api.call("POST", "/forms", me, symptom_form())).json()["case_id"]
        response = await api.call("POST", f"/cases/{case_id}/closing-proposals", professional())
        assert response.status_code == 201
        ids.append(case_id)
    return ids


async def _closed_events(api: Api) -> dict[str, int]:
    rows = await api.rows(
        "SELECT key, count(*) FROM outbox WHERE event_type = :t GROUP BY key", t=CLOSED
    )
    return {key: n for key, n in rows}


async def test_several_closers_running_together_close_each_case_exactly_once(api: Api) -> None:
    case_ids = await _proposed_cases(api, 12)
    api.clock.advance(hours=71, minutes=59)
    intake = api.app.state.container.intake
    assert await ProposalCloser(intake).close_due() == 0
    api.clock.advance(minutes=1)
    closers = [ProposalCloser(intake, batch_size=2, poll_seconds=0.01) for _ in range(4)]
    tasks = [asyncio.create_task(c.run()) for c in closers]
    try:
        await wait_until(lambda: _all_closed(api, case_ids))
        await asyncio.sleep(0.3)  # let every closer make more passes
    finally:
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
    assert await _closed_events(api) == dict.fromkeys(case_ids, 1)
    [(reason, closed_by)] = await api.rows(
        "SELECT DISTINCT closing_reason, closed_by FROM cases WHERE closed_at IS NOT NULL"
    )
    assert (reason, closed_by) == ("proposal_expired", "system")


async def _all_closed(api: Api, case_ids: list[str]) -> bool:
    return set((await _closed_events(api)).keys()) == set(case_ids)


class _CrashBeforeCommit(IntakeUnitOfWork):
    """A closer process that dies after locking its cases, before committing."""

    reached: asyncio.Event

    async def commit(self) -> None:
        self.reached.set()
        await asyncio.Event().wait()  # the process hangs here until it is killed


async def test_a_closer_that_dies_mid_way_leaves_the_case_to_the_next_one(api: Api) -> None:
    [case_id] = await _proposed_cases(api, 1)
    api.clock.advance(hours=73)
    intake = api.app.state.container.intake
    reached = asyncio.Event()

    def crashing_uow() -> IntakeUnitOfWork:
        # Same database, as another replica would use.
        uow = api.app.state.container.runtime.unit_of_work(_CrashBeforeCommit)
        uow.reached = reached
        return uow

    doomed = ProposalCloser(dataclasses.replace(intake, uow=crashing_uow))
    dying = asyncio.create_task(doomed.close_due())
    await reached.wait()
    # While it holds the row lock, another replica skips the case instead of waiting.
    assert await ProposalCloser(intake).close_due() == 0
    dying.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await dying
    assert await _closed_events(api) == {}
    # After the restart the next pass closes it, once.
    assert await ProposalCloser(intake).close_due() == 1
    assert await ProposalCloser(intake).close_due() == 0
    assert await _closed_events(api) == {case_id: 1}


async def test_the_service_runs_the_closer_in_the_background_after_a_restart(
    api: Api, kafka, keys
) -> None:  # type: ignore[no-untyped-def]
    [case_id] = await _proposed_cases(api, 1)
    # A "restarted" service process over the same database, 72 hours later.
    settings = intake_settings(api.db, kafka.bootstrap_servers, keys[0], closer=True)
    api.clock.advance(hours=72)
    app = create_app(settings, clock=api.clock)
    async with app.router.lifespan_context(app):
        await wait_until(lambda: _all_closed(api, [case_id]))
    assert await _closed_events(api) == {case_id: 1}
