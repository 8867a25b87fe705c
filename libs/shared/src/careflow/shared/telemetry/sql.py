"""SQL statement spans for each engine a process creates."""

from __future__ import annotations

from opentelemetry import metrics, trace
from opentelemetry.instrumentation.sqlalchemy.engine import EngineTracer
from opentelemetry.instrumentation.sqlalchemy.version import __version__
from opentelemetry.semconv.metrics import MetricInstruments
from sqlalchemy.ext.asyncio import AsyncEngine

_SCOPE = "opentelemetry.instrumentation.sqlalchemy"


def trace_engine(engine: AsyncEngine) -> None:
    """Every statement on `engine` becomes a span under the current one; parameters are
    never recorded.

    `SQLAlchemyInstrumentor().instrument(engine=...)` is a process-wide singleton that
    acts on its first call only, so a second engine in the same process (a test run,
    a benchmark starting several services) silently got no SQL spans. The engine
    tracer it would build is attached to each engine here instead.
    """
    connections = metrics.get_meter(_SCOPE, __version__).create_up_down_counter(
        name=MetricInstruments.DB_CLIENT_CONNECTIONS_USAGE,
        unit="connections",
        description="The number of connections that are currently in state described by "
        "the state attribute.",
    )
    EngineTracer(
        trace.get_tracer(_SCOPE, __version__),
        engine.sync_engine,
        connections,
        enable_commenter=False,
    )
