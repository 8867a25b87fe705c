"""The background loops of a messaging process (none for case messages: intake owns the
closing timer; chat timers join here)."""

from __future__ import annotations

from careflow.messaging.bootstrap import Container
from careflow.shared.service.runtime import BackgroundTask


def background(container: Container) -> list[BackgroundTask]:
    return []
