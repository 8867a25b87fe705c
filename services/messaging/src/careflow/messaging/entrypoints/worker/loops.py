"""The background loops of a messaging process (none for case messages: intake owns the
closing timer); the chat half's listener and timers (chat_loops)."""

from __future__ import annotations

from careflow.messaging.bootstrap import Container
from careflow.messaging.entrypoints.worker.chat_loops import chat_background
from careflow.shared.service.runtime import BackgroundTask


def background(container: Container) -> list[BackgroundTask]:
    return chat_background(container)
