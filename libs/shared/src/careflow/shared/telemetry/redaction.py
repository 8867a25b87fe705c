"""Ids out of span attributes, whichever instrumentation set them."""

from __future__ import annotations

import re

from opentelemetry.context import Context
from opentelemetry.sdk.trace import ReadableSpan, Span, SpanProcessor

_ID_SEGMENT = re.compile(r"/[^/]*\d[^/]*")
_PATH_ATTRIBUTES = ("url.path", "http.target", "url.full", "http.url")
_QUERY_ATTRIBUTES = ("url.query",)


def redact_path(path: str) -> str:
    """`/cases/3f2a.../tasks` -> `/cases/{id}/tasks`: the shape stays, the ids go."""
    return _ID_SEGMENT.sub("/{id}", path)


class UrlRedaction(SpanProcessor):
    """Paths carry resident and case ids and queries carry filters on them: a span keeps
    the path's shape and no query. Runs first, before any exporter sees the span."""

    def on_start(self, span: Span, parent_context: Context | None = None) -> None:
        attributes = span.attributes or {}
        for name in _PATH_ATTRIBUTES:
            value = attributes.get(name)
            if isinstance(value, str):
                span.set_attribute(name, redact_path(value))
        for name in _QUERY_ATTRIBUTES:
            if name in attributes:
                span.set_attribute(name, "")

    def on_end(self, span: ReadableSpan) -> None:
        return None
