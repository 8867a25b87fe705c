"""An SMS provider for local runs: accepts what notification posts and records each request.

It answers as a provider honouring `Idempotency-Key` would (a repeated key is
accepted again, not sent again), and keeps every request's key so a run can
tell repeats (same key: absorbed here) from doubles (two keys for one message).
Only keys and counts are kept: never a number or a text.
"""

from __future__ import annotations

import json
import threading
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from careflow.local.ports import free_port


class SmsSink:
    """An HTTP server on 127.0.0.1 taking `POST /` with JSON and an Idempotency-Key."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        self.host, self.port = host, port or free_port(host)
        self.keys: Counter[str] = Counter()
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"  # the adapter posts to <url>/messages

    def start(self) -> None:
        sink = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                key = self.headers.get("Idempotency-Key")
                try:
                    json.loads(body)
                except ValueError:
                    key = None
                if not key:
                    self.send_response(400)
                    self.end_headers()
                    return
                with sink._lock:
                    sink.keys[key] += 1
                reply = json.dumps({"id": key}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(reply)))
                self.end_headers()
                self.wfile.write(reply)

            def log_message(self, format: str, *args: object) -> None:
                pass  # numbers and texts never reach a log

        self._server = ThreadingHTTPServer((self.host, self.port), Handler)
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def snapshot(self) -> Counter[str]:
        with self._lock:
            return Counter(self.keys)
