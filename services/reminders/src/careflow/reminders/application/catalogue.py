"""Organisation settings, reminder rules (overlaps warned) and versioned templates."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from careflow.reminders.application.ports import Actor, UnitOfWork
from careflow.reminders.domain.bookings import OrganisationSettings
from careflow.reminders.domain.errors import NotAllowed, NotFound
from careflow.reminders.domain.rules import Rule, overlaps
from careflow.reminders.domain.templates import TemplateText, render


def _admin(actor: Actor) -> None:
    if not actor.is_admin:
        raise NotAllowed("Only an organisation's admin may change its reminder set-up.")


async def read_settings(actor: Actor, uow: UnitOfWork) -> OrganisationSettings:
    async with uow:
        return await uow.projections.settings(actor.organisation_id)


async def save_settings(
    settings: OrganisationSettings, actor: Actor, uow: UnitOfWork, now: datetime
) -> OrganisationSettings:
    """Applies to appointment reminders made from now on."""
    _admin(actor)
    async with uow:
        await uow.projections.save_settings(settings, now)
        await uow.commit()
    return settings


async def save_rule(rule: Rule, actor: Actor, uow: UnitOfWork) -> tuple[Rule, list[Rule]]:
    """Saves the rule; returns the organisation's active rules it overlaps (a warning)."""
    _admin(actor)
    async with uow:
        existing = await uow.catalogue.rule(rule.rule_id)
        if existing is not None and existing.organisation_id != actor.organisation_id:
            raise NotFound("No such rule in your organisation.")
        if rule.template_id is not None:
            owner = await uow.catalogue.template_organisation(rule.template_id)
            if owner != actor.organisation_id:
                raise NotFound("No such template in your organisation.")
        others = await uow.catalogue.rules(actor.organisation_id)
        await uow.catalogue.save_rule(rule)
        await uow.commit()
    return rule, overlaps(rule, others)


async def list_rules(actor: Actor, uow: UnitOfWork) -> list[Rule]:
    async with uow:
        return await uow.catalogue.rules(actor.organisation_id)


async def create_template(
    name: str, texts: dict[str, str], actor: Actor, uow: UnitOfWork, now: datetime
) -> UUID:
    _admin(actor)
    template_id = uuid.uuid4()
    async with uow:
        await uow.catalogue.add_template(template_id, actor.organisation_id, name, now)
        for language, text in texts.items():
            await uow.catalogue.add_text(TemplateText(template_id, language, 1, text, now))
        await uow.commit()
    return template_id


@dataclass(frozen=True)
class TextChange:
    template_id: UUID
    language: str
    version: int
    #: Reminders on an older version with a message not sent yet.
    unsent_affected: int
    #: How many of them now carry the new text (0 unless updating was asked for).
    updated: int


async def change_text(
    template_id: UUID,
    language: str,
    text: str,
    update_unsent: bool,
    actor: Actor,
    uow: UnitOfWork,
    now: datetime,
) -> TextChange:
    """A new version of the text; says how many unsent messages use an older one and, on
    request, updates them (sent ones keep what they said)."""
    _admin(actor)
    async with uow:
        if await uow.catalogue.template_organisation(template_id) != actor.organisation_id:
            raise NotFound("No such template in your organisation.")
        latest = await uow.catalogue.latest_text(template_id, language, for_update=True)
        version = 1 if latest is None else latest.version + 1
        await uow.catalogue.add_text(TemplateText(template_id, language, version, text, now))
        affected = await uow.reminders.unsent_on_template(template_id, language, version)
        if update_unsent:
            for reminder in affected:
                reminder.template_version, reminder.text = version, render(text, reminder.due_at)
                reminder.updated_at = now
                await uow.reminders.save(reminder)
        await uow.commit()
    return TextChange(
        template_id, language, version, len(affected), len(affected) if update_unsent else 0
    )


async def update_unsent(
    template_id: UUID, language: str, actor: Actor, uow: UnitOfWork, now: datetime
) -> TextChange:
    """The latest text onto every unsent message still on an older version."""
    _admin(actor)
    async with uow:
        if await uow.catalogue.template_organisation(template_id) != actor.organisation_id:
            raise NotFound("No such template in your organisation.")
        latest = await uow.catalogue.latest_text(template_id, language)
        if latest is None:
            raise NotFound("No text in that language.")
        affected = await uow.reminders.unsent_on_template(template_id, language, latest.version)
        for reminder in affected:
            reminder.template_version = latest.version
            reminder.text = render(latest.text, reminder.due_at)
            reminder.updated_at = now
            await uow.reminders.save(reminder)
        await uow.commit()
    return TextChange(template_id, language, latest.version, len(affected), len(affected))
