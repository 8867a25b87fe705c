"""Chat sockets on a lean ASGI path, beside FastAPI's middleware stack rather than through it.

An open WebSocket keeps every ASGI layer it entered suspended for as long as it is
open. Through FastAPI's stack that is the telemetry wrapper, the server-error, exception
telemetry and body-limit middlewares, the HTTP metrics, admission and request-edge
middlewares (all of which only pass a WebSocket on) and the exception middleware: about
a third of the ~290 objects the garbage collector tracks per open chat socket. With
1,000 sockets open those objects made most of what each full collection scanned, and the
170-250 ms pauses decided the chat round trip's p99 (services/messaging/README.md,
"Performance").

Here a WebSocket goes straight to the router, inside the exception middleware only (so
a WebSocket's validation error still closes it with 1008 as FastAPI's handler does).
What it skips, on purpose: a server span per socket (a span as long as the connection
says nothing; the socket's use cases are traced as before). HTTP requests take the whole
stack as before.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from starlette.middleware.exceptions import ExceptionMiddleware
from starlette.types import ASGIApp, Receive, Scope, Send


class LeanSocketsApp(FastAPI):
    """FastAPI whose WebSockets skip the HTTP middleware stack (module docstring)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._socket_stack: ASGIApp | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "websocket":
            await super().__call__(scope, receive, send)
            return
        if self._socket_stack is None:
            # Built on first use, after every route and exception handler is installed.
            handlers = {
                k: v for k, v in self.exception_handlers.items() if k not in (500, Exception)
            }
            self._socket_stack = ExceptionMiddleware(self.router, handlers=handlers)
        if self.root_path:
            scope["root_path"] = self.root_path
        scope["app"] = self
        await self._socket_stack(scope, receive, send)
