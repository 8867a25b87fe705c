"""Fixtures of the unit tests."""

from __future__ import annotations

import pytest

from careflow.notification.adapters.templates import JinjaRenderer
from careflow.notification.application.context import Notifier

from .builders import LINKS, NOW


@pytest.fixture
def renderer() -> JinjaRenderer:
    return JinjaRenderer()


@pytest.fixture
def notifier(renderer: JinjaRenderer) -> Notifier:
    return Notifier(renderer=renderer, links=LINKS, clock=lambda: NOW)
