"""Fixtures of the unit tests."""

from __future__ import annotations

import pytest

from careflow.notification.adapters.telemetry import OtelDeliveryTelemetry
from careflow.notification.adapters.templates import JinjaRenderer
from careflow.notification.application.context import Notifier

from .builders import LINKS, NOW


@pytest.fixture
def renderer() -> JinjaRenderer:
    return JinjaRenderer()


@pytest.fixture
def notifier(renderer: JinjaRenderer) -> Notifier:
    # The real telemetry adapter: test_observability reads what it exports.
    return Notifier(
        renderer=renderer, links=LINKS, telemetry=OtelDeliveryTelemetry(), clock=lambda: NOW
    )
