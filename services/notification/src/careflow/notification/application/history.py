"""The resident's communication history: every notification, its deliveries and their steps."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from uuid import UUID

from careflow.notification.adapters.unit_of_work import NotificationUnitOfWork


async def communication_history(
    resident_id: UUID, uow_factory: Callable[[], NotificationUnitOfWork], limit: int = 100
) -> list[dict[str, Any]]:
    """Newest first; parked requests show with no deliveries yet. Addresses are never shown."""
    async with uow_factory() as uow:
        found = await uow.notifications.of_resident(resident_id, limit)
        ids = [n["notification_id"] for n in found]
        deliveries = await uow.deliveries.of_notifications(ids)
        steps = await uow.deliveries.steps_of([d["delivery_id"] for d in deliveries])
    by_delivery: dict[UUID, list[dict[str, Any]]] = {}
    for step in steps:
        by_delivery.setdefault(step["delivery_id"], []).append(step)
    by_notification: dict[UUID, list[dict[str, Any]]] = {}
    for delivery in deliveries:
        delivery["steps"] = by_delivery.get(delivery["delivery_id"], [])
        by_notification.setdefault(delivery["notification_id"], []).append(delivery)
    return [n | {"deliveries": by_notification.get(n["notification_id"], [])} for n in found]
