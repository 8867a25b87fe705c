"""Settings tuned for tests: quick retries and a quick group join on Tansu."""

from __future__ import annotations

from typing import Any

from careflow.shared.settings import ConsumerSettings


def quick_consumer(**overrides: Any) -> ConsumerSettings:
    """Retries in tens of milliseconds; Tansu lets a member join in ~2 s instead of 5."""
    values: dict[str, Any] = {
        "retry_initial_seconds": 0.05,
        "retry_max_seconds": 0.5,
        "session_timeout_ms": 3_000,
        "heartbeat_interval_ms": 1_000,
    }
    return ConsumerSettings(**(values | overrides))
