"""The 72-hour closer: closes cases whose closing proposal nobody objected to in time.

Durable: the deadline is a column (`cases.closes_at`), so a restart loses
nothing. Several replicas share the work with `FOR UPDATE SKIP LOCKED`, and the
case is re-checked under its row lock, so each case closes exactly once.
"""

from __future__ import annotations

import asyncio
import logging

from careflow.intake.application.case_changes import save_case
from careflow.intake.application.context import Intake

log = logging.getLogger(__name__)


class ProposalCloser:
    def __init__(self, intake: Intake, *, batch_size: int = 50, poll_seconds: float = 30.0):
        self._intake = intake
        self._batch_size = batch_size
        self._poll_seconds = poll_seconds

    async def close_due(self) -> int:
        """One pass: closes up to one batch of due cases in one transaction; returns how many."""
        intake = self._intake
        async with intake.uow() as uow:
            now = intake.clock()
            closed = 0
            for case_id in await uow.cases.due_for_closing(now, self._batch_size):
                case = await uow.cases.get(case_id)
                if case is not None and case.expire_proposal(now):
                    await save_case(uow, case)
                    closed += 1
            await uow.commit()
        return closed

    async def run(self) -> None:
        """Runs passes until cancelled; a failing pass is logged and retried next time."""
        while True:
            try:
                while await self.close_due() == self._batch_size:
                    pass
            except Exception as exc:
                log.error("72-hour closer pass failed: %s", type(exc).__name__)
            await asyncio.sleep(self._poll_seconds)
