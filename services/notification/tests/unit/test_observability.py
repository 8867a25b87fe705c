"""A send attempt leaves a span and metrics, and neither they nor the logs carry personal data:
no address, no phone number, no name, no text of the message."""

from __future__ import annotations

import asyncio
import logging
import uuid

from prometheus_client import REGISTRY, generate_latest

from careflow.notification.adapters.email import SmtpEmailSender
from careflow.notification.application.send import send_next
from careflow.notification.domain.delivery import Delivery

from .builders import NOW, contact
from .test_email_pool import Server
from .test_send import FakeStore, FakeUow, Provider

PHONE, ADDRESS, NAME = "+358409876543", "maija.meikalainen@example.org", "Meikäläinen"
BODY = f"CareFlow: Sinulle on uusi tehtävä. Kirjaudu: https://careflow.example/cases/{uuid.uuid4()}"


def metric_lines() -> list[str]:
    return [
        line
        for line in generate_latest(REGISTRY).decode().splitlines()
        if line.startswith("careflow_notification_")
    ]


def value(lines: list[str], name: str, **labels: str) -> float:
    wanted = [f'{k}="{v}"' for k, v in labels.items()]
    return sum(
        float(line.rsplit(" ", 1)[1])
        for line in lines
        if line.startswith(name + "{") and all(w in line for w in wanted)
    )


def queued(resident_id: uuid.UUID, channel: str) -> Delivery:
    return Delivery.queue(
        delivery_id=uuid.uuid4(),
        notification_id=uuid.uuid4(),
        resident_id=resident_id,
        channel=channel,
        created_at=NOW,
        subject="Uutta CareFlow-asioinnissasi",
        body=BODY,
    )


def everything_recorded(spans, lines: list[str], caplog) -> str:  # type: ignore[no-untyped-def]
    parts = [*lines]
    for span in spans:
        parts += [span.name, str(span.status.description), str(dict(span.attributes or {}))]
        parts += [str(event.attributes) for event in span.events]
    # The service's records (the test's own SMTP server logs what it receives).
    parts += [r.getMessage() for r in caplog.records if r.name.startswith("careflow")]
    return "\n".join(parts)


def assert_no_personal_data(recorded: str) -> None:
    for personal in (PHONE, PHONE[1:], ADDRESS, "maija", NAME, "Sinulle on uusi", "/cases/"):
        assert personal not in recorded


async def test_a_sent_sms_leaves_a_span_and_metrics_without_personal_data(
    notifier, span_exporter, caplog
):
    caplog.set_level(logging.INFO, logger="careflow.notification")
    resident = contact(phone=PHONE, email=ADDRESS)
    store = FakeStore(queued(resident.resident_id, "sms"), resident)
    before = metric_lines()
    span_exporter.clear()

    assert await send_next("sms", lambda: FakeUow(store), Provider(), notifier) == "sent"

    spans = [s for s in span_exporter.get_finished_spans() if s.name == "notification send sms"]
    assert len(spans) == 1
    attributes = dict(spans[0].attributes or {})
    assert attributes["careflow.notification.channel"] == "sms"
    assert attributes["careflow.notification.delivery_id"] == str(store.delivery.delivery_id)
    assert attributes["careflow.notification.attempt"] == 1
    assert attributes["careflow.notification.result"] == "sent"
    after = metric_lines()
    sent = "careflow_notification_deliveries_total"
    assert value(after, sent, channel="sms", outcome="sent") == (
        value(before, sent, channel="sms", outcome="sent") + 1
    )
    duration = "careflow_notification_send_duration_seconds_count"
    assert value(after, duration, channel="sms", result="sent") == (
        value(before, duration, channel="sms", result="sent") + 1
    )
    assert_no_personal_data(everything_recorded(spans, after, caplog))


async def test_a_refused_email_records_the_code_and_never_the_servers_words(
    notifier, span_exporter, caplog
):
    caplog.set_level(logging.DEBUG, logger="careflow")
    server = Server()
    await asyncio.to_thread(server.start)
    try:
        email = SmtpEmailSender(host="127.0.0.1", port=server.port, sender="x@careflow.local")
        # The server's refusal quotes the address; none of it may reach spans or logs.
        resident = contact(phone=PHONE, email=f"nobody@{ADDRESS.split('@')[1]}")
        store = FakeStore(queued(resident.resident_id, "email"), resident)
        span_exporter.clear()
        assert await send_next("email", lambda: FakeUow(store), email, notifier) == "failed"
        await email.close()
    finally:
        await asyncio.to_thread(server.stop)

    assert store.delivery.reason == "smtp_recipient_refused"
    spans = [s for s in span_exporter.get_finished_spans() if s.name == "notification send email"]
    assert len(spans) == 1
    assert spans[0].status.description == "smtp_recipient_refused"
    assert dict(spans[0].attributes or {})["error.type"] == "smtp_recipient_refused"
    assert spans[0].events == ()  # no exception event: its message would quote the server
    recorded = everything_recorded(spans, metric_lines(), caplog)
    assert "nobody" not in recorded
    assert_no_personal_data(recorded)
