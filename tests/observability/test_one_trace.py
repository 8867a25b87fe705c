"""One resident journey is one trace across every service it touches.

The resident's submission starts in a trace of its own (the `traceparent` the
test sends, as a resident's app would) and enters through the gateway; the
gateway's request span, intake's request span under it, intake's outbox
publish, the work queue's and notification's consumer spans all arrive at the
OTLP receiver — exported over OTLP/HTTP by each service process — in that trace.
"""

from __future__ import annotations

from .conftest import Suite, eventually

# SpanKind in opentelemetry.proto.trace.v1
SERVER, PRODUCER, CONSUMER = 2, 4, 5
# Where a submission goes: intake owns it, the work queue queues it, notification
# learns whom to notify about the case.
JOURNEY = {"careflow-intake", "careflow-workqueue", "careflow-notification"}


async def test_a_submission_is_one_trace_from_intake_to_queue_and_notification(suite: Suite):
    trace_id, caller = suite.journey_trace_id, suite.journey_parent_span_id
    through_gateway = "gateway" in suite.services
    journey = JOURNEY | ({"careflow-gateway"} if through_gateway else set())

    async def whole() -> bool:
        spans = suite.otlp.trace(trace_id)
        ids = {s.span_id for s in spans} | {caller}
        consumers = {s.service for s in spans if s.kind == CONSUMER}
        # Each process exports on its own schedule (every 5 s): wait for every parent.
        return consumers >= JOURNEY - {"careflow-intake"} and all(
            s.parent_span_id in ids for s in spans
        )

    await eventually(whole, 30, "the journey's spans from every service")
    spans = suite.otlp.trace(trace_id)
    assert {s.service for s in spans} >= journey
    # Exported with the environment they ran in (`make run`'s default: local).
    assert {s.environment for s in spans} == {"local"}
    by_id = {s.span_id: s for s in spans}
    # The one span whose parent is the caller's is where the journey entered (the
    # gateway, else intake): nothing of the journey began a trace of its own.
    [entry] = [s for s in spans if s.parent_span_id == caller]
    assert (entry.service, entry.kind) == (
        "careflow-gateway" if through_gateway else "careflow-intake",
        SERVER,
    )
    [request] = [
        s
        for s in spans
        if (s.service, s.kind, s.name) == ("careflow-intake", SERVER, "POST /forms")
    ]
    if through_gateway:
        # Intake's handling hangs off the gateway's request, whatever spans lie between.
        parent = by_id[request.parent_span_id]
        while parent.service != "careflow-gateway":
            parent = by_id[parent.parent_span_id]
        assert parent.span_id in {entry.span_id} | {
            s.span_id for s in spans if s.service == "careflow-gateway"
        }
    else:
        assert request is entry
    assert any(s.kind == PRODUCER and s.service == "careflow-intake" for s in spans)
    for consumer in (s for s in spans if s.kind == CONSUMER):
        # Each consumer's span hangs off the publish of its event, across the broker.
        assert by_id[consumer.parent_span_id].kind == PRODUCER, consumer
