"""Email over SMTP (aiosmtplib): a fresh connection per message, errors classified."""

from __future__ import annotations

from email.message import EmailMessage
from email.utils import formatdate

import aiosmtplib

from careflow.notification.domain.errors import PermanentSendError, TransientSendError
from careflow.notification.domain.message import OutgoingMessage


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
        self._domain = domain

    async def send(self, message: OutgoingMessage) -> str | None:
        mail = EmailMessage()
        mail["From"] = self._sender
        mail["To"] = message.to
        mail["Subject"] = message.subject or ""
        mail["Date"] = formatdate(localtime=False)
        message_id = f"<{message.delivery_id}@{self._domain}>"
        mail["Message-ID"] = message_id
        mail.set_content(message.body)
        try:
            await aiosmtplib.send(mail, **self._options)  # type: ignore[arg-type]
        except aiosmtplib.SMTPRecipientsRefused:
            raise PermanentSendError("smtp_recipient_refused") from None
        except aiosmtplib.SMTPResponseException as exc:
            # 5xx: the server refuses this message for good; 4xx: try again later.
            error = PermanentSendError if 500 <= exc.code < 600 else TransientSendError
            raise error(f"smtp_{exc.code}") from None
        except (aiosmtplib.SMTPException, OSError, TimeoutError) as exc:
            raise TransientSendError(f"smtp_unavailable:{type(exc).__name__}") from None
        return message_id
