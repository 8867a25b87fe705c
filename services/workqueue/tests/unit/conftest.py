"""Builders for unit tests (as the `build` fixture): every test makes its own ids."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import pytest

from careflow.workqueue.application.urgency import ScalePolicies, ScalePolicy
from careflow.workqueue.domain.model import QueueItem

POLICY = ScalePolicy()
POLICIES = ScalePolicies()
NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def later(minutes: int = 1) -> datetime:
    return NOW + timedelta(minutes=minutes)


def new_item(
    *,
    urgency: str | None = "P3",
    group: str | None = "nurses",
    organisation: str = "org-1",
    assignee: str | None = None,
    submitted_minutes_ago: int = 60,
    kind: str = "symptom_assessment",
    language: str = "fi",
    case_id: uuid.UUID | None = None,
) -> QueueItem:
    item = QueueItem.enter_queue(
        case_id=case_id or uuid.uuid4(),
        resident_id=uuid.uuid4(),
        organisation_id=organisation,
        unit_id="unit-1",
        group_id=group,
        case_kind=kind,
        language=language,
        proxy_contact=False,
        urgency=urgency,
        submitted_at=NOW - timedelta(minutes=submitted_minutes_ago),
        assignee=assignee,
        policy=POLICY,
        now=NOW,
    )
    item.pull_events()
    return item


def taken_item(by: str = "pro-a", **kwargs: object) -> QueueItem:
    item = new_item(**kwargs)  # type: ignore[arg-type]
    item.take(by, NOW)
    item.pull_events()
    return item


@pytest.fixture
def build() -> SimpleNamespace:
    return SimpleNamespace(
        policy=POLICY, policies=POLICIES, now=NOW, later=later, item=new_item, taken=taken_item
    )
