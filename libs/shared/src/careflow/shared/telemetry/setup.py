"""One call per process: tracer and meter providers, JSON logs with trace ids."""

from __future__ import annotations

import logging
import sys

from opentelemetry import metrics, trace
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import MetricReader
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import SpanProcessor, TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor
from opentelemetry.sdk.trace.sampling import ParentBased, TraceIdRatioBased

from careflow.shared.settings import TelemetrySettings
from careflow.shared.telemetry.log_redaction import RedactingFormatter, RedactingJsonFormatter
from careflow.shared.telemetry.redaction import UrlRedaction

_configured = False


class TraceContextFilter(logging.Filter):
    """Adds the current trace and span ids to every log record."""

    def filter(self, record: logging.LogRecord) -> bool:
        ctx = trace.get_current_span().get_span_context()
        record.trace_id = format(ctx.trace_id, "032x") if ctx.is_valid else None
        record.span_id = format(ctx.span_id, "016x") if ctx.is_valid else None
        return True


def configure_logging(settings: TelemetrySettings, service: str) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(RedactingFormatter())
    if settings.log_json:
        handler.setFormatter(
            RedactingJsonFormatter(
                "%(asctime)s %(levelname)s %(name)s %(message)s %(trace_id)s %(span_id)s",
                rename_fields={"asctime": "time", "levelname": "level", "name": "logger"},
                static_fields={"service": service},
            )
        )
    handler.addFilter(TraceContextFilter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(settings.log_level.upper())
    # Third-party loggers may print payloads at DEBUG; keep them quiet.
    for noisy in ("aiokafka", "sqlalchemy.engine", "asyncio", "httpx"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


def telemetry_resource(service: str, environment: str | None = None) -> Resource:
    """What every span and metric says it comes from: the service and, so that one
    trace store can hold several environments apart, the deployment environment."""
    attributes = {"service.name": f"careflow-{service}", "service.namespace": "careflow"}
    if environment:
        attributes["deployment.environment.name"] = environment
    return Resource.create(attributes)


def configure_telemetry(
    settings: TelemetrySettings,
    service: str,
    *,
    environment: str | None = None,
    span_processors: list[SpanProcessor] | None = None,
    metric_readers: list[MetricReader] | None = None,
) -> None:
    """Installs the global providers once per process (OTel allows only one).

    Spans (and metrics) go over OTLP/HTTP to `settings.otlp_endpoint` when it is set,
    per environment: the collector in compose and Kubernetes, none under `make run`
    (Prometheus reads /metrics in every environment)."""
    global _configured
    if _configured:
        return
    _configured = True
    resource = telemetry_resource(service, environment)
    provider = TracerProvider(
        resource=resource, sampler=ParentBased(TraceIdRatioBased(settings.sample_ratio))
    )
    provider.add_span_processor(UrlRedaction())  # before any processor that exports
    for processor in span_processors or []:
        provider.add_span_processor(processor)
    readers = list(metric_readers or [])
    if settings.otlp_endpoint:
        from opentelemetry.exporter.otlp.proto.http.metric_exporter import OTLPMetricExporter
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
        from opentelemetry.sdk.metrics.export import PeriodicExportingMetricReader

        endpoint = settings.otlp_endpoint.rstrip("/")
        provider.add_span_processor(
            BatchSpanProcessor(OTLPSpanExporter(endpoint=f"{endpoint}/v1/traces"))
        )
        readers.append(
            PeriodicExportingMetricReader(OTLPMetricExporter(endpoint=f"{endpoint}/v1/metrics"))
        )
    from opentelemetry.exporter.prometheus import PrometheusMetricReader

    readers.append(PrometheusMetricReader())
    trace.set_tracer_provider(provider)
    metrics.set_meter_provider(MeterProvider(resource=resource, metric_readers=readers))
