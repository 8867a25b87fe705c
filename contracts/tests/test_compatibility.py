"""compatibility.breaking_changes on synthetic v1 models and their edits."""

from __future__ import annotations

from enum import StrEnum
from typing import Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict

from careflow.contracts.compatibility import (
    BreakingChange,
    ChangeKind,
    breaking_changes,
    is_compatible,
)


class Priority(StrEnum):
    LOW = "low"
    HIGH = "high"
    URGENT = "urgent"


class Address(BaseModel):
    street: str
    postcode: str


class Line(BaseModel):
    code: str
    quantity: int


class CaseV1(BaseModel):
    case_id: UUID
    note_count: int
    priority: Priority
    address: Address
    lines: list[Line]
    counts: dict[str, int]
    nickname: str = ""
    ward: str | None = None


def changes(new: type[BaseModel], old: type[BaseModel] = CaseV1) -> list[BreakingChange]:
    return breaking_changes(old.model_json_schema(), new.model_json_schema())


def summary(found: list[BreakingChange]) -> list[tuple[ChangeKind, str]]:
    return [(c.kind, c.path) for c in found]


def test_an_unchanged_model_is_compatible() -> None:
    assert changes(CaseV1) == []
    assert is_compatible(CaseV1.model_json_schema(), CaseV1.model_json_schema())


def test_a_new_optional_field_is_compatible() -> None:
    class CaseV1(BaseModel):
        case_id: UUID
        note_count: int
        priority: Priority
        address: Address
        lines: list[Line]
        counts: dict[str, int]
        nickname: str = ""
        ward: str | None = None
        room: str | None = None  # new, optional

    assert changes(CaseV1) == []


def test_a_removed_field_is_reported() -> None:
    class CaseV1(BaseModel):
        case_id: UUID
        note_count: int
        priority: Priority
        address: Address
        lines: list[Line]
        counts: dict[str, int]
        nickname: str = ""

    assert summary(changes(CaseV1)) == [(ChangeKind.REMOVED_PROPERTY, "ward")]


def test_a_new_required_field_is_reported() -> None:
    class CaseV1(BaseModel):
        case_id: UUID
        note_count: int
        priority: Priority
        address: Address
        lines: list[Line]
        counts: dict[str, int]
        nickname: str = ""
        ward: str | None = None
        room: str  # new and required: old messages lack it

    found = changes(CaseV1)
    assert summary(found) == [(ChangeKind.NEWLY_REQUIRED, "room")]
    assert found[0].detail == "new required property"


def test_an_optional_field_made_required_is_reported() -> None:
    class CaseV1(BaseModel):
        case_id: UUID
        note_count: int
        priority: Priority
        address: Address
        lines: list[Line]
        counts: dict[str, int]
        nickname: str  # had a default
        ward: str | None = None

    found = changes(CaseV1)
    assert summary(found) == [(ChangeKind.NEWLY_REQUIRED, "nickname")]
    assert found[0].detail == "optional property made required"


def test_a_changed_type_is_reported() -> None:
    class CaseV1(BaseModel):
        case_id: UUID
        note_count: str  # was int
        priority: Priority
        address: Address
        lines: list[Line]
        counts: dict[str, int]
        nickname: str = ""
        ward: str | None = None

    found = changes(CaseV1)
    assert summary(found) == [(ChangeKind.TYPE_CHANGED, "note_count")]
    assert "integer" in found[0].detail
    assert "string" in found[0].detail


def test_a_format_change_counts_as_a_type_change() -> None:
    class CaseV1(BaseModel):
        case_id: str  # was UUID: same JSON type, other format
        note_count: int
        priority: Priority
        address: Address
        lines: list[Line]
        counts: dict[str, int]
        nickname: str = ""
        ward: str | None = None

    found = changes(CaseV1)
    assert summary(found) == [(ChangeKind.TYPE_CHANGED, "case_id")]
    assert "string(uuid)" in found[0].detail


def test_making_a_field_nullable_or_not_is_a_type_change() -> None:
    class Nullable(BaseModel):
        case_id: UUID | None

    class Plain(BaseModel):
        case_id: UUID

    assert summary(changes(Nullable, old=Plain)) == [(ChangeKind.TYPE_CHANGED, "case_id")]
    assert summary(changes(Plain, old=Nullable)) == [(ChangeKind.TYPE_CHANGED, "case_id")]


def test_a_changed_nested_type_is_reported_with_its_path() -> None:
    class Address(BaseModel):
        street: str
        postcode: int  # was str

    class CaseV1(BaseModel):
        case_id: UUID
        note_count: int
        priority: Priority
        address: Address
        lines: list[Line]
        counts: dict[str, int]
        nickname: str = ""
        ward: str | None = None

    assert summary(changes(CaseV1)) == [(ChangeKind.TYPE_CHANGED, "address.postcode")]


def test_changes_inside_array_items_and_dict_values_are_reported() -> None:
    class Line(BaseModel):
        code: str  # quantity removed

    class CaseV1(BaseModel):
        case_id: UUID
        note_count: int
        priority: Priority
        address: Address
        lines: list[Line]
        counts: dict[str, float]  # was int
        nickname: str = ""
        ward: str | None = None

    assert summary(changes(CaseV1)) == [
        (ChangeKind.REMOVED_PROPERTY, "lines[].quantity"),
        (ChangeKind.TYPE_CHANGED, "counts.*"),
    ]


def test_an_enum_losing_a_value_is_reported() -> None:
    class Priority(StrEnum):
        LOW = "low"
        HIGH = "high"

    class CaseV1(BaseModel):
        case_id: UUID
        note_count: int
        priority: Priority
        address: Address
        lines: list[Line]
        counts: dict[str, int]
        nickname: str = ""
        ward: str | None = None

    found = changes(CaseV1)
    assert summary(found) == [(ChangeKind.ENUM_VALUE_REMOVED, "priority")]
    assert '"urgent"' in found[0].detail


def test_a_literal_gaining_a_value_is_reported_because_old_consumers_reject_it() -> None:
    class Old(BaseModel):
        channel: Literal["sms"]

    class New(BaseModel):
        channel: Literal["sms", "email"]

    assert summary(changes(New, old=Old)) == [(ChangeKind.ENUM_VALUE_ADDED, "channel")]


def test_forbidding_extra_fields_is_reported() -> None:
    class Closed(BaseModel):
        model_config = ConfigDict(extra="forbid")
        case_id: UUID

    class Open(BaseModel):
        case_id: UUID

    assert summary(changes(Closed, old=Open)) == [(ChangeKind.TYPE_CHANGED, "")]


def test_a_recursive_model_compares_without_looping() -> None:
    class Node(BaseModel):
        name: str
        children: list[Node] = []

    class Renamed(BaseModel):
        name: int
        children: list[Renamed] = []

    assert changes(Node, old=Node) == []
    assert summary(changes(Renamed, old=Node)) == [(ChangeKind.TYPE_CHANGED, "name")]


def test_a_moved_topic_or_key_is_reported() -> None:
    old = {**CaseV1.model_json_schema(), "x-careflow-topic": "cases.cases.v1"}
    new = {**old, "x-careflow-topic": "cases.things.v1", "x-careflow-key": "case_id"}
    assert summary(breaking_changes(old, new)) == [(ChangeKind.ROUTING_CHANGED, "")]


def test_a_description_or_field_order_change_is_compatible() -> None:
    class CaseV1(BaseModel):
        """Reworded."""

        ward: str | None = None
        nickname: str = ""
        counts: dict[str, int]
        lines: list[Line]
        address: Address
        priority: Priority
        note_count: int
        case_id: UUID

    assert changes(CaseV1) == []
