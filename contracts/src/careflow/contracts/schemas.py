"""JSON Schema (draft 2020-12) of every contract event, one document per event type.

The documents are generated from the pydantic models and checked in under
`contracts/schemas/`; the contract test compares them with the models, and
`compatibility` compares a checked-in version with a newly generated one.
"""

from __future__ import annotations

import json
import re
from typing import Any

from careflow.contracts.base import ContractEvent
from careflow.contracts.topics import TopicRegistry, TopicSpec

DIALECT = "https://json-schema.org/draft/2020-12/schema"
#: Media type of the schemas, as AsyncAPI's `schemaFormat` names it.
SCHEMA_FORMAT = "application/schema+json;version=draft-2020-12"
TOPIC_KEYWORD = "x-careflow-topic"
KEY_KEYWORD = "x-careflow-key"

#: File names the generator owns: `<event type>.json`, e.g. careflow.probe.emitted.v1.json.
SCHEMA_FILE = re.compile(r"^careflow(\.[a-z0-9_]+)+\.v[0-9]+\.json$")

JsonSchema = dict[str, Any]


def schema_filename(event_type: str) -> str:
    return f"{event_type}.json"


def schema_id(event_type: str) -> str:
    # A URN, not a URL: the schemas are identified, never fetched from a host.
    return f"urn:careflow:contracts:schema:{event_type}"


def event_schema(event: type[ContractEvent], topic: TopicSpec) -> JsonSchema:
    """The JSON Schema of one event type, with its topic and key recorded."""
    if event.key_field not in event.model_fields:
        raise ValueError(f"{event.event_type}: key field {event.key_field!r} is not a field")
    if event.key_field != topic.key:
        raise ValueError(
            f"{event.event_type}: key field {event.key_field!r} differs from the key "
            f"{topic.key!r} of topic {topic.name}"
        )
    schema: JsonSchema = event.model_json_schema(mode="validation")
    schema.update(
        {
            "$schema": DIALECT,
            "$id": schema_id(event.event_type),
            "$comment": (
                f"Generated from {event.__module__}.{event.__qualname__} by "
                "`make contracts`; do not edit."
            ),
            "title": event.event_type,
            TOPIC_KEYWORD: topic.name,
            KEY_KEYWORD: event.key_field,
        }
    )
    return schema


def event_schemas(registry: TopicRegistry) -> dict[str, JsonSchema]:
    """Every registered event type's schema, by event type."""
    return {
        event.event_type: event_schema(event, topic) for topic in registry for event in topic.events
    }


def dump_json(document: Any) -> str:
    """Deterministic JSON text: sorted keys, two-space indent, trailing newline."""
    return json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
