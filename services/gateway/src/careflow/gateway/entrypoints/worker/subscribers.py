"""The gateway consumes no events: it has no consumers (the runtime starts none)."""

from __future__ import annotations

from careflow.gateway.bootstrap import Container
from careflow.shared.service.runtime import ConsumerFactory


def consumers(container: Container) -> ConsumerFactory | None:
    """None: nothing to subscribe to."""
    return None
