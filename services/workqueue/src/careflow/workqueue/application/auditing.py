"""The audit records a use case writes when it shows residents' data to a professional."""

from __future__ import annotations

from datetime import datetime

from careflow.shared.audit import Purpose
from careflow.workqueue.application.ports import Actor
from careflow.workqueue.domain.audit import AuditAction, AuditRecord
from careflow.workqueue.domain.model import QueueItem


def queue_work(
    actor: Actor, items: list[QueueItem], action: AuditAction, now: datetime
) -> list[AuditRecord]:
    """One record per item shown: every workqueue read or command is queue work."""
    return [
        AuditRecord(
            organisation_id=actor.organisation_id,
            professional_id=actor.professional_id,
            resident_id=item.resident_id,
            case_id=item.case_id,
            action=action,
            at=now,
            purpose=Purpose.QUEUE_WORK,
        )
        for item in items
    ]
