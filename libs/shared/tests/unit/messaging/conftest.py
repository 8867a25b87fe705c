from __future__ import annotations

from typing import Any

import pytest

from careflow.shared.messaging import consumer as consumer_module


@pytest.fixture
def no_driver_connection(monkeypatch: pytest.MonkeyPatch) -> None:
    """A fake session has no asyncpg connection under it: the claim takes the SQLAlchemy
    path, as it does for any session whose driver is not asyncpg."""

    async def none(*_args: Any, **_kwargs: Any) -> None:
        return None

    monkeypatch.setattr(consumer_module, "driver_connection", none)
