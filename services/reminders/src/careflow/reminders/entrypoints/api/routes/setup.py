"""The organisation's reminder set-up: settings, rules and templates (admin to change)."""

from __future__ import annotations

from datetime import timedelta
from typing import Literal
from uuid import UUID

from fastapi import APIRouter, status

from careflow.reminders.application import catalogue, queries
from careflow.reminders.domain.bookings import OrganisationSettings
from careflow.reminders.domain.rules import Condition, ConditionKind, Match, Rule, Trigger
from careflow.reminders.entrypoints.api.deps import CurrentActor, Wiring
from careflow.reminders.entrypoints.api.schemas import (
    RuleBody,
    RuleListOut,
    RuleOut,
    RuleSavedOut,
    SettingsBody,
    SettingsOut,
    TemplateBody,
    TemplateOut,
    TextBody,
    TextChangeOut,
)
from careflow.shared.audit import AuditPage
from careflow.shared.audit.dependencies import Auditor, AuditQueryParams

router = APIRouter(tags=["set-up"])


@router.get("/settings", response_model=SettingsOut)
async def read_settings(actor: CurrentActor, wiring: Wiring) -> SettingsOut:
    """How long before an appointment its reminder goes, and on which channels."""
    return SettingsOut.of(await catalogue.read_settings(actor, wiring.uow()))


@router.put("/settings", response_model=SettingsOut)
async def save_settings(body: SettingsBody, actor: CurrentActor, wiring: Wiring) -> SettingsOut:
    """Changes the appointment reminder settings (admin)."""
    saved = await catalogue.save_settings(
        OrganisationSettings(
            actor.organisation_id,
            timedelta(minutes=body.appointment_lead_minutes),
            tuple(body.appointment_channels),
        ),
        actor,
        wiring.uow(),
        wiring.clock(),
    )
    return SettingsOut.of(saved)


@router.get("/rules", response_model=RuleListOut)
async def list_rules(actor: CurrentActor, wiring: Wiring) -> RuleListOut:
    """The organisation's reminder rules."""
    return RuleListOut(
        items=[RuleOut.of(r) for r in await catalogue.list_rules(actor, wiring.uow())]
    )


@router.put("/rules/{rule_id}", response_model=RuleSavedOut)
async def save_rule(
    rule_id: UUID, body: RuleBody, actor: CurrentActor, wiring: Wiring
) -> RuleSavedOut:
    """Creates or replaces a rule (admin); overlapping active rules are named as a warning."""
    rule = Rule(
        rule_id=rule_id,
        organisation_id=actor.organisation_id,
        name=body.name,
        trigger=Trigger(body.trigger),
        match=Match(body.match),
        conditions=tuple(Condition(ConditionKind(c.kind), c.value) for c in body.conditions),
        template_id=body.template_id,
        channels=tuple(body.channels),
        days_until_due=body.days_until_due,
        days_before_due=tuple(body.days_before_due),
        active=body.active,
        created_at=wiring.clock(),
    )
    saved, overlapping = await catalogue.save_rule(rule, actor, wiring.uow())
    return RuleSavedOut(rule=RuleOut.of(saved), overlapping_rules=[r.rule_id for r in overlapping])


@router.post("/templates", response_model=TemplateOut, status_code=status.HTTP_201_CREATED)
async def create_template(body: TemplateBody, actor: CurrentActor, wiring: Wiring) -> TemplateOut:
    """A reminder template with its first text per language (admin)."""
    template_id = await catalogue.create_template(
        body.name, dict(body.texts), actor, wiring.uow(), wiring.clock()
    )
    return TemplateOut(template_id=template_id)


@router.put("/templates/{template_id}/texts/{language}", response_model=TextChangeOut)
async def change_text(
    template_id: UUID,
    language: Literal["fi", "sv", "en"],
    body: TextBody,
    actor: CurrentActor,
    wiring: Wiring,
) -> TextChangeOut:
    """A new version of the text; says how many unsent messages an older version still
    carries and, with `update_unsent`, updates them (admin)."""
    change = await catalogue.change_text(
        template_id, language, body.text, body.update_unsent, actor, wiring.uow(), wiring.clock()
    )
    return TextChangeOut(**change.__dict__)


@router.post(
    "/templates/{template_id}/texts/{language}/update-unsent", response_model=TextChangeOut
)
async def update_unsent(
    template_id: UUID, language: Literal["fi", "sv", "en"], actor: CurrentActor, wiring: Wiring
) -> TextChangeOut:
    """Puts the latest text on every message not sent yet (admin)."""
    change = await catalogue.update_unsent(
        template_id, language, actor, wiring.uow(), wiring.clock()
    )
    return TextChangeOut(**change.__dict__)


@router.get("/audit-records", response_model=AuditPage, tags=["audit"])
async def audit_records(
    auditor: Auditor, wiring: Wiring, query: AuditQueryParams, resident_id: UUID | None = None
) -> AuditPage:
    """Who read which resident's reminders, when and why, newest first, in pages of a time
    range (role `admin` or `auditor`; own organisation). Not itself audited."""
    return await queries.query_audit(auditor.organisation, wiring.uow(), query, resident_id)
