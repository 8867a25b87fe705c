"""Real servers on free local ports: an SMTP server (aiosmtpd) and an SMS provider (HTTP)."""

from __future__ import annotations

import email
import email.policy
import json
import threading
from collections import deque
from dataclasses import dataclass, field
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from aiosmtpd.controller import Controller

from careflow.local.ports import free_port


class SmtpServer:
    """aiosmtpd on 127.0.0.1:`port`; `stop()` and `start()` again simulate an outage."""

    def __init__(self) -> None:
        self.port = free_port()
        self.messages: list[Message] = []
        self._controller: Controller | None = None

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        message = email.message_from_bytes(
            envelope.original_content or b"", policy=email.policy.default
        )
        message["X-Rcpt-To"] = ", ".join(envelope.rcpt_tos)
        self.messages.append(message)
        return "250 OK"

    def start(self) -> None:
        self._controller = Controller(self, hostname="127.0.0.1", port=self.port)
        self._controller.start()

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def to(self, address: str) -> list[Message]:
        return [m for m in self.messages if m["X-Rcpt-To"] == address]


@dataclass
class SmsProvider:
    """POST /messages; answers the queued statuses first, then 200; honours Idempotency-Key."""

    port: int = field(default_factory=free_port)
    #: Statuses to answer per phone number before 200 (the service also replays
    #: earlier tests' residents from the topics, so scripts are per number).
    scripts: dict[str, deque[int]] = field(default_factory=dict)
    requests: list[dict[str, Any]] = field(default_factory=list)
    delivered: dict[str, dict[str, Any]] = field(default_factory=dict)
    _server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        provider = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                key = self.headers.get("Idempotency-Key", "")
                provider.requests.append({"key": key, **body})
                script = provider.scripts.get(body["to"])
                status = script.popleft() if script else 200
                if status == 200 and key not in provider.delivered:
                    provider.delivered[key] = body  # a repeated key is sent once
                answer = json.dumps({"id": f"sms-{key[:8]}"}).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, *args: Any) -> None:
                return None

        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def answer(self, phone: str, *statuses: int) -> None:
        self.scripts[phone] = deque(statuses)

    def to(self, phone: str) -> list[dict[str, Any]]:
        return [m for m in self.delivered.values() if m["to"] == phone]
