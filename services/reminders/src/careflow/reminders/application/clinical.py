"""Reminder rules applied to the clinical system's events: each rule that applies makes
(or moves) its own reminder for the next due service."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, time

from careflow.contracts.clinical import ClinicalEvent, ItemAdded
from careflow.reminders.application.context import Policy
from careflow.reminders.application.outgoing import publish_withdrawals
from careflow.reminders.application.ports import UnitOfWork
from careflow.reminders.domain.reminder import Kind, Reminder, Source
from careflow.reminders.domain.rules import ClinicalFact, Rule, Trigger
from careflow.reminders.domain.templates import render

DEFAULT_LANGUAGE = "fi"


async def on_clinical_event(
    event: ClinicalEvent, uow: UnitOfWork, policy: Policy, now: datetime
) -> None:
    visits = await uow.projections.count_visit(
        event.resident_id, event.organisation_id, event.code, event.occurred_at
    )
    fact = ClinicalFact(
        trigger=Trigger.ITEM_ADDED if isinstance(event, ItemAdded) else Trigger.SERVICE_PERFORMED,
        resident_id=event.resident_id,
        organisation_id=event.organisation_id,
        code=event.code,
        diagnosis_codes=tuple(event.diagnosis_codes),
        age_years=event.age_years,
        occurred_at=event.occurred_at,
        visits=visits,
    )
    for rule in await uow.catalogue.rules(event.organisation_id):
        if rule.applies(fact):
            await _apply(rule, fact, uow, policy, now)


async def _apply(
    rule: Rule, fact: ClinicalFact, uow: UnitOfWork, policy: Policy, now: datetime
) -> None:
    due = rule.due_date(fact)
    due_at = datetime.combine(due, time(0, 0), tzinfo=UTC)
    times = rule.send_times(due, policy.rule_send_time, now) if rule.channels else []
    contact = await uow.projections.contact(fact.resident_id)
    language = contact.language if contact else DEFAULT_LANGUAGE
    version, text = None, None
    if rule.template_id is not None:
        template = await uow.catalogue.latest_text(rule.template_id, language)
        if template is not None:
            version, text = template.version, render(template.text, due_at)
    reminder = await uow.reminders.by_rule(rule.rule_id, fact.resident_id)
    if reminder is None:
        reminder = Reminder(
            reminder_id=uuid.uuid4(),
            organisation_id=rule.organisation_id,
            resident_id=fact.resident_id,
            kind=Kind.PATIENT if rule.channels else Kind.INTERNAL,
            source=Source.RULE,
            due_at=due_at,
            channels=rule.channels,
            created_at=now,
            updated_at=now,
            rule_id=rule.rule_id,
            code=fact.code,
            template_id=rule.template_id,
            template_version=version,
            language=language,
            text=text,
        )
        reminder.schedule(times)
        await uow.reminders.add(reminder)
        return
    if due_at <= reminder.due_at:
        return  # an older visit reported late: the due date only moves forward
    # Performed again: the due date moves forward and the unsent messages are withdrawn.
    withdrawals = reminder.move(due_at, times, now, "performed_again")
    reminder.template_version, reminder.text = version, text
    await uow.reminders.save(reminder)
    publish_withdrawals(uow.outbox, withdrawals, now)
