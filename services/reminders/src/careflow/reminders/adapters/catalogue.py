"""Reminder rules and templates (versioned texts per language); the audit log."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from sqlalchemy import insert, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from careflow.reminders.adapters.tables import audit_records, rules, template_texts, templates
from careflow.reminders.domain.listing import AuditRecord
from careflow.reminders.domain.rules import Condition, ConditionKind, Match, Rule, Trigger
from careflow.reminders.domain.templates import TemplateText
from careflow.shared.audit import AuditQuery, AuditRecordOut
from careflow.shared.audit.sql import keyset_page, organisation_records

SERVICE = "reminders"


def _rule(row: Any) -> Rule:
    v = dict(row._mapping)
    return Rule(
        rule_id=v["rule_id"],
        organisation_id=v["organisation_id"],
        name=v["name"],
        trigger=Trigger(v["trigger"]),
        match=Match(v["match"]),
        conditions=tuple(Condition(ConditionKind(c["kind"]), c["value"]) for c in v["conditions"]),
        template_id=v["template_id"],
        channels=tuple(v["channels"]),
        days_until_due=v["days_until_due"],
        days_before_due=tuple(v["days_before_due"]),
        active=v["active"],
        created_at=v["created_at"],
    )


class SqlCatalogue:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def rules(self, organisation_id: str) -> list[Rule]:
        stmt = (
            select(rules)
            .where(rules.c.organisation_id == organisation_id)
            .order_by(rules.c.created_at, rules.c.rule_id)
        )
        return [_rule(row) for row in await self._session.execute(stmt)]

    async def rule(self, rule_id: UUID) -> Rule | None:
        row = (await self._session.execute(select(rules).where(rules.c.rule_id == rule_id))).first()
        return None if row is None else _rule(row)

    async def save_rule(self, rule: Rule) -> None:
        values = {
            "rule_id": rule.rule_id,
            "organisation_id": rule.organisation_id,
            "name": rule.name,
            "trigger": str(rule.trigger),
            "match": str(rule.match),
            "conditions": [{"kind": str(c.kind), "value": c.value} for c in rule.conditions],
            "template_id": rule.template_id,
            "channels": list(rule.channels),
            "days_until_due": rule.days_until_due,
            "days_before_due": list(rule.days_before_due),
            "active": rule.active,
            "created_at": rule.created_at,
        }
        stmt = pg_insert(rules).values(**values)
        stmt = stmt.on_conflict_do_update(
            index_elements=["rule_id"], set_={k: stmt.excluded[k] for k in values}
        )
        await self._session.execute(stmt)

    async def add_template(
        self, template_id: UUID, organisation_id: str, name: str, at: Any
    ) -> None:
        await self._session.execute(
            insert(templates).values(
                template_id=template_id, organisation_id=organisation_id, name=name, created_at=at
            )
        )

    async def template_organisation(self, template_id: UUID) -> str | None:
        stmt = select(templates.c.organisation_id).where(templates.c.template_id == template_id)
        return (await self._session.execute(stmt)).scalar_one_or_none()

    async def add_text(self, text: TemplateText) -> None:
        await self._session.execute(
            insert(template_texts).values(
                template_id=text.template_id,
                language=text.language,
                version=text.version,
                text=text.text,
                created_at=text.created_at,
            )
        )

    async def latest_text(
        self, template_id: UUID, language: str, *, for_update: bool = False
    ) -> TemplateText | None:
        t = template_texts.c
        stmt = (
            select(template_texts)
            .where(t.template_id == template_id, t.language == language)
            .order_by(t.version.desc())
            .limit(1)
        )
        if for_update:
            # Two editors of one text: the second waits and numbers its version after.
            stmt = stmt.with_for_update()
        row = (await self._session.execute(stmt)).first()
        return None if row is None else TemplateText(**row._mapping)


class SqlAuditLog:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def record(self, records: list[AuditRecord]) -> None:
        if records:
            await self._session.execute(insert(audit_records), [r.__dict__ for r in records])

    async def page(
        self, organisation_id: str, query: AuditQuery, *, resident_id: UUID | None = None
    ) -> list[AuditRecordOut]:
        stmt = organisation_records(audit_records, organisation_id, resident_id=resident_id)
        stmt = keyset_page(stmt, audit_records.c.at, audit_records.c.id, query)
        return [
            AuditRecordOut.of(
                service=SERVICE,
                at=row.at,
                id=row.id,
                actor=row.professional_id,
                organisation=row.organisation_id,
                unit=row.unit_id,
                resident_id=row.resident_id,
                case_id=None,
                action=row.action,
                purpose=row.purpose,
            )
            for row in await self._session.execute(stmt)
        ]
