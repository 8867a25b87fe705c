"""Platform metric instruments (OpenTelemetry API, exported to Prometheus).

Labels carry only service, topic, consumer group, route template and outcome:
never ids or anything a resident typed.
"""

from __future__ import annotations

import weakref
from collections.abc import Iterable
from typing import Protocol

from opentelemetry import metrics
from opentelemetry.metrics import CallbackOptions, Observation

_meter = metrics.get_meter("careflow.platform")

# Durations are recorded in seconds; the SDK's default buckets (0, 5, 10, ... 10000)
# suit milliseconds and would put every request and message in the first bucket.
SECONDS_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 15.0, 30.0]


class _OutboxMetrics:
    def __init__(self) -> None:
        self.published = _meter.create_counter(
            "careflow_outbox_published", unit="1", description="Events the relay published"
        )
        self.publish_failures = _meter.create_counter(
            "careflow_outbox_publish_failures", unit="1", description="Failed relay passes"
        )
        self._lag: dict[str, tuple[int, float]] = {}
        _meter.create_observable_gauge(
            "careflow_outbox_pending",
            callbacks=[self._pending],
            unit="1",
            description="Unpublished outbox rows",
        )
        _meter.create_observable_gauge(
            "careflow_outbox_lag_seconds",
            callbacks=[self._age],
            unit="s",
            description="Age of the oldest unpublished outbox row",
        )

    def set_lag(self, service: str, pending: int, age_seconds: float) -> None:
        self._lag[service] = (pending, age_seconds)

    def _pending(self, _options: CallbackOptions) -> Iterable[Observation]:
        return [Observation(p, {"service": s}) for s, (p, _a) in self._lag.items()]

    def _age(self, _options: CallbackOptions) -> Iterable[Observation]:
        return [Observation(a, {"service": s}) for s, (_p, a) in self._lag.items()]


class LagSource(Protocol):
    """A consumer that can say, without I/O, how far behind each of its partitions is."""

    def lag(self) -> Iterable[tuple[str, str, int, int]]:
        """(topic, group, partition, records not yet applied) per owned partition."""
        ...


class _ConsumerMetrics:
    def __init__(self) -> None:
        # Weak: a consumer that was stopped without unregistering still disappears.
        self._lag_sources: weakref.WeakSet[LagSource] = weakref.WeakSet()
        _meter.create_observable_gauge(
            "careflow_consumer_lag",
            callbacks=[self._lag],
            unit="1",
            description="Records on the broker a consumer group has not applied yet, per "
            "topic and partition (high watermark minus the next offset to apply)",
        )
        self.messages = _meter.create_counter(
            "careflow_consumer_messages",
            unit="1",
            description="Messages handled by outcome: processed, duplicate, ignored, dead_lettered",
        )
        self.retries = _meter.create_counter(
            "careflow_consumer_retries", unit="1", description="Retryable handler failures"
        )
        self.dead_letters = _meter.create_counter(
            "careflow_dlq_messages", unit="1", description="Messages sent to a dead-letter topic"
        )
        self.dead_letter_retries = _meter.create_counter(
            "careflow_dlq_write_retries",
            unit="1",
            description="Failed attempts to write a dead letter (its partition waits meanwhile)",
        )
        self.blocked_on_dead_letter = _meter.create_up_down_counter(
            "careflow_consumer_partitions_blocked_on_dlq",
            unit="1",
            description="Partitions held back until a dead letter is written",
        )
        self.duration = _meter.create_histogram(
            "careflow_consumer_duration",
            unit="s",
            description="Handler time per message",
            explicit_bucket_boundaries_advisory=SECONDS_BUCKETS,
        )

        self.event_age = _meter.create_histogram(
            "careflow_consumer_event_age",
            unit="s",
            description="From the event's CloudEvents time (its outbox commit) to its effects "
            "being applied here, by topic, group and event type: freshness across services",
            explicit_bucket_boundaries_advisory=SECONDS_BUCKETS,
        )

    def watch_lag(self, source: LagSource) -> None:
        self._lag_sources.add(source)

    def forget_lag(self, source: LagSource) -> None:
        self._lag_sources.discard(source)

    def _lag(self, _options: CallbackOptions) -> Iterable[Observation]:
        # The exporter may call this from its own thread: iterate over a copy.
        return [
            Observation(lag, {"topic": topic, "group": group, "partition": str(partition)})
            for source in list(self._lag_sources)
            for topic, group, partition, lag in source.lag()
        ]


class _HttpMetrics:
    def __init__(self) -> None:
        self.requests = _meter.create_counter(
            "careflow_http_requests", unit="1", description="HTTP requests by route and status"
        )
        self.duration = _meter.create_histogram(
            "careflow_http_request_duration",
            unit="s",
            description="HTTP request time",
            explicit_bucket_boundaries_advisory=SECONDS_BUCKETS,
        )

    def record(self, method: str, route: str, status: int, seconds: float) -> None:
        """One answered request; `route` is its template, never the raw path (ids)."""
        labels = {"method": method, "route": route, "status": str(status)}
        self.requests.add(1, labels)
        self.duration.record(seconds, labels)


# What stops the event loop (careflow.shared.service.stalls); lag is sampled every 50 ms.
STALL_BUCKETS = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5]


class _RuntimeMetrics:
    def __init__(self) -> None:
        self.loop_lag = _meter.create_histogram(
            "careflow_event_loop_lag",
            unit="s",
            description="How late the event loop woke a 50 ms sleep (a blocked loop stalls "
            "every request, consumer and relay of the process)",
            explicit_bucket_boundaries_advisory=STALL_BUCKETS,
        )
        self.gc_pause = _meter.create_histogram(
            "careflow_gc_pause",
            unit="s",
            description="Garbage-collection pauses by generation",
            explicit_bucket_boundaries_advisory=STALL_BUCKETS,
        )


OUTBOX_METRICS = _OutboxMetrics()
CONSUMER_METRICS = _ConsumerMetrics()
HTTP_METRICS = _HttpMetrics()
RUNTIME_METRICS = _RuntimeMetrics()
