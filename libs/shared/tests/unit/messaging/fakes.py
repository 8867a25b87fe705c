"""A unit of work for EventConsumer's unit tests: its inbox claim claims every event id
it is given (none seen before), and it counts the transactions the consumer opens."""

from __future__ import annotations

from typing import Any


class _Claimed:
    def __init__(self, ids: list[str]) -> None:
        self._ids = ids

    def first(self) -> tuple[str] | None:
        return (self._ids[0],) if self._ids else None

    def scalars(self) -> list[str]:
        return self._ids


class _Session:
    async def execute(self, _stmt: Any, params: dict[str, Any]) -> _Claimed:
        return _Claimed(params.get("event_ids") or [params["event_id"]])


class ClaimingUow:
    """Counts the transactions the consumer opens (each one claims the inbox)."""

    opened = 0

    def __init__(self) -> None:
        self.session = _Session()

    async def __aenter__(self) -> ClaimingUow:
        type(self).opened += 1
        return self

    async def __aexit__(self, *_: object) -> None:
        return None

    async def commit(self) -> None:
        return None
