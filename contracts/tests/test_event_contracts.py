"""Every registered event: a sample round-trips, its key is its topic's key, no free text."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from typing import Any, ClassVar
from uuid import UUID, uuid4

import pytest
from pydantic import BaseModel, Field

from careflow.contracts.base import ContractEvent
from careflow.contracts.cases import (
    CaseClosed,
    CaseCreatedByProfessional,
    CaseSubmitted,
    ClosingObjected,
    ClosingProposalRejected,
    ClosingProposed,
    CoachingAttached,
    CoachingEnded,
    GoalEdited,
    GoalSet,
    QuestionnaireFilled,
    TaskAssigned,
    objection_deadline,
)
from careflow.contracts.chats import (
    ChannelStateChanged,
    ChatCaseRequested,
    ChatEnded,
    ChatPresenceChanged,
    ChatStarted,
    ChatTaken,
    ChatTransferred,
)
from careflow.contracts.complaints import (
    ComplaintAnswered,
    ComplaintDelivered,
    ComplaintRetargeted,
    ComplaintSubmitted,
)
from careflow.contracts.notifications import (
    NotificationRequested,
    ProfessionalChatNotificationRequested,
)
from careflow.contracts.registry import TOPICS
from careflow.contracts.residents import (
    ResidentContactDetailsChanged,
    ResidentContactUpdated,
    ServiceConsentsGiven,
    ServiceConsentsWithdrawn,
)
from careflow.contracts.schemas import event_schema
from careflow.contracts.workqueue import (
    IncompleteCleared,
    QueueItemAdded,
    QueueItemClosed,
    QueueItemMarkedIncomplete,
    QueueItemRemoved,
    QueueItemTaken,
    QueueItemTransferred,
    UrgencyChanged,
)

NOW = datetime(2025, 3, 4, 8, 30, tzinfo=UTC)

#: String fields allowed without a closed pattern, and why. Everything else must be
#: an enum/const, a format (uuid, date-time, …) or a closed, anchored pattern.
FREE_STRING_ALLOWED: dict[tuple[str, str], str] = {
    ("careflow.probe.emitted.v1", "emitter"): "service name of synthetic traffic, no personal data",
    ("careflow.resident_contact.details_changed.v1", "email"): (
        "contact address; restricted topic read only by notification"
    ),
    ("careflow.notification.professional_chat_requested.v1", "email"): (
        "professional's work address; restricted topic read only by notification"
    ),
    ("careflow.resident_name.changed.v1", "name"): (
        "the resident's name, for the queue's sort order; restricted topic read only by workqueue"
    ),
}
CLOSED_FORMATS = {"uuid", "date-time", "date", "time", "duration"}


def samples() -> list[ContractEvent]:
    """One valid instance of every event; each call makes fresh ids."""
    case, resident, proposal = uuid4(), uuid4(), uuid4()
    ids = {"case_id": case, "resident_id": resident}
    return [
        CaseSubmitted(
            **ids,
            organisation_id="org-1",
            unit_id="unit-7",
            group_id="nurses",
            form_kind="symptom_assessment",
            identification="identified",
            proxy_contact=True,
            guardian_id=uuid4(),
            language="sv",
            urgency="P2",
            phone_contact_allowed=True,
            submitted_at=NOW,
        ),
        CaseCreatedByProfessional(
            **ids,
            organisation_id="org-1",
            kind="health_examination",
            created_by="pro-42",
            language="fi",
            created_at=NOW,
        ),
        ClosingProposed(
            **ids,
            proposal_id=proposal,
            proposed_by="professional",
            professional_id="pro-42",
            proposed_at=NOW,
            objection_deadline=objection_deadline(NOW),
        ),
        ClosingObjected(**ids, proposal_id=proposal, message_id=uuid4(), objected_at=NOW),
        ClosingProposalRejected(**ids, proposal_id=proposal, rejected_by="pro-42", rejected_at=NOW),
        CaseClosed(
            **ids,
            reason="proposal_expired",
            closed_by="system",
            professional_id="pro-42",
            proposal_id=proposal,
            closed_at=NOW,
        ),
        TaskAssigned(
            **ids,
            task_id=uuid4(),
            task_kind="action_instruction",
            assigned_by="pro-42",
            start_date=date(2025, 3, 4),
            latest_date=date(2025, 3, 11),
            assigned_at=NOW,
        ),
        QuestionnaireFilled(**ids, task_id=uuid4(), filled_at=NOW),
        GoalSet(**ids, goal_id=uuid4(), set_by="together", professional_id="pro-42", set_at=NOW),
        GoalEdited(**ids, goal_id=uuid4(), edited_by="resident", edited_at=NOW),
        CoachingAttached(**ids, coaching_id=uuid4(), attached_by="pro-42", attached_at=NOW),
        CoachingEnded(**ids, coaching_id=uuid4(), reason="case_closed", ended_at=NOW),
        ResidentContactUpdated(
            resident_id=resident,
            anonymous=False,
            email_notifications=True,
            sms_notifications=False,
            phone_contact_allowed=True,
            communication_language="en",
            has_email=True,
            has_phone=True,
            updated_at=NOW,
        ),
        ServiceConsentsWithdrawn(resident_id=resident, withdrawn_at=NOW),
        ServiceConsentsGiven(resident_id=resident, given_at=NOW),
        ResidentContactDetailsChanged(
            resident_id=resident,
            email="maija@example.fi",
            phone="+358401234567",
            communication_language="fi",
            changed_at=NOW,
        ),
        QueueItemAdded(
            case_id=case,
            resident_id=resident,
            organisation_id="org-1",
            group_id="nurses",
            case_kind="symptom_assessment",
            urgency="P2",
            language="sv",
            submitted_at=NOW,
            added_at=NOW + timedelta(seconds=1),
        ),
        QueueItemTaken(case_id=case, professional_id="pro-42", taken_at=NOW),
        QueueItemTransferred(
            case_id=case, transferred_by="pro-42", to_group_id="doctors", transferred_at=NOW
        ),
        UrgencyChanged(
            case_id=case,
            original_urgency="P2",
            previous_urgency="P2",
            current_urgency="P1",
            reason_code="condition_changed",
            changed_by="pro-42",
            changed_at=NOW,
        ),
        QueueItemMarkedIncomplete(
            case_id=case, resident_id=resident, marked_by="pro-42", marked_at=NOW
        ),
        IncompleteCleared(case_id=case, cleared_by="resident_message", cleared_at=NOW),
        QueueItemRemoved(case_id=case, reason="closed_before_taken", removed_at=NOW),
        QueueItemClosed(case_id=case, closing_reason="resident_accepted", closed_at=NOW),
        NotificationRequested(
            notification_id=uuid4(),
            requested_by="messaging",
            requested_at=datetime.now(UTC),
            resident_id=resident,
            purpose="new_message",
            channels=["email", "sms"],
            link_target="case",
            case_id=case,
        ),
        ProfessionalChatNotificationRequested(
            notification_id=uuid4(),
            requested_by="messaging",
            requested_at=datetime.now(UTC),
            professional_id="pro-1",
            organisation_id="org-1",
            channel_id="channel-1",
            chat_id=uuid4(),
            email="nurse@example.org",
            language="sv",
        ),
        ComplaintSubmitted(
            case_id=case,
            region_code="14",
            kind="complaint",
            place_hsa_id="SE2321000131-E000000011",
            place_kind="clinic",
            handled_in="own_system",
            anonymous=False,
            answer_wanted=True,
            due_at=NOW,
            submitted_at=NOW,
        ),
        ComplaintRetargeted(
            case_id=case,
            region_code="14",
            place_hsa_id="SE2321000131-E000000012",
            handled_in="staff_view",
            retargeted_at=NOW,
        ),
        ComplaintDelivered(
            case_id=case, place_hsa_id="SE2321000131-E000000011", attempts=3, delivered_at=NOW
        ),
        ComplaintAnswered(case_id=case, handled_in="staff_view", answered_at=NOW),
        *chat_samples(),
    ]


def chat_samples() -> list[ContractEvent]:
    """One of each chat and channel event (no message text anywhere)."""
    chat, channel, other = uuid4(), uuid4(), uuid4()
    org = {"organisation_id": "org-1"}
    return [
        ChatStarted(
            chat_id=chat, channel_id=channel, resident_id=uuid4(), language="fi",
            started_at=NOW, **org,
        ),
        ChatTaken(chat_id=chat, channel_id=channel, professional_id="pro-1", taken_at=NOW, **org),
        ChatTransferred(
            chat_id=chat, from_channel_id=channel, to_channel_id=other, to_non_urgent=False,
            resident_id=uuid4(), transferred_by="pro-1", last_sequence=3, transferred_at=NOW,
            **org,
        ),
        ChatEnded(
            chat_id=chat, channel_id=other, resident_id=uuid4(), case_id=uuid4(),
            reason="idle_timeout", last_sequence=3, ended_at=NOW, **org,
        ),
        ChatCaseRequested(
            chat_id=chat, case_id=uuid4(), resident_id=uuid4(), language="sv",
            requested_by="pro-1", unit_id="unit-1", requested_at=NOW, **org,
        ),
        ChannelStateChanged(
            channel_id=channel, state="open_congested", visibility="residents", cause="manual",
            changed_by="admin-1", changed_at=NOW, **org,
        ),
        ChatPresenceChanged(
            channel_id=channel, professional_id="pro-1", present=True, notify_email=False,
            notify_sound=True, changed_at=NOW, **org,
        ),
    ]  # fmt: skip


NEW_TOPICS = [
    "intake.cases.v1",
    "intake.residents.v1",
    "intake.resident-contacts.v1",
    "workqueue.items.v1",
    "notification.requests.v1",
    "complaints.cases.v1",
    "messaging.chats.v1",
    "messaging.chat-channels.v1",
]


def test_every_event_of_the_new_topics_has_a_sample() -> None:
    declared = {e for name in NEW_TOPICS for e in TOPICS.get(name).events}
    assert {type(s) for s in samples()} == declared


@pytest.mark.parametrize("topic_name", NEW_TOPICS)
def test_each_event_family_round_trips_through_json(topic_name: str) -> None:
    topic = TOPICS.get(topic_name)
    family = [s for s in samples() if type(s) in topic.events]
    assert family
    for event in family:
        text = event.model_dump_json()
        again = type(event).model_validate_json(text)
        assert again == event
        assert again.key() == str(getattr(event, topic.key))


def test_a_newer_producers_extra_field_is_ignored() -> None:
    event = samples()[0]
    body = event.model_dump(mode="json") | {"added_in_v1_1": "x"}
    assert type(event).model_validate(body) == event


@pytest.mark.parametrize("topic", list(TOPICS), ids=lambda t: t.name)
def test_every_event_on_a_topic_is_keyed_by_the_topic_key(topic: Any) -> None:
    for event in topic.events:
        assert event.key_field == topic.key, event.event_type
        assert event.model_fields[event.key_field].is_required(), event.event_type


def test_event_types_follow_the_naming_rule_and_topics_their_owner() -> None:
    for topic in TOPICS:
        assert re.fullmatch(rf"{topic.owner}\.[a-z-]+\.v[0-9]+", topic.name), topic.name
        for event in topic.events:
            assert re.fullmatch(r"careflow\.[a-z_]+\.[a-z_]+\.v[0-9]+", event.event_type)


RESTRICTED = {
    "intake.resident-contacts.v1": ("notification",),
    "notification.requests.v1": ("notification",),
    "intake.resident-names.v1": ("workqueue",),
    "clinical.services.v1": ("reminders",),
}


def test_only_the_named_readers_get_contact_details_and_names() -> None:
    for name, readers in RESTRICTED.items():
        assert TOPICS.get(name).readers == readers
    for topic in TOPICS:
        if topic.name not in RESTRICTED:
            assert topic.readers is None
            for event in topic.events:
                assert not {"email", "phone", "name"} & set(event.model_fields), event


# -- the no-free-text rule ---------------------------------------------------------------


def _open_pattern(pattern: str) -> bool:
    """True when a pattern admits free text: unanchored, `.`, `\\s`/`\\S`/`\\w`, space, `[^…]`."""
    if not (pattern.startswith("^") and pattern.endswith("$")):
        return True
    in_class, i = False, 0
    while i < len(pattern):
        char = pattern[i]
        if char == "\\":
            if pattern[i + 1 : i + 2] in {"s", "S", "w", "W", "D"}:
                return True
            i += 2
            continue
        if in_class:
            if char == " ":
                return True
            in_class = char != "]"
        elif char == "[":
            in_class = True
            if pattern[i + 1 : i + 2] == "^":
                return True
        elif char in ". ":
            return True
        i += 1
    return False


def _resolve(schema: dict[str, Any], node: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in node:
        node = schema["$defs"][node["$ref"].rsplit("/", 1)[1]]
    return node


def _free_strings(schema: dict[str, Any], node: dict[str, Any], path: str) -> list[str]:
    node = _resolve(schema, node)
    found: list[str] = []
    for option in node.get("anyOf", []) + node.get("oneOf", []) + node.get("allOf", []):
        found += _free_strings(schema, option, path)
    for name, sub in node.get("properties", {}).items():
        found += _free_strings(schema, sub, f"{path}.{name}" if path else name)
    if isinstance(node.get("items"), dict):
        found += _free_strings(schema, node["items"], f"{path}[]")
    if isinstance(node.get("additionalProperties"), dict):
        found += _free_strings(schema, node["additionalProperties"], f"{path}.*")
    if node.get("type") == "string" and not (
        "enum" in node
        or "const" in node
        or node.get("format") in CLOSED_FORMATS
        or ("pattern" in node and not _open_pattern(node["pattern"]))
    ):
        found.append(path)
    return found


def free_text_fields(event: type[BaseModel], event_type: str) -> list[str]:
    schema = event.model_json_schema()
    return [
        path
        for path in _free_strings(schema, schema, "")
        if (event_type, path) not in FREE_STRING_ALLOWED
    ]


@pytest.mark.parametrize("event", list(TOPICS.event_types()), ids=lambda e: e.event_type)
def test_no_event_has_a_free_text_field(event: type[ContractEvent]) -> None:
    assert free_text_fields(event, event.event_type) == []
    event_schema(event, TOPICS.for_event(event))  # and it renders against its topic


def test_every_allowed_free_string_still_exists() -> None:
    for event_type, path in FREE_STRING_ALLOWED:
        event = next(e for e in TOPICS.event_types() if e.event_type == event_type)
        assert path in event.model_fields, (event_type, path)


class _Note(BaseModel):
    body: str


class _Leaky(ContractEvent):
    event_type: ClassVar[str] = "careflow.test.leaky.v1"
    key_field: ClassVar[str] = "case_id"

    case_id: UUID
    reason: str | None = None
    summary: str = Field(max_length=1000)
    anything: str = Field(pattern=r"^.*$")
    markup_free: str = Field(pattern=r"^[^<>]{1,1000}$")
    words: str = Field(pattern=r"^[a-z ]+$")
    unanchored: str = Field(pattern=r"[a-z]+")
    spaces: str = Field(pattern=r"^\S+\s\S+$")
    tags: list[str] = []
    notes: list[_Note] = []
    labels: dict[str, str] = {}
    code: str = Field(default="a", pattern=r"^[a-z]{1,8}$")


def test_the_free_text_rule_catches_every_open_string() -> None:
    assert sorted(free_text_fields(_Leaky, _Leaky.event_type)) == sorted(
        [
            "reason",
            "summary",
            "anything",
            "markup_free",
            "words",
            "unanchored",
            "spaces",
            "tags[]",
            "notes[].body",
            "labels.*",
        ]
    )


def test_the_asyncapi_document_names_the_readers_of_a_restricted_topic() -> None:
    from careflow.contracts.asyncapi import asyncapi_document

    channels = asyncapi_document(TOPICS)["channels"]
    for channel in channels.values():
        if (
            channel["address"] in RESTRICTED
            or channel["address"].removesuffix(".dlq") in RESTRICTED
        ):
            readers = RESTRICTED[channel["address"].removesuffix(".dlq")]
            assert channel["x-careflow-readers"] == list(readers)
        else:
            assert "x-careflow-readers" not in channel
