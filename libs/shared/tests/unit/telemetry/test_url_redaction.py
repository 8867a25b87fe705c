"""No resident or case id leaves a process in a span's URL attributes."""

from __future__ import annotations

from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind

from careflow.shared.telemetry.redaction import UrlRedaction, redact_path

CASE = "3f2a9c1e-0b7d-4e55-9a51-6c1d2e3f4a5b"


def test_path_keeps_its_shape_without_ids() -> None:
    assert redact_path(f"/cases/{CASE}/tasks") == "/cases/{id}/tasks"
    assert redact_path("/residents/010190-123A/cases") == "/residents/{id}/cases"
    assert redact_path("/queues/nurses") == "/queues/nurses"


def test_server_span_attributes_are_redacted_before_export() -> None:
    exported = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(UrlRedaction())
    provider.add_span_processor(SimpleSpanProcessor(exported))
    provider.get_tracer("test").start_span(
        "GET",
        kind=SpanKind.SERVER,
        attributes={
            "url.path": f"/cases/{CASE}",
            "url.query": f"resident_id={CASE}",
            "http.request.method": "GET",
        },
    ).end()

    (span,) = exported.get_finished_spans()
    assert span.attributes["url.path"] == "/cases/{id}"
    assert span.attributes["url.query"] == ""
    assert span.attributes["http.request.method"] == "GET"
    assert CASE not in str(dict(span.attributes))
