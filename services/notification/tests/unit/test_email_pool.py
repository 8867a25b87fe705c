"""The SMTP adapter against a real local SMTP server (aiosmtpd): connections reused, replaced
when the server dropped them or an error left them in an unknown state."""

from __future__ import annotations

import asyncio
import email
import email.policy
import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from careflow.local.ports import free_port
from careflow.local.smtp_sink import SmtpSink
from careflow.notification.adapters.email import SmtpEmailSender
from careflow.notification.domain.errors import PermanentSendError, TransientSendError
from careflow.notification.domain.message import OutgoingMessage


class Server:
    def __init__(self, delay: float = 0.0) -> None:
        self.port = free_port()
        self.messages: list[Any] = []
        self.delay = delay
        #: The reply to a message's final dot (None: accepted).
        self.refuse_data: str | None = None
        self._controller: Controller | None = None

    async def handle_RCPT(self, server, session, envelope, address, options) -> str:  # type: ignore[no-untyped-def]
        if address.startswith("nobody@"):
            return f"550 5.1.1 <{address}>: Recipient address rejected"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope) -> str:  # type: ignore[no-untyped-def]
        await asyncio.sleep(self.delay)
        if self.refuse_data is not None:
            return self.refuse_data
        self.messages.append(
            email.message_from_bytes(envelope.original_content, policy=email.policy.default)
        )
        return "250 OK"

    def start(self) -> None:
        self._controller = Controller(
            self, hostname="127.0.0.1", port=self.port, enable_SMTPUTF8=True
        )
        self._controller.start()

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None


@pytest.fixture
async def server() -> AsyncIterator[Server]:
    running = Server()
    # Controller.start/stop join aiosmtpd's thread: keep them off the test's loop.
    await asyncio.to_thread(running.start)
    yield running
    await asyncio.to_thread(running.stop)


def mail(to: str = "resident@example.org") -> OutgoingMessage:
    return OutgoingMessage(uuid.uuid4(), to, "Uutta CareFlow-asioinnissasi", "Hei,\n\nKirjaudu.")


def smtp(server: Server, **options: Any) -> SmtpEmailSender:
    return SmtpEmailSender(
        host="127.0.0.1", port=server.port, sender="CareFlow <no-reply@careflow.local>", **options
    )


async def test_consecutive_messages_share_one_connection(server):
    sender = smtp(server)
    messages = [mail() for _ in range(5)]
    for message in messages:
        assert await sender.send(message) == f"<{message.delivery_id}@careflow.local>"
    await sender.close()
    assert sender.opened == 1
    assert [m["Message-ID"] for m in server.messages] == [
        f"<{m.delivery_id}@careflow.local>" for m in messages
    ]


async def test_concurrent_messages_use_a_connection_each_and_keep_them(server):
    server.delay = 0.05
    sender = smtp(server)
    await asyncio.gather(*(sender.send(mail()) for _ in range(3)))
    await asyncio.gather(*(sender.send(mail()) for _ in range(3)))
    await sender.close()
    assert sender.opened == 3
    assert len(server.messages) == 6


async def test_a_connection_is_retired_after_its_message_quota(server):
    sender = smtp(server, max_messages_per_connection=2)
    for _ in range(5):
        await sender.send(mail())
    await sender.close()
    assert sender.opened == 3


async def test_a_connection_idle_too_long_is_replaced(server):
    sender = smtp(server, max_idle_seconds=0.05)
    await sender.send(mail())
    await asyncio.sleep(0.1)
    await sender.send(mail())
    await sender.close()
    assert sender.opened == 2


async def test_a_connection_the_server_dropped_is_replaced_without_losing_the_message(server):
    sender = smtp(server)
    await sender.send(mail())
    await asyncio.to_thread(server.stop)  # closes the idle connection from the server's side
    await asyncio.to_thread(server.start)
    await asyncio.sleep(0.05)
    await sender.send(mail())
    await sender.close()
    assert sender.opened == 2
    assert len(server.messages) == 2


async def test_a_refused_recipient_fails_for_good_without_the_address_in_the_error(server):
    sender = smtp(server)
    with pytest.raises(PermanentSendError) as refused:
        await sender.send(mail("nobody@example.org"))
    assert refused.value.code == "smtp_recipient_refused"
    assert "nobody" not in str(refused.value)
    assert refused.value.__suppress_context__  # tracebacks never print the server's text
    await sender.send(mail())  # the connection of the failed transaction was not reused
    await sender.close()
    assert sender.opened == 2


async def test_a_server_that_is_down_is_a_transient_failure():
    sender = SmtpEmailSender(host="127.0.0.1", port=free_port(), sender="x@careflow.local")
    with pytest.raises(TransientSendError) as down:
        await sender.send(mail())
    assert down.value.code.startswith("smtp_unavailable:")


async def test_the_server_holds_a_message_only_once_it_is_completed(server):
    sender = smtp(server)
    handover = await sender.prepare(mail())  # connection and envelope: MAIL, RCPT
    assert server.messages == []
    assert await handover.complete() is not None
    assert len(server.messages) == 1
    await sender.close()


async def test_an_abandoned_message_is_never_delivered_and_its_connection_not_reused(server):
    sender = smtp(server)
    (await sender.prepare(mail())).abandon()
    await sender.send(mail())
    await sender.close()
    assert sender.opened == 2
    assert len(server.messages) == 1


async def test_a_refused_recipient_is_known_before_the_handover(server):
    sender = smtp(server)
    with pytest.raises(PermanentSendError):
        await sender.prepare(mail("nobody@example.org"))
    assert server.messages == []
    await sender.close()


async def test_an_internationalised_address_goes_with_smtputf8(server):
    sender = smtp(server)
    await sender.send(mail("äiti@esimerkki.fi"))
    await sender.close()
    assert server.messages[0]["To"] == "äiti@esimerkki.fi"


# The split DATA step: `prepare` sends DATA and the body, `complete` only the final dot.


@pytest.fixture
async def sink(tmp_path) -> AsyncIterator[SmtpSink]:
    running = SmtpSink(tmp_path / "mail", port=free_port())
    await asyncio.to_thread(running.start)
    yield running
    await asyncio.to_thread(running.stop)


def received(sink: SmtpSink) -> list[Any]:
    return [
        email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        for path in sorted(sink.directory.glob("*.eml"))
    ]


async def test_the_sink_gets_each_message_once_and_whole_with_dotted_lines_intact(sink):
    host, port = sink.address.split(":")
    sender = SmtpEmailSender(host=host, port=int(port), sender="no-reply@careflow.local")
    # Lines a server would read as the end of data, or strip a dot from, unless stuffed.
    body = ".\n..\n.alku pisteellä\nkeskellä\n.\r\nloppu.\n."
    messages = [
        OutgoingMessage(uuid.uuid4(), "resident@example.org", f"Viesti {n}", body) for n in range(3)
    ]
    handovers = [await sender.prepare(m) for m in messages]  # three connections, mid-DATA
    assert received(sink) == []  # body sent, final dot not: the server holds nothing
    for handover in handovers:
        await handover.complete()
    await sender.send(OutgoingMessage(uuid.uuid4(), "other@example.org", "Toinen", body))
    await sender.close()
    got = received(sink)
    assert sorted(m["Message-ID"] for m in got[:3]) == sorted(
        f"<{m.delivery_id}@careflow.local>" for m in messages
    )
    assert len(got) == 4  # once each; the fourth reused a connection whose DATA completed
    assert sender.opened == 3
    for mail_ in got:
        assert mail_.get_content().splitlines() == body.splitlines()
    # On the wire the lines began with a dot (quoted-printable leaves "." alone): the
    # server got them back unstuffed, and a lone "." did not end the message early.
    raw = next(iter(sink.directory.glob("*.eml"))).read_bytes()
    assert b"\r\n.\r\n..\r\n.alku" in raw


async def test_an_internationalised_message_is_split_the_same_way(server):
    sender = smtp(server)  # this server takes SMTPUTF8 (the sink does not)
    handover = await sender.prepare(OutgoingMessage(uuid.uuid4(), "äiti@esimerkki.fi", "S", ".x"))
    assert server.messages == []
    await handover.complete()
    await sender.close()
    [got] = server.messages
    assert got["To"] == "äiti@esimerkki.fi"
    assert got.get_content().splitlines() == [".x"]


@pytest.mark.parametrize(
    ("reply", "error", "code"),
    [
        ("554 5.6.0 Message content rejected", PermanentSendError, "smtp_554"),
        ("451 4.3.0 Try again later", TransientSendError, "smtp_451"),
    ],
)
async def test_a_message_refused_at_its_final_dot_is_classified(server, reply, error, code):
    sender = smtp(server)
    server.refuse_data = reply
    handover = await sender.prepare(mail())  # DATA and the body were taken (354)
    with pytest.raises(error) as refused:
        await handover.complete()
    assert refused.value.code == code
    server.refuse_data = None
    await sender.send(mail())  # on a new connection: the refused one was closed
    await sender.close()
    assert sender.opened == 2
    assert len(server.messages) == 1
