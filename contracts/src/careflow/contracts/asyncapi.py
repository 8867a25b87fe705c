"""One AsyncAPI 3.0.0 document describing every CareFlow topic, message and producer.

Channels are the registry's topics and their dead-letter twins; messages are the
event types in the CloudEvents Kafka binary mode (attributes as `ce_*` headers,
the JSON body as payload, referencing the generated JSON Schema files next to
this document); operations say which service sends on which topic.
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version
from typing import Any

from careflow.contracts import envelope
from careflow.contracts.base import ContractEvent
from careflow.contracts.schemas import SCHEMA_FORMAT, schema_filename
from careflow.contracts.topics import TopicRegistry, TopicSpec

ASYNCAPI_VERSION = "3.0.0"
KAFKA_BINDING_VERSION = "0.5.0"
HEADERS_SCHEMA = "CloudEventsHeaders"
ASYNCAPI_FILENAME = "asyncapi.yaml"

# Placeholders only: real bootstrap servers come from each deployment's settings
# (KAFKA_BOOTSTRAP_SERVERS), never from this document.
SERVERS: dict[str, dict[str, Any]] = {
    "local": {
        "host": "tansu:9092",
        "protocol": "kafka",
        "title": "Local Tansu broker",
        "description": "Placeholder host; `careflow-local run` starts Tansu on a free local port.",
    },
    "production": {
        "host": "kafka:9092",
        "protocol": "kafka",
        "title": "Production Kafka cluster",
        "description": "Placeholder host; the brokers come from deployment settings.",
    },
}

_INT_TOPIC_CONFIGS = {"retention.ms", "retention.bytes", "delete.retention.ms", "max.message.bytes"}

Document = dict[str, Any]


def _ref(*parts: str) -> dict[str, str]:
    return {"$ref": "#/" + "/".join(p.replace("~", "~0").replace("/", "~1") for p in parts)}


def _info_version() -> str:
    try:
        return version("careflow-contracts")
    except PackageNotFoundError:  # pragma: no cover - running from a source tree
        return "0.0.0"


def headers_schema() -> dict[str, Any]:
    """The CloudEvents binary-mode headers every CareFlow message carries."""
    string = {"type": "string"}
    return {
        "type": "object",
        "description": "CloudEvents 1.0 attributes in the Kafka protocol binding, binary mode.",
        "required": list(envelope.REQUIRED_HEADERS),
        "properties": {
            "ce_specversion": {"const": envelope.SPEC_VERSION, **string},
            "ce_id": {**string, "minLength": 1, "description": "Unique per event; dedup key."},
            "ce_type": {**string, "description": "Event type, e.g. careflow.probe.emitted.v1."},
            "ce_source": {**string, "description": "URI reference of the producing service."},
            "ce_time": {**string, "format": "date-time", "description": "RFC 3339, UTC."},
            "ce_subject": {**string, "description": "Aggregate id; equals the Kafka key."},
            "traceparent": {
                **string,
                "pattern": "^[0-9a-f]{2}-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$",
                "description": "W3C Trace Context.",
            },
            "tracestate": {**string, "description": "W3C Trace Context vendor state."},
            "content-type": {"const": envelope.CONTENT_TYPE, **string},
        },
    }


def _topic_configuration(config: dict[str, str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, value in config.items():
        if name in _INT_TOPIC_CONFIGS:
            out[name] = int(value)
        elif name == "cleanup.policy":
            out[name] = [part.strip() for part in value.split(",")]
        else:
            out[name] = value
    return out


def _channel(topic: TopicSpec, *, dlq: bool) -> dict[str, Any]:
    address = topic.dlq if dlq else topic.name
    config = {"retention.ms": str(topic.dlq_retention_ms)} if dlq else topic.topic_configs()
    description = (
        f"Dead letters of {topic.name}: messages a consumer could not process, "
        "with their original value and headers."
        if dlq
        else topic.description
    )
    channel: dict[str, Any] = {
        "address": address,
        "description": description,
        "messages": {
            e.event_type: _ref("components", "messages", e.event_type) for e in topic.events
        },
        "bindings": {
            "kafka": {
                "topic": address,
                "partitions": topic.partitions,
                "topicConfiguration": _topic_configuration(config),
                "bindingVersion": KAFKA_BINDING_VERSION,
            }
        },
        "x-careflow-key": topic.key,
        "x-careflow-owner": topic.owner,
    }
    if topic.readers is not None:
        channel["x-careflow-readers"] = list(topic.readers)
    if topic.writers and not dlq:
        channel["x-careflow-writers"] = list(topic.writers)
    return channel


def _message(event: type[ContractEvent]) -> dict[str, Any]:
    key_schema = {
        k: v
        for k, v in event.model_json_schema()["properties"][event.key_field].items()
        if k not in {"title", "description"}
    }
    key_schema["description"] = f"The event's {event.key_field}; also its ce_subject."
    summary = (event.__doc__ or event.event_type).strip().splitlines()[0]
    return {
        "name": event.event_type,
        "title": event.__name__,
        "summary": summary,
        "contentType": envelope.CONTENT_TYPE,
        "headers": {
            "allOf": [
                _ref("components", "schemas", HEADERS_SCHEMA),
                {"type": "object", "properties": {"ce_type": {"const": event.event_type}}},
            ]
        },
        "payload": {
            "schemaFormat": SCHEMA_FORMAT,
            "schema": {"$ref": "./" + schema_filename(event.event_type)},
        },
        "bindings": {"kafka": {"key": key_schema, "bindingVersion": KAFKA_BINDING_VERSION}},
    }


def _operation(topic: TopicSpec) -> dict[str, Any]:
    return {
        "action": "send",
        "channel": _ref("channels", topic.name),
        "title": f"{topic.owner} publishes on {topic.name}",
        "summary": f"Sent by the {topic.owner} service through its outbox relay.",
        "messages": [_ref("channels", topic.name, "messages", e.event_type) for e in topic.events],
        "tags": [{"name": topic.owner}],
        "x-careflow-owner": topic.owner,
    }


def asyncapi_document(registry: TopicRegistry) -> Document:
    """The AsyncAPI 3.0.0 document of a registry, as plain data."""
    channels: dict[str, Any] = {}
    operations: dict[str, Any] = {}
    messages: dict[str, Any] = {}
    for topic in registry:
        channels[topic.name] = _channel(topic, dlq=False)
        channels[topic.dlq] = _channel(topic, dlq=True)
        operations[f"{topic.name}.send"] = _operation(topic)
        for event in topic.events:
            messages[event.event_type] = _message(event)
    return {
        "asyncapi": ASYNCAPI_VERSION,
        "info": {
            "title": "CareFlow events",
            "version": _info_version(),
            "description": (
                "Every CareFlow topic, its dead-letter twin and its event types. "
                "Envelope: CloudEvents 1.0, Kafka protocol binding, binary mode. "
                "Generated from careflow.contracts.registry by `make contracts`."
            ),
        },
        "defaultContentType": envelope.CONTENT_TYPE,
        "servers": SERVERS,
        "channels": channels,
        "operations": operations,
        "components": {"schemas": {HEADERS_SCHEMA: headers_schema()}, "messages": messages},
    }


def dump_yaml(document: Document) -> str:
    """Deterministic YAML text (sorted keys, no line folding) with a do-not-edit header."""
    import yaml  # only the generator needs PyYAML; services importing contracts do not

    body = yaml.safe_dump(
        document, sort_keys=True, default_flow_style=False, allow_unicode=True, width=1_000_000
    )
    return "# Generated by `make contracts` (careflow-contracts generate); do not edit.\n" + body
