"""A failing statement's values reach neither the error log nor a span."""

from __future__ import annotations

import logging
import traceback

import httpx
from fastapi import APIRouter, Request
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from careflow.shared.service.app import create_service_app, runtime_of
from careflow.testing.probe_service import probe_runtime, settings_for

RESIDENT_TEXT = "alice-has-a-rash-on-her-left-arm"
EMAIL = "alice@example.fi"

router = APIRouter()


@router.post("/notes", status_code=201)
async def add_note(request: Request) -> dict[str, str]:
    """Stores a note too long for its column: the database refuses it."""
    async with runtime_of(request).uow() as uow:
        await uow.session.execute(
            text("INSERT INTO notes (body) VALUES (:body)"), {"body": RESIDENT_TEXT}
        )
        await uow.commit()
    return {"status": "stored"}


@router.post("/contacts", status_code=201)
async def add_contact(request: Request) -> dict[str, str]:
    """Stores an address twice: PostgreSQL's refusal quotes the key."""
    async with runtime_of(request).uow() as uow:
        for _ in range(2):
            await uow.session.execute(
                text("INSERT INTO contacts (email) VALUES (:email)"), {"email": EMAIL}
            )
        await uow.commit()
    return {"status": "stored"}


async def test_a_failing_statement_logs_and_traces_no_parameter(
    probe_db: str, kafka, span_exporter, caplog
):
    setup = create_async_engine(probe_db)
    async with setup.begin() as conn:
        await conn.execute(text("CREATE TABLE notes (body varchar(8) NOT NULL)"))
        await conn.execute(text("CREATE TABLE contacts (email text PRIMARY KEY)"))
    await setup.dispose()
    runtime = probe_runtime(settings_for(probe_db, kafka.bootstrap_servers))
    app = create_service_app(runtime, routers=[router])
    async with app.router.lifespan_context(app):
        # The lifespan installs the service's own log handler in place of pytest's.
        logging.getLogger().addHandler(caplog.handler)
        caplog.set_level(logging.DEBUG)
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app, raise_app_exceptions=False), base_url="http://probe"
        ) as client:
            span_exporter.clear()
            response = await client.post("/notes")

    assert response.status_code == 500
    assert RESIDENT_TEXT not in response.text
    failures = [r for r in caplog.records if r.exc_info and r.levelno >= logging.ERROR]
    assert failures, "the failure was logged"
    for record in caplog.records:
        assert RESIDENT_TEXT not in logging.Formatter().format(record)
    assert "parameters hidden" in caplog.text
    spans = span_exporter.get_finished_spans()
    assert any(s.name.startswith("INSERT") for s in spans)
    for span in spans:
        assert RESIDENT_TEXT not in repr(span.to_json())


async def test_a_value_the_database_quotes_is_withheld_from_the_service_log(
    probe_db: str, kafka, caplog
):
    setup = create_async_engine(probe_db)
    async with setup.begin() as conn:
        await conn.execute(text("CREATE TABLE contacts (email text PRIMARY KEY)"))
    await setup.dispose()
    runtime = probe_runtime(settings_for(probe_db, kafka.bootstrap_servers))
    app = create_service_app(runtime, routers=[router])
    async with app.router.lifespan_context(app):
        service_handler = logging.getLogger().handlers[0]
        logging.getLogger().addHandler(caplog.handler)
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app, raise_app_exceptions=False), base_url="http://probe"
        ) as client:
            response = await client.post("/contacts")

    assert response.status_code == 500
    failures = [r for r in caplog.records if r.exc_info and r.levelno >= logging.ERROR]
    assert failures, "the failure was logged"
    # The driver's text says "Key (email)=(alice@example.fi) already exists."...
    assert EMAIL in "".join(traceback.format_exception(failures[0].exc_info[1]))  # type: ignore[index]
    for record in failures:
        record.exc_text = None  # formatted afresh, as the service's handler alone would
        logged = service_handler.format(record)
        assert "UniqueViolationError" in logged
        assert EMAIL not in logged
