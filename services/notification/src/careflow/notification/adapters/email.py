"""Email over SMTP (aiosmtplib): a small pool of reused connections, errors classified.

A connection carries message after message (MAIL, RCPT, DATA; no new TCP and TLS
handshake, EHLO and login per message). It is closed after an error of any kind
(the server's state is then unknown), after `max_messages_per_connection`, and when
it has been idle longer than `max_idle_seconds` (servers drop idle clients, often
after a minute). The pool holds no more connections than sends run at once: the
sender's pacing bounds that.
"""

from __future__ import annotations

import time
from email import charset
from email.header import Header
from email.message import EmailMessage
from email.mime.text import MIMEText
from email.utils import formataddr, formatdate, parseaddr

import aiosmtplib

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

    async def send(self, message: OutgoingMessage) -> str | None:
        message_id = f"<{message.delivery_id}@{self._domain}>"
        content = self._mail(message, message_id)
        recipient = message.to
        connection = await self._checkout()
        try:
            if content is None:  # an internationalised address: SMTPUTF8 needed
                await connection.client.send_message(self._utf8_mail(message, message_id))
            else:
                await connection.client.sendmail(self._from, [recipient], content)
        except aiosmtplib.SMTPRecipientsRefused:
            self._discard(connection)
            raise PermanentSendError("smtp_recipient_refused") from None
        except aiosmtplib.SMTPResponseException as exc:
            self._discard(connection)
            # 5xx: the server refuses this message for good; 4xx: try again later.
            error = PermanentSendError if 500 <= exc.code < 600 else TransientSendError
            raise error(f"smtp_{exc.code}") from None
        except (aiosmtplib.SMTPException, OSError, TimeoutError) as exc:
            self._discard(connection)
            raise TransientSendError(f"smtp_unavailable:{type(exc).__name__}") from None
        except BaseException:
            self._discard(connection)  # cancelled mid-transaction: state unknown
            raise
        self._checkin(connection)
        return message_id

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
            self._discard(connection)
        client = aiosmtplib.SMTP(**self._options)  # type: ignore[arg-type]
        try:
            await client.connect()
        except (aiosmtplib.SMTPException, OSError, TimeoutError) as exc:
            client.close()
            raise TransientSendError(f"smtp_unavailable:{type(exc).__name__}") from None
        self.opened += 1
        return _Connection(client)

    def _checkin(self, connection: _Connection) -> None:
        connection.messages += 1
        connection.last_used = time.monotonic()
        if connection.messages >= self._max_messages or not connection.client.is_connected:
            self._discard(connection)
        else:
            self._idle.append(connection)

    @staticmethod
    def _discard(connection: _Connection) -> None:
        # No QUIT: after an error the server may not answer; closing the socket is enough.
        connection.client.close()
