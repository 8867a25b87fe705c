"""A timestamp without a time zone is no contract event: it cannot be placed in time."""

from __future__ import annotations

import typing
from datetime import datetime
from typing import Any

import pytest
from pydantic import AwareDatetime, BaseModel, ValidationError

from careflow.contracts.base import ContractEvent
from careflow.contracts.envelope import Envelope, EnvelopeError
from careflow.contracts.registry import TOPICS

from .test_event_contracts import samples


def _plain_datetimes(annotation: Any) -> bool:
    if annotation is datetime:
        return True
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return any(_plain_datetimes(f.annotation) for f in annotation.model_fields.values())
    return any(_plain_datetimes(arg) for arg in typing.get_args(annotation))


EVENTS = sorted({e for topic in TOPICS for e in topic.events}, key=lambda e: e.event_type)


@pytest.mark.parametrize("event", EVENTS, ids=lambda e: e.event_type)
def test_no_contract_timestamp_may_be_naive(event: type[ContractEvent]) -> None:
    assert not _plain_datetimes(event), f"{event.event_type}: use AwareDatetime"


def test_the_rule_sees_a_plain_datetime_even_when_nested() -> None:
    class Inner(BaseModel):
        at: datetime

    class Outer(BaseModel):
        inner: list[Inner] | None = None
        at: AwareDatetime

    assert _plain_datetimes(Outer)
    assert not _plain_datetimes(AwareDatetime | None)


@pytest.mark.parametrize("sample", samples(), ids=lambda s: s.event_type)
def test_an_event_with_a_naive_timestamp_is_a_schema_violation(sample: ContractEvent) -> None:
    body = sample.model_dump(mode="json")
    stamps = [name for name, value in sample if isinstance(value, datetime)]
    assert stamps, f"{sample.event_type} has no timestamp"
    for name in stamps:
        naive = body | {name: getattr(sample, name).replace(tzinfo=None).isoformat()}
        with pytest.raises(ValidationError):
            type(sample).model_validate(naive)
    # With an offset, any offset, the same instant is accepted.
    assert type(sample).model_validate_json(sample.model_dump_json()) == sample


def _headers(time: str) -> dict[str, bytes]:
    return {
        "ce_specversion": b"1.0",
        "ce_id": b"1",
        "ce_type": b"careflow.probe.emitted.v1",
        "ce_source": b"/careflow/probe",
        "ce_time": time.encode(),
    }


def test_an_envelope_time_without_an_offset_is_refused() -> None:
    with pytest.raises(EnvelopeError):
        Envelope.from_headers(_headers("2025-03-04T08:30:00"))


@pytest.mark.parametrize("time", ["2025-03-04T08:30:00Z", "2025-03-04T10:30:00+02:00"])
def test_an_envelope_time_with_an_offset_is_read_as_that_instant(time: str) -> None:
    envelope = Envelope.from_headers(_headers(time))
    assert envelope.time == datetime.fromisoformat("2025-03-04T08:30:00+00:00")
