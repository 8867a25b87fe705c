"""The AsyncAPI document: one channel per topic and its DLQ, a message per event type."""

from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar
from uuid import UUID

import pytest
import yaml

from careflow.contracts.asyncapi import asyncapi_document
from careflow.contracts.base import ContractEvent
from careflow.contracts.registry import PLATFORM_PROBES, TOPICS
from careflow.contracts.topics import DAY_MS, TopicRegistry, TopicSpec

SCHEMAS = Path(__file__).resolve().parents[1] / "schemas"
CE_HEADERS = {"ce_specversion", "ce_id", "ce_type", "ce_source", "ce_time", "ce_subject"}


class ThingHappened(ContractEvent):
    """A thing happened."""

    event_type: ClassVar[str] = "careflow.thing.happened.v1"
    key_field: ClassVar[str] = "thing_id"

    thing_id: UUID


class ThingVanished(ContractEvent):
    """A thing vanished."""

    event_type: ClassVar[str] = "careflow.thing.vanished.v1"
    key_field: ClassVar[str] = "thing_id"

    thing_id: UUID


THINGS = TopicSpec(
    name="things.things.v1",
    description="Things.",
    key="thing_id",
    events=(ThingHappened, ThingVanished),
    owner="things",
    partitions=3,
    retention_ms=2 * DAY_MS,
    config={"cleanup.policy": "delete"},
)
TWO_TOPICS = TopicRegistry([PLATFORM_PROBES, THINGS])


def resolve(document: dict[str, Any], ref: str) -> Any:
    assert ref.startswith("#/"), ref
    node: Any = document
    for part in ref[2:].split("/"):
        node = node[part.replace("~1", "/").replace("~0", "~")]
    return node


def local_refs(node: Any) -> list[str]:
    if isinstance(node, dict):
        own = [node["$ref"]] if isinstance(node.get("$ref"), str) else []
        return own + [r for value in node.values() for r in local_refs(value)]
    if isinstance(node, list):
        return [r for value in node for r in local_refs(value)]
    return []


@pytest.fixture
def checked_in() -> dict[str, Any]:
    return yaml.safe_load((SCHEMAS / "asyncapi.yaml").read_text(encoding="utf-8"))


def test_checked_in_document_is_asyncapi_3(checked_in: dict[str, Any]) -> None:
    assert checked_in["asyncapi"] == "3.0.0"
    assert {s["protocol"] for s in checked_in["servers"].values()} == {"kafka"}
    assert all("://" not in s["host"] for s in checked_in["servers"].values())


@pytest.mark.parametrize("registry", [TOPICS, TWO_TOPICS], ids=["registry", "two-topics"])
def test_one_channel_per_topic_and_one_per_dlq(registry: TopicRegistry) -> None:
    document = asyncapi_document(registry)
    addresses = sorted(c["address"] for c in document["channels"].values())
    assert addresses == sorted([t.name for t in registry] + [t.dlq for t in registry])
    for topic in registry:
        kafka = document["channels"][topic.name]["bindings"]["kafka"]
        assert kafka["partitions"] == topic.partitions
        assert kafka["topicConfiguration"]["retention.ms"] == topic.retention_ms
        dlq = document["channels"][topic.dlq]["bindings"]["kafka"]
        assert dlq["topicConfiguration"]["retention.ms"] == topic.dlq_retention_ms
        assert document["channels"][topic.name]["x-careflow-key"] == topic.key


@pytest.mark.parametrize("registry", [TOPICS, TWO_TOPICS], ids=["registry", "two-topics"])
def test_every_event_type_has_a_message_on_its_channels(registry: TopicRegistry) -> None:
    document = asyncapi_document(registry)
    messages = document["components"]["messages"]
    assert set(messages) == {e.event_type for e in registry.event_types()}
    for topic in registry:
        for channel in (topic.name, topic.dlq):
            assert set(document["channels"][channel]["messages"]) == {
                e.event_type for e in topic.events
            }
    for event_type, message in messages.items():
        assert message["payload"]["schema"] == {"$ref": f"./{event_type}.json"}
        assert message["headers"]["allOf"][1]["properties"]["ce_type"] == {"const": event_type}


def test_headers_schema_covers_the_cloudevents_binary_mode(checked_in: dict[str, Any]) -> None:
    headers = checked_in["components"]["schemas"]["CloudEventsHeaders"]
    assert CE_HEADERS | {"traceparent"} <= set(headers["properties"])
    assert set(headers["required"]) == {"ce_specversion", "ce_id", "ce_type", "ce_source"}


def test_owner_sends_on_each_topic() -> None:
    document = asyncapi_document(TWO_TOPICS)
    sends = {
        resolve(document, op["channel"]["$ref"])["address"]: op
        for op in document["operations"].values()
        if op["action"] == "send"
    }
    assert set(sends) == {t.name for t in TWO_TOPICS}
    assert sends["things.things.v1"]["x-careflow-owner"] == "things"
    assert len(sends["things.things.v1"]["messages"]) == 2


def test_every_reference_resolves(checked_in: dict[str, Any]) -> None:
    for ref in local_refs(checked_in):
        if ref.startswith("./"):
            assert (SCHEMAS / ref[2:]).is_file(), ref
        else:
            assert resolve(checked_in, ref) is not None


def test_extra_topic_configuration_is_carried() -> None:
    kafka = asyncapi_document(TWO_TOPICS)["channels"]["things.things.v1"]["bindings"]["kafka"]
    assert kafka["topicConfiguration"] == {"retention.ms": 2 * DAY_MS, "cleanup.policy": ["delete"]}
