"""Email over SMTP (aiosmtplib): a small pool of reused connections, errors classified.

A connection carries message after message (MAIL, RCPT, DATA; no new TCP and TLS
handshake, EHLO and login per message). It is closed after an error of any kind
(the server's state is then unknown), after `max_messages_per_connection`, and when
it has been idle longer than `max_idle_seconds` (servers drop idle clients, often
after a minute). The pool holds no more connections than sends run at once: the
sender's pacing bounds that.

A message goes in two steps (the ChannelSender port): `prepare` takes a connection
and sends the envelope, the DATA command and the whole (dot-stuffed) body; `complete`
sends only the terminating "." line and reads the server's reply. A server takes a
message at that final dot and not before (RFC 5321 4.1.1.4), so everything but one round
trip runs outside the sender's one-at-a-time handover gate (application.send): the
split costs no more messages in doubt per crash, and took two round trips and the body's
transfer out of the gate. aiosmtplib's `data()` sends all three at once; its protocol
gives the pieces (`execute_command`, `protocol.write`, its own normalisation and quoting).
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator
from email import charset
from email.header import Header
from email.message import EmailMessage
from email.mime.text import MIMEText
from email.utils import formataddr, formatdate, parseaddr

import aiosmtplib
from aiosmtplib.email import flatten_message
from aiosmtplib.protocol import PERIOD_REGEX, normalize_message_line_endings

from careflow.notification.domain.errors import PermanentSendError, TransientSendError
from careflow.notification.domain.message import OutgoingMessage

_UTF8_QP = charset.Charset("utf-8")
_UTF8_QP.body_encoding = charset.QP


class _Connection:
    def __init__(self, client: aiosmtplib.SMTP) -> None:
        self.client = client
        self.messages = 0
        self.last_used = time.monotonic()


class SmtpEmailSender:
    """Sends plain-text mail; Message-ID = the delivery id, the same on every retry."""

    def __init__(
        self,
        *,
        host: str,
        port: int,
        sender: str,
        timeout: float = 15.0,
        start_tls: bool = False,
        use_tls: bool = False,
        username: str | None = None,
        password: str | None = None,
        domain: str = "careflow.local",
        max_messages_per_connection: int = 100,
        max_idle_seconds: float = 30.0,
    ) -> None:
        self._options = {
            "hostname": host,
            "port": port,
            "timeout": timeout,
            "start_tls": start_tls,
            "use_tls": use_tls,
            "username": username,
            "password": password,
        }
        self._sender = sender
        self._from = parseaddr(sender)[1]  # the envelope sender (MAIL FROM)
        self._from_header = formataddr(parseaddr(sender), charset="utf-8")
        self._domain = domain
        self._max_messages = max_messages_per_connection
        self._max_idle = max_idle_seconds
        self._idle: list[_Connection] = []
        #: Connections opened so far (for tests and the curious: reuse is visible).
        self.opened = 0

    #: SMTP has no idempotency key: the use case lets one handover at a time wait for
    #: its outcome to commit (application.send).
    drops_repeats = False

    async def prepare(self, message: OutgoingMessage) -> _Mail:
        """A pooled connection with MAIL FROM, RCPT TO, DATA and the body sent: only the
        final dot is left."""
        message_id = f"<{message.delivery_id}@{self._domain}>"
        connection = await self._checkout()
        client = connection.client
        with _classified(self, connection):
            if client.is_ehlo_or_helo_needed:  # the extensions decide the options
                await client.ehlo()
            content, options = self._content(client, message, message_id)
            encoding = "utf-8" if "SMTPUTF8" in options else "ascii"
            await client.mail(self._from, options=options, encoding=encoding)
            await client.rcpt(message.to, encoding=encoding)
            response = await client.execute_command(b"DATA")
            if response.code != aiosmtplib.SMTPStatus.start_input:
                raise aiosmtplib.SMTPDataError(response.code, response.message)
            # The body as aiosmtplib's data() sends it (CRLF line endings, a leading
            # "." doubled), without the final "." line: the server holds nothing yet.
            body = PERIOD_REGEX.sub(b"..", normalize_message_line_endings(content))
            if client.protocol is None:
                raise aiosmtplib.SMTPServerDisconnected("Connection lost")
            client.protocol.write(body)
        return _Mail(self, connection, message_id)

    async def send(self, message: OutgoingMessage) -> str | None:
        """Both steps at once (tests, tools): the Message-ID is the reference."""
        return await (await self.prepare(message)).complete()

    def _content(
        self, client: aiosmtplib.SMTP, message: OutgoingMessage, message_id: str
    ) -> tuple[bytes, list[str]]:
        content = self._mail(message, message_id)
        if content is not None:
            return content, []
        # An internationalised address: the server must take SMTPUTF8.
        if not client.supports_extension("smtputf8"):
            raise aiosmtplib.SMTPNotSupported("SMTPUTF8 is not supported by this server")
        options = ["SMTPUTF8"]
        cte = "7bit"
        if client.supports_extension("8BITMIME"):
            options.append("BODY=8BITMIME")
            cte = "8bit"
        utf8 = flatten_message(self._utf8_mail(message, message_id), utf8=True, cte_type=cte)
        return utf8, options

    def _mail(self, message: OutgoingMessage, message_id: str) -> bytes | None:
        """RFC 5322 bytes: UTF-8 text as quoted-printable (7-bit clean, any server takes it).

        The compat32 MIMEText, not EmailMessage: the latter parses every header it is
        given and costs several times as much CPU per message.
        """
        if not message.to.isascii():
            return None
        subject = message.subject or ""
        mail = MIMEText(message.body, "plain", _UTF8_QP)
        mail["From"] = self._from_header
        mail["To"] = message.to
        mail["Subject"] = subject if subject.isascii() else Header(subject, "utf-8").encode()
        mail["Date"] = formatdate(localtime=False)
        mail["Message-ID"] = message_id
        return mail.as_bytes()

    def _utf8_mail(self, message: OutgoingMessage, message_id: str) -> EmailMessage:
        mail = EmailMessage()
        mail["From"] = self._sender
        mail["To"] = message.to
        mail["Subject"] = message.subject or ""
        mail["Date"] = formatdate(localtime=False)
        mail["Message-ID"] = message_id
        mail.set_content(message.body)
        return mail

    async def close(self) -> None:
        while self._idle:
            connection = self._idle.pop()
            try:
                await connection.client.quit()
            except (aiosmtplib.SMTPException, OSError, TimeoutError):
                connection.client.close()

    async def _checkout(self) -> _Connection:
        now = time.monotonic()
        while self._idle:
            connection = self._idle.pop()  # the most recently used: least likely dropped
            if connection.client.is_connected and now - connection.last_used < self._max_idle:
                return connection
            self.discard(connection)
        client = aiosmtplib.SMTP(**self._options)  # type: ignore[arg-type]
        try:
            await client.connect()
        except (aiosmtplib.SMTPException, OSError, TimeoutError) as exc:
            client.close()
            raise TransientSendError(f"smtp_unavailable:{type(exc).__name__}") from None
        self.opened += 1
        return _Connection(client)

    def checkin(self, connection: _Connection) -> None:
        connection.messages += 1
        connection.last_used = time.monotonic()
        if connection.messages >= self._max_messages or not connection.client.is_connected:
            self.discard(connection)
        else:
            self._idle.append(connection)

    @staticmethod
    def discard(connection: _Connection) -> None:
        # No QUIT: after an error the server may not answer; closing the socket is enough.
        connection.client.close()


class _Mail:
    """One message whose body the server has, waiting for its final dot."""

    def __init__(self, sender: SmtpEmailSender, connection: _Connection, message_id: str) -> None:
        self._sender = sender
        self._connection = connection
        self._message_id = message_id

    async def complete(self) -> str:
        """The end-of-data line; the server's reply is its verdict on the message."""
        with _classified(self._sender, self._connection):
            response = await self._connection.client.execute_command(b".")
            if response.code != aiosmtplib.SMTPStatus.completed:
                raise aiosmtplib.SMTPDataError(response.code, response.message)
        self._sender.checkin(self._connection)
        return self._message_id

    def abandon(self) -> None:
        # Mid-DATA: closing the socket makes the server drop the body; never reused.
        self._sender.discard(self._connection)


@contextlib.contextmanager
def _classified(sender: SmtpEmailSender, connection: _Connection) -> Iterator[None]:
    """SMTP errors as send errors, without the server's text (it may quote the address).
    After any error the connection is closed: the server's state is then unknown."""
    try:
        yield
    except aiosmtplib.SMTPResponseException as exc:
        sender.discard(connection)
        # 5xx: the server refuses this message for good; 4xx: try again later.
        if not 500 <= exc.code < 600:
            raise TransientSendError(f"smtp_{exc.code}") from None
        if isinstance(exc, aiosmtplib.SMTPRecipientRefused):
            raise PermanentSendError("smtp_recipient_refused") from None
        raise PermanentSendError(f"smtp_{exc.code}") from None
    except (aiosmtplib.SMTPException, OSError, TimeoutError) as exc:
        sender.discard(connection)
        raise TransientSendError(f"smtp_unavailable:{type(exc).__name__}") from None
    except BaseException:
        sender.discard(connection)  # cancelled mid-transaction: state unknown
        raise
