"""CloudEvents 1.0 envelope in the Kafka protocol binding, binary mode.

The event body travels as the JSON message value; the attributes travel as
`ce_*` headers, next to the W3C `traceparent` header.
See https://github.com/cloudevents/spec/blob/v1.0.2/cloudevents/bindings/kafka-protocol-binding.md
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime

SPEC_VERSION = "1.0"
CONTENT_TYPE = "application/json"

REQUIRED_HEADERS = ("ce_specversion", "ce_id", "ce_type", "ce_source")


class EnvelopeError(ValueError):
    """The message is not a valid CloudEvents binary-mode Kafka message."""


@dataclass(frozen=True)
class Envelope:
    """CloudEvents attributes of one message."""

    id: str
    type: str
    source: str
    subject: str | None = None
    time: datetime = field(default_factory=lambda: datetime.now(UTC))
    traceparent: str | None = None
    tracestate: str | None = None
    extra: Mapping[str, str] = field(default_factory=dict)

    @staticmethod
    def new_id() -> str:
        return str(uuid.uuid4())

    def to_headers(self) -> list[tuple[str, bytes]]:
        headers = {
            "ce_specversion": SPEC_VERSION,
            "ce_id": self.id,
            "ce_type": self.type,
            "ce_source": self.source,
            "ce_time": self.time.astimezone(UTC).isoformat().replace("+00:00", "Z"),
            "content-type": CONTENT_TYPE,
        }
        if self.subject is not None:
            headers["ce_subject"] = self.subject
        if self.traceparent:
            headers["traceparent"] = self.traceparent
        if self.tracestate:
            headers["tracestate"] = self.tracestate
        headers.update(self.extra)
        return [(name, value.encode()) for name, value in headers.items()]

    @classmethod
    def from_headers(cls, headers: Iterable[tuple[str, bytes]] | Mapping[str, bytes]) -> Envelope:
        items = headers.items() if isinstance(headers, Mapping) else headers
        values: dict[str, str] = {}
        for name, raw in items:
            try:
                values[name] = raw.decode() if isinstance(raw, bytes | bytearray) else str(raw)
            except UnicodeDecodeError:
                raise EnvelopeError(f"header {name} is not UTF-8") from None
        missing = [h for h in REQUIRED_HEADERS if not values.get(h)]
        if missing:
            raise EnvelopeError(f"missing CloudEvents headers: {', '.join(missing)}")
        if values["ce_specversion"] != SPEC_VERSION:
            raise EnvelopeError(f"unsupported specversion {values['ce_specversion']}")
        time = datetime.now(UTC)
        if values.get("ce_time"):
            try:
                time = datetime.fromisoformat(values["ce_time"].replace("Z", "+00:00"))
            except ValueError:
                raise EnvelopeError("ce_time is not an RFC 3339 timestamp") from None
            if time.tzinfo is None:
                # RFC 3339 requires the offset; a naive time has no place in time.
                raise EnvelopeError("ce_time has no time zone offset")
        known = {*REQUIRED_HEADERS, "ce_time", "ce_subject", "traceparent", "tracestate"}
        return cls(
            id=values["ce_id"],
            type=values["ce_type"],
            source=values["ce_source"],
            subject=values.get("ce_subject"),
            time=time,
            traceparent=values.get("traceparent"),
            tracestate=values.get("tracestate"),
            extra={k: v for k, v in values.items() if k.startswith("ce_") and k not in known},
        )
