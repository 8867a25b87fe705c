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
from careflow.notification.adapters.email import SmtpEmailSender
from careflow.notification.domain.errors import PermanentSendError, TransientSendError
from careflow.notification.domain.message import OutgoingMessage


class Server:
    def __init__(self, delay: float = 0.0) -> None:
        self.port = free_port()
        self.messages: list[Any] = []
        self.delay = delay
        self._controller: Controller | None = None

    async def handle_RCPT(self, server, session, envelope, address, options) -> str:  # type: ignore[no-untyped-def]
        if address.startswith("nobody@"):
            return f"550 5.1.1 <{address}>: Recipient address rejected"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope) -> str:  # type: ignore[no-untyped-def]
        await asyncio.sleep(self.delay)
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
