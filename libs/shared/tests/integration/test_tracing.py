"""One trace joins the HTTP request, the relay's publish, the consumer and its SQL."""

from __future__ import annotations

import uuid

import httpx
import pytest
from fastapi import APIRouter, Request
from opentelemetry import propagate, trace
from opentelemetry.trace import SpanKind, StatusCode
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from careflow.shared.auth.claims import ServicePrincipal
from careflow.shared.auth.dependencies import Service
from careflow.shared.auth.signing import generate_keypair, load_signing_key, mint_token
from careflow.shared.service.app import create_service_app, runtime_of
from careflow.shared.settings import AuthSettings
from careflow.testing.probe_service import (
    effects_of,
    probe,
    probe_record,
    probe_runtime,
    settings_for,
    wait_until,
)

router = APIRouter()


@router.post("/probes/{probe_id}", status_code=202)
async def emit_probe(probe_id: uuid.UUID, request: Request, _caller: Service) -> dict[str, str]:
    """Writes one probe event to the outbox."""
    async with runtime_of(request).uow() as uow:
        uow.outbox.add(probe(probe_id, 0))
        await uow.commit()
    return {"status": "accepted"}


async def test_one_trace_id_joins_http_publish_consume_and_sql(
    probe_db: str, kafka, tmp_path, span_exporter
):
    kid = generate_keypair(tmp_path)
    _kid, key = load_signing_key(tmp_path, kid)
    settings = settings_for(probe_db, kafka.bootstrap_servers)
    settings.auth = AuthSettings(jwks_path=tmp_path / "jwks.json")
    token = mint_token(
        key,
        kid,
        ServicePrincipal(subject="trace-test"),
        issuer=settings.auth.issuer,
        audience=settings.auth.audience,
    )
    runtime = probe_runtime(settings)
    app = create_service_app(runtime, routers=[router])
    probe_id = uuid.uuid4()
    async with app.router.lifespan_context(app):
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app), base_url="http://probe"
        ) as client:
            span_exporter.clear()
            denied = await client.post(f"/probes/{probe_id}")
            assert denied.status_code == 401
            response = await client.post(
                f"/probes/{probe_id}?echo={probe_id}", headers={"Authorization": f"Bearer {token}"}
            )
            assert response.status_code == 202
        await wait_until(lambda: effects_of(runtime, probe_id))

    spans = span_exporter.get_finished_spans()
    server = next(
        s
        for s in spans
        if s.kind == SpanKind.SERVER
        and s.attributes.get("http.response.status_code", s.attributes.get("http.status_code"))
        == 202
    )
    trace_id = server.context.trace_id
    in_trace = [s for s in spans if s.context.trace_id == trace_id]
    publish = [s for s in in_trace if s.kind == SpanKind.PRODUCER and s.name.endswith("publish")]
    consume = [s for s in in_trace if s.kind == SpanKind.CONSUMER and s.name.endswith("process")]
    assert publish, "the relay's publish span is not in the request's trace"
    assert consume, "the consumer span is not in the request's trace"
    # A redelivery (a rebalance under load, say) adds a consumer span that only finds the
    # event already applied: the one that applied it carries the SQL.
    consumer_span_ids = {c.context.span_id for c in consume}
    sql_in_consumer = [
        s
        for s in in_trace
        if "db.statement" in s.attributes
        and s.parent is not None
        and s.parent.span_id in consumer_span_ids
    ]
    assert sql_in_consumer, "no SQL span under the consumer span"
    # The inbox claim runs on the driver connection: its span is made by hand. When the
    # probe came in one fetch with other records of the topic (earlier tests'), the claim
    # belongs to the batch: under the batch's span, linked to each message's span.
    claim_parents = consumer_span_ids | {
        s.context.span_id
        for s in spans
        if s.name.endswith("apply batch")
        and any(link.context.span_id in consumer_span_ids for link in s.links)
    }
    claims = [
        s
        for s in spans
        if "INSERT INTO inbox" in (s.attributes or {}).get("db.statement", "")
        and s.parent is not None
        and s.parent.span_id in claim_parents
    ]
    assert claims, "the inbox claim has no span under the message's or its batch's span"
    assert publish[0].parent is not None
    assert all(c.parent.span_id in {p.context.span_id for p in publish} for c in consume)
    # No personal data in spans: statements are recorded without parameters.
    for span in in_trace:
        assert str(probe_id) not in str(dict(span.attributes or {})), span.name


async def test_every_runtime_in_a_process_records_its_sql_statements(
    probe_db: str, kafka, span_exporter
):
    # A process may hold several runtimes (tests, benchmarks, `make run` helpers); each
    # engine must trace, not only the first one instrumented.
    tracer = trace.get_tracer("test")
    for round_ in range(2):
        runtime = probe_runtime(settings_for(probe_db, kafka.bootstrap_servers))
        await runtime.start()
        try:
            span_exporter.clear()
            with tracer.start_as_current_span(f"round {round_}") as parent:
                async with runtime.sessions() as session:
                    await session.execute(text("SELECT 1"))
        finally:
            await runtime.stop()
        under_parent = [
            s
            for s in span_exporter.get_finished_spans()
            if s.attributes.get("db.statement") == "SELECT 1"
            and s.parent is not None
            and s.parent.span_id == parent.get_span_context().span_id
        ]
        assert under_parent, f"runtime {round_ + 1} recorded no SQL span"


async def test_in_a_batch_each_message_s_sql_is_under_its_own_consumer_span(
    probe_db: str, kafka, span_exporter
):
    """A fetch of several records is applied in one transaction (EventConsumer's batch
    path); each handler's statements still belong to its message's trace."""
    tracer = trace.get_tracer("test")
    probe_id = uuid.uuid4()
    records, producers = [], []
    for sequence in range(2):
        event = probe(probe_id, sequence)
        with tracer.start_as_current_span(f"producer {sequence}") as producer:
            carrier: dict[str, str] = {}
            propagate.inject(carrier)
        producers.append(producer.get_span_context())
        traced = [(k, v.encode()) for k, v in carrier.items()]
        records.append(probe_record(event, sequence, traced))
    runtime = probe_runtime(settings_for(probe_db, kafka.bootstrap_servers, enabled=False))
    await runtime.start()
    try:
        span_exporter.clear()
        outcomes = await runtime.consumer.process_batch(records)  # type: ignore[attr-defined]
    finally:
        await runtime.stop()

    assert outcomes == ["processed", "processed"]
    spans = span_exporter.get_finished_spans()
    consumers = []
    for producer in producers:
        (consumer,) = [
            s
            for s in spans
            if s.kind == SpanKind.CONSUMER and s.parent and s.parent.span_id == producer.span_id
        ]
        effects = [
            s
            for s in spans
            if s.parent
            and s.parent.span_id == consumer.context.span_id
            and "probe_effects" in s.attributes.get("db.statement", "")
        ]
        assert len(effects) == 1, "the handler's statement is not under its message's span"
        consumers.append(consumer.context.span_id)
    (batch,) = [
        s
        for s in spans
        if s.name.endswith("apply batch") and s.links[0].context.span_id == consumers[0]
    ]
    assert [link.context.span_id for link in batch.links] == consumers
    batch_sql = [
        s.attributes["db.statement"]
        for s in spans
        if s.parent and s.parent.span_id == batch.context.span_id and "db.statement" in s.attributes
    ]
    assert any("INSERT INTO inbox" in statement for statement in batch_sql)


async def test_a_failed_statement_s_span_names_the_error_but_not_the_values(
    probe_db: str, kafka, span_exporter
):
    # PostgreSQL's messages quote the offending values; a span may carry the type only.
    runtime = probe_runtime(settings_for(probe_db, kafka.bootstrap_servers))
    await runtime.start()
    secret = f"resident-{uuid.uuid4()}@example.fi"
    try:
        span_exporter.clear()
        async with runtime.sessions() as session:
            await session.execute(text("CREATE TEMP TABLE people (email text PRIMARY KEY)"))
            insert = text("INSERT INTO people VALUES (:email)")
            await session.execute(insert, {"email": secret})
            with pytest.raises(IntegrityError):
                await session.execute(insert, {"email": secret})
    finally:
        await runtime.stop()
    failed = [
        s
        for s in span_exporter.get_finished_spans()
        if "people" in s.attributes.get("db.statement", "")
        and s.status.status_code is StatusCode.ERROR
    ]
    assert [s.attributes["db.statement"] for s in failed] == ["INSERT INTO people VALUES ($1)"]
    assert failed[0].status.description == failed[0].attributes["error.type"]
    assert failed[0].status.description == "UniqueViolationError"
    assert failed[0].attributes["db.response.status_code"] == "23505"
    assert secret not in str(failed[0].to_json())
