"""A span for every SQL statement an engine runs, and its connection pool as gauges.

Not opentelemetry-instrumentation-sqlalchemy's EngineTracer, for three measured
reasons: it cost about 60 us of CPU per statement (URL and cursor introspection,
the operation name parsed again for every execution) and 40 us per transaction
(four counter updates at every pool checkout and checkin) — at 200 submissions/s
an eighth of intake's CPU; a failed statement's span carried the driver's error
text as its status, and PostgreSQL's messages quote values ("Key (email)=(...)
already exists"), which must not reach traces; and its instrumentor, a
process-wide singleton, acted on the first engine of a process only.

Attributes follow the semantic conventions the contrib package emits by
default (db.system, db.name, db.statement, net.peer.*). Statements are
recorded as SQLAlchemy sends them, with placeholders: parameters never are.
"""

from __future__ import annotations

import contextlib
import functools
import weakref
from collections.abc import Iterator
from contextlib import AbstractContextManager
from typing import Any

from opentelemetry import metrics, trace
from opentelemetry.trace import SpanKind, Status, StatusCode
from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine, ExceptionContext
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession
from sqlalchemy.pool import QueuePool

_SCOPE = "careflow.sql"
_tracer = trace.get_tracer(_SCOPE)
_SPAN_ATTRIBUTE = "_careflow_span"


@functools.lru_cache(maxsize=2048)
def _operation(statement: str) -> str:
    # The first word (SELECT, INSERT, WITH...): statements repeat, so this is a lookup.
    words = statement.split(None, 1)
    return words[0].upper() if words else "SQL"


class StatementSpans:
    """Listens on one engine: each cursor execution becomes a CLIENT span under the current one."""

    def __init__(self, engine: AsyncEngine) -> None:
        url = engine.sync_engine.url
        self._database = url.database or ""
        self._attributes: dict[str, Any] = {"db.system": "postgresql"}
        if url.database:
            self._attributes["db.name"] = url.database
        if url.host:
            self._attributes["net.peer.name"] = url.host
        if url.port:
            self._attributes["net.peer.port"] = url.port
        target = engine.sync_engine
        event.listen(target, "before_cursor_execute", self._before)
        event.listen(target, "after_cursor_execute", self._after)
        event.listen(target, "handle_error", self._failed)

    def _before(
        self,
        _conn: Connection,
        _cursor: Any,
        statement: str,
        _parameters: Any,
        context: Any,
        _executemany: bool,
    ) -> None:
        if context is None:
            return
        setattr(context, _SPAN_ATTRIBUTE, self._start(statement))

    def _start(self, statement: str) -> trace.Span:
        name = f"{_operation(statement)} {self._database}".rstrip()
        span = _tracer.start_span(name, kind=SpanKind.CLIENT, attributes=self._attributes)
        if span.is_recording():
            span.set_attribute("db.statement", statement)
        return span

    @contextlib.contextmanager
    def around(self, statement: str) -> Iterator[None]:
        """The same span for a statement SQLAlchemy does not run: one sent on the driver
        connection (careflow.shared.db.driver), whose errors are the driver's own."""
        span = self._start(statement)
        try:
            yield
        except Exception as exc:
            _record_error(span, exc)
            raise
        finally:
            span.end()

    @staticmethod
    def _after(
        _conn: Connection,
        _cursor: Any,
        _statement: str,
        _parameters: Any,
        context: Any,
        _executemany: bool,
    ) -> None:
        span = getattr(context, _SPAN_ATTRIBUTE, None)
        if span is not None:
            span.end()

    @staticmethod
    def _failed(exception: ExceptionContext) -> None:
        span = getattr(exception.execution_context, _SPAN_ATTRIBUTE, None)
        if span is None:
            return
        original = exception.original_exception
        # SQLAlchemy's adapter wraps asyncpg's error.
        _record_error(span, original.__cause__ or original)
        span.end()


def _record_error(span: trace.Span, driver_error: BaseException) -> None:
    # The type and SQLSTATE only: the driver's message quotes row values.
    error = type(driver_error).__name__
    span.set_status(Status(StatusCode.ERROR, error))
    span.set_attribute("error.type", error)
    sqlstate = getattr(driver_error, "sqlstate", None)
    if isinstance(sqlstate, str):
        span.set_attribute("db.response.status_code", sqlstate)


#: Engines whose pools the gauge reports, with their service; an engine that is
#: gone drops out by itself.
_observed: weakref.WeakKeyDictionary[AsyncEngine, str] = weakref.WeakKeyDictionary()


def _pool_usage(_options: metrics.CallbackOptions) -> list[metrics.Observation]:
    observations = []
    for engine, service in list(_observed.items()):
        pool = engine.sync_engine.pool  # read each time: dispose() replaces it
        if isinstance(pool, QueuePool):
            observations += [
                metrics.Observation(pool.checkedout(), {"service": service, "state": "used"}),
                metrics.Observation(pool.checkedin(), {"service": service, "state": "idle"}),
            ]
    return observations


# One instrument per process, made at import: the API's proxy meter hands it to the
# meter provider that configure_telemetry installs later.
metrics.get_meter(_SCOPE).create_observable_up_down_counter(
    "db.client.connections.usage",
    callbacks=[_pool_usage],
    unit="connections",
    description="Connections of the service's pool, by state (used, idle).",
)


def observe_pool(engine: AsyncEngine, service: str) -> None:
    """The pool's connections in use and idle, read when metrics are collected (not
    counted at every checkout). NullPool engines (one-off commands) report nothing."""
    _observed[engine] = service


#: The listener of each traced engine, for statement_span.
_traced: weakref.WeakKeyDictionary[Engine, StatementSpans] = weakref.WeakKeyDictionary()


def trace_engine(engine: AsyncEngine) -> None:
    """Every statement on `engine` becomes a span under the current one."""
    _traced[engine.sync_engine] = StatementSpans(engine)


def statement_span(session: AsyncSession, statement: str) -> AbstractContextManager[None]:
    """The span a statement on `session`'s engine gets, for one run on its driver
    connection (a span only if the engine is traced, as for SQLAlchemy's statements)."""
    bind = session.bind
    spans = _traced.get(bind.sync_engine) if isinstance(bind, AsyncEngine) else None
    return spans.around(statement) if spans is not None else contextlib.nullcontext()
