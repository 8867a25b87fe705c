"""The working sections of a case: summary, goals, tasks, coaching."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Literal
from uuid import UUID

from careflow.intake.domain import events as ev
from careflow.intake.domain.errors import InvalidInput, NotFound, WrongState
from careflow.intake.domain.sections import (
    Coaching,
    Goal,
    Task,
)
from careflow.intake.domain.text import (
    GOAL_MAX,
    SUMMARY_MAX,
    TASK_MAX,
    only_web_links,
    plain_text,
)

Party = Literal["professional", "resident"]


class CollaborationRules:
    """Section operations of the case aggregate."""

    def write_summary(self, professional_id: str, text: str, now: datetime) -> None:
        self._require_open()
        self._require_shared()
        self.summary = plain_text(text, field="summary", max_length=SUMMARY_MAX)
        self.events.append(ev.SummaryWasWritten(now, professional_id))

    def set_goal(
        self,
        text: str,
        set_by: Literal["professional", "resident", "together"],
        now: datetime,
        professional_id: str | None = None,
    ) -> UUID:
        if set_by == "resident":
            self.require_resident_may_answer()
        self._require_open()
        if set_by != "resident":
            self._require_shared()
            if professional_id is None:
                raise InvalidInput("a professional's goal names the professional")
        goal = Goal(
            uuid.uuid4(),
            plain_text(text, field="goal", max_length=GOAL_MAX),
            set_by,
            None if set_by == "resident" else professional_id,
            now,
        )
        self.goals.append(goal)
        self.events.append(ev.GoalWasSet(now, goal.id, set_by, goal.professional_id))
        return goal.id

    def edit_goal(
        self, goal_id: UUID, text: str, edited_by: Party, now: datetime, professional_id=None
    ) -> None:
        """Goals are edited, never deleted."""
        if edited_by == "resident":
            self.require_resident_may_answer()
        self._require_open()
        goal = next((g for g in self.goals if g.id == goal_id), None)
        if goal is None:
            raise NotFound("no such goal")
        goal.text = plain_text(text, field="goal", max_length=GOAL_MAX)
        goal.edited_at, goal.edited_by = now, edited_by
        pro = professional_id if edited_by == "professional" else None
        self.events.append(ev.GoalWasEdited(now, goal.id, edited_by, pro))

    def assign_task(
        self,
        *,
        kind: Literal["action_instruction", "questionnaire"],
        instruction: str,
        professional_id: str,
        now: datetime,
        today: date,
        start_date: date | None = None,
        latest_date: date | None = None,
    ) -> UUID:
        """A task for the resident, in the case's language; starts today unless told otherwise."""
        self._require_open()
        self._require_shared()
        if self.identification == "anonymous":
            raise WrongState("an anonymous sender has no case page to receive tasks")
        text = only_web_links(
            plain_text(instruction, field="instruction", max_length=TASK_MAX), field="instruction"
        )
        start = start_date or today
        if start < today:
            raise InvalidInput("a task cannot start in the past")
        if latest_date is not None and latest_date < start:
            raise InvalidInput("the latest date is before the start date")
        task = Task(
            uuid.uuid4(), kind, text, self.language, start, latest_date, professional_id, now
        )
        self.tasks.append(task)
        self.events.append(
            ev.TaskWasAssigned(now, task.id, kind, professional_id, start, latest_date)
        )
        return task.id

    def fill_questionnaire(self, task_id: UUID, now: datetime) -> None:
        self.require_resident_may_answer()
        task = next((t for t in self.tasks if t.id == task_id), None)
        if task is None:
            raise NotFound("no such task")
        if task.kind != "questionnaire":
            raise WrongState("the task is not a questionnaire")
        task.filled_at = now
        self.events.append(ev.QuestionnaireWasFilled(now, task.id))

    def attach_coaching(self, professional_id: str, now: datetime) -> UUID:
        self._require_open()
        self._require_shared()
        coaching = Coaching(uuid.uuid4(), professional_id, now)
        self.coachings.append(coaching)
        self.events.append(ev.CoachingWasAttached(now, coaching.id, professional_id))
        return coaching.id

    def end_coaching(self, coaching_id: UUID, now: datetime, completed: bool = False) -> None:
        coaching = next((c for c in self.coachings if c.id == coaching_id), None)
        if coaching is None:
            raise NotFound("no such coaching")
        if not coaching.ongoing:
            raise WrongState("the coaching has already ended")
        reason = "completed" if completed else "ended_by_professional"
        coaching.ended_at, coaching.end_reason = now, reason
        self.events.append(ev.CoachingWasEnded(now, coaching.id, reason))
