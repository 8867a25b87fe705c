"""The parked-event sweeper: applies parked events whose case has arrived, gives up on the rest.

Two jobs, each one transaction per pass:

- a case committed while an event about it was being parked (each transaction
  saw the other's row as absent) would leave the event waiting; the sweep
  applies it;
- an event whose case is still unknown after the timeout goes to the topic's
  dead-letter topic with the reason, and its inbox row is dropped so a replay
  applies it afresh. Never dropped silently: logged and counted too.

The dead letter is sent before the rows are deleted: if the commit then fails,
the next pass sends it again (a duplicate letter, never a lost one). Replicas
share the work with `FOR UPDATE SKIP LOCKED`.
"""

from __future__ import annotations

import asyncio
import logging

from careflow.intake.application.case_changes import save_case
from careflow.intake.application.context import Intake
from careflow.intake.application.on_queue_events import release_parked
from careflow.intake.application.ports import DeadLetters
from careflow.intake.domain.parking import ParkingRules

log = logging.getLogger(__name__)
GIVEN_UP_CODE = "parked_case_unknown"


class ParkedEventSweeper:
    def __init__(
        self,
        intake: Intake,
        dead_letters: DeadLetters,
        rules: ParkingRules,
        *,
        batch_size: int = 100,
        poll_seconds: float = 30.0,
    ) -> None:
        self._intake = intake
        self._dead_letters = dead_letters
        self._rules = rules
        self._batch_size = batch_size
        self._poll_seconds = poll_seconds

    async def release_arrived(self) -> int:
        """Applies the parked events of cases that exist now; returns how many."""
        released = 0
        async with self._intake.uow() as uow:
            for case_id in await uow.parked.cases_now_known(self._batch_size):
                case = await uow.cases.get(case_id, lock=True)
                if case is not None:
                    released += await release_parked(uow, case, self._intake.parking_metrics)
                    await save_case(uow, case)
            await uow.commit()
        return released

    async def give_up_expired(self) -> int:
        """Dead-letters up to one batch of events parked longer than the timeout."""
        async with self._intake.uow() as uow:
            expired = await uow.parked.expired(
                self._rules.cutoff(self._intake.clock()), self._batch_size
            )
            for event in expired:
                await self._dead_letters.send(
                    event, reason=self._rules.reason(), code=GIVEN_UP_CODE
                )
            if expired:
                await uow.parked.remove([e.id for e in expired if e.id is not None])
                await uow.parked.forget_processed(expired)
            await uow.commit()
        for event in expired:
            self._intake.parking_metrics.dead_lettered(event.event_type)
        if expired:
            log.warning(
                "dead-lettered %d parked work-queue events: their case never reached intake",
                len(expired),
            )
        return len(expired)

    async def sweep(self) -> tuple[int, int]:
        """One pass: (released, dead-lettered); expired events are drained batch by batch."""
        released = await self.release_arrived()
        given_up = count = await self.give_up_expired()
        while count == self._batch_size:
            count = await self.give_up_expired()
            given_up += count
        return released, given_up

    async def run(self) -> None:
        """Sweeps until cancelled; a failing pass is logged and retried next time."""
        while True:
            try:
                await self.sweep()
            except Exception as exc:
                log.error("parked-event sweep failed: %s", type(exc).__name__)
            await asyncio.sleep(self._poll_seconds)
