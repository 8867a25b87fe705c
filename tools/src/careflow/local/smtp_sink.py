"""A local SMTP server that keeps every message it receives as an .eml file.

Services send mail to it as they would to a real relay; a developer opens the
files in `var/mail/` with any mail client. Nothing is ever delivered.
"""

from __future__ import annotations

import os
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller


class MailDirHandler:
    """aiosmtpd handler: one `<time>-<id>.eml` per message in `directory`."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        content = envelope.original_content or b""
        # The envelope recipients include Bcc, which the headers do not show.
        trace = (
            f"X-Envelope-From: {envelope.mail_from}\r\n"
            f"X-Envelope-To: {', '.join(envelope.rcpt_tos)}\r\n"
        ).encode()
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%f")
        path = self.directory / f"{stamp}-{uuid.uuid4().hex[:8]}.eml"
        # Written aside and renamed, so a reader never sees half a message.
        partial = path.with_suffix(".eml.part")
        partial.write_bytes(trace + content)
        os.replace(partial, path)
        return "250 Message accepted for delivery"


class SmtpSink:
    """The sink on `host`:`port`, served from a background thread."""

    def __init__(self, directory: Path, port: int = 1025, host: str = "127.0.0.1") -> None:
        self.directory = directory
        self.host = host
        self.port = port
        self._controller: Controller | None = None

    @property
    def address(self) -> str:
        return f"{self.host}:{self.port}"

    def start(self) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        controller = Controller(MailDirHandler(self.directory), hostname=self.host, port=self.port)
        controller.start()
        self._controller = controller

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None
