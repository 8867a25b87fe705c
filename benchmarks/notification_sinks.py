"""The providers of the notification benchmark, in a process of their own.

    python benchmarks/notification_sinks.py   (started by benchmarks/notifications.py)

Two real servers on 127.0.0.1, ports from the environment: an SMTP sink
(aiosmtpd, the same server `make run` and the tests use) and an SMS provider's
HTTP API (uvicorn, the provider contract of `adapters/sms.py`: `POST /messages`,
JSON `{"to", "text"}`, `Idempotency-Key`). A message counts as delivered when
the server has received it: the SMTP sink at the end of DATA, the provider once
the request body is read; each is stamped then with the wall clock
(`time.time()`, the clock the parent stamps publishes with) and streamed to the
parent on stdout, one line per batch:

    R [[channel, case_id, received_at, duplicate], ...]

`duplicate` is true when the Message-ID (email) or Idempotency-Key (SMS) was
received before. The case id comes from the link in the text, the only part
of a notification that names anything.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import signal
import sys
import time
from email import policy
from email.parser import BytesParser
from typing import Any

SMTP_PORT_ENV, SMS_PORT_ENV = "BENCH_SMTP_PORT", "BENCH_SMS_PORT"
READY, RECEIPTS = "ready", "R "
FLUSH_SECONDS = 0.02
CASE_LINK = re.compile(r"/cases/([0-9a-f-]{36})")

_buffer: list[list[Any]] = []
_seen: dict[str, set[str]] = {"email": set(), "sms": set()}
_parser = BytesParser(policy=policy.default)


def _note(channel: str, identity: str, text: str, at: float) -> None:
    found = CASE_LINK.search(text)
    duplicate = identity in _seen[channel]
    _seen[channel].add(identity)
    _buffer.append([channel, found.group(1) if found else None, at, duplicate])


class Mailbox:
    """aiosmtpd handler: stamps and forgets every message."""

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        at = time.time()
        asyncio.get_running_loop().call_soon(_read_mail, envelope.original_content or b"", at)
        return "250 OK"


def _read_mail(content: bytes, at: float) -> None:
    message = _parser.parsebytes(content)
    body = message.get_body(("plain",))
    text = body.get_content() if body is not None else ""
    _note("email", str(message["Message-ID"]), text, at)


async def sms_provider(scope: dict[str, Any], receive: Any, send: Any) -> None:
    """ASGI app: POST /messages accepts every message (200 with the provider's id)."""
    if scope["type"] != "http":
        return
    chunks = []
    more = True
    while more:
        event = await receive()
        chunks.append(event.get("body", b""))
        more = event.get("more_body", False)
    at = time.time()
    key = dict(scope["headers"]).get(b"idempotency-key", b"").decode()
    body = json.loads(b"".join(chunks))
    _note("sms", key, body.get("text", ""), at)
    answer = json.dumps({"id": f"sms-{key[:8]}"}).encode()
    await send(
        {
            "type": "http.response.start",
            "status": 200,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(answer)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": answer})


def _flush() -> None:
    if _buffer:
        line = RECEIPTS + json.dumps(_buffer, separators=(",", ":")) + "\n"
        _buffer.clear()
        sys.stdout.write(line)
        sys.stdout.flush()


async def _main() -> None:
    import uvicorn
    from aiosmtpd.smtp import SMTP

    parent = os.getppid()
    loop = asyncio.get_running_loop()
    smtp = await loop.create_server(
        lambda: SMTP(Mailbox(), hostname="bench-sink.local"),
        "127.0.0.1",
        int(os.environ[SMTP_PORT_ENV]),
    )
    config = uvicorn.Config(
        sms_provider,
        host="127.0.0.1",
        port=int(os.environ[SMS_PORT_ENV]),
        log_level="warning",
        access_log=False,
        lifespan="off",
    )
    http = uvicorn.Server(config)
    # _serve: serve() would take over SIGTERM/SIGINT, which this process handles itself.
    serving = asyncio.create_task(http._serve())
    while not http.started:  # noqa: ASYNC110 (uvicorn offers no event to wait on)
        await asyncio.sleep(0.01)
    stop = asyncio.Event()
    loop.add_signal_handler(signal.SIGTERM, stop.set)
    loop.add_signal_handler(signal.SIGINT, stop.set)
    print(READY, flush=True)
    while not stop.is_set():
        await asyncio.sleep(FLUSH_SECONDS)
        _flush()
        if os.getppid() != parent:  # the parent died: do not linger
            break
    _flush()
    http.should_exit = True
    await serving
    smtp.close()


if __name__ == "__main__":
    try:
        import uvloop

        uvloop.run(_main())
    except ImportError:
        asyncio.run(_main())
