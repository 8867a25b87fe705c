"""Logs are JSON lines carrying the trace and span ids of the current span."""

from __future__ import annotations

import json
import logging

from opentelemetry import trace

from careflow.shared.settings import TelemetrySettings
from careflow.shared.telemetry.setup import configure_logging


def test_log_line_is_json_with_service_and_current_trace_id(capsys):
    root = logging.getLogger()
    saved = root.handlers[:], root.level
    try:
        configure_logging(TelemetrySettings(log_json=True, log_level="INFO"), "intake")
        with trace.get_tracer("test").start_as_current_span("work") as span:
            logging.getLogger("careflow.test").info("case %s taken", "queued")
            expected = format(span.get_span_context().trace_id, "032x")
        line = capsys.readouterr().err.strip().splitlines()[-1]
    finally:
        root.handlers[:], level = saved
        root.setLevel(level)
    record = json.loads(line)
    assert record["message"] == "case queued taken"
    assert record["service"] == "intake"
    assert record["level"] == "INFO"
    assert record["trace_id"] == expected
    assert len(record["span_id"]) == 16


def test_noisy_libraries_that_may_print_payloads_stay_above_debug():
    root = logging.getLogger()
    saved = root.handlers[:], root.level
    try:
        configure_logging(TelemetrySettings(log_level="DEBUG"), "intake")
        assert logging.getLogger("aiokafka").getEffectiveLevel() >= logging.WARNING
        assert logging.getLogger("sqlalchemy.engine").getEffectiveLevel() >= logging.WARNING
    finally:
        root.handlers[:], level = saved
        root.setLevel(level)
