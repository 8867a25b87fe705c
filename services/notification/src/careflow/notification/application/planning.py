"""Consent rules + templates → one delivery per requested channel (queued or suppressed)."""

from __future__ import annotations

import uuid
from datetime import datetime

from careflow.notification.application.ports import Renderer
from careflow.notification.domain.consent import suppression_reason
from careflow.notification.domain.contacts import ResidentContact
from careflow.notification.domain.delivery import Delivery
from careflow.notification.domain.notification import NotificationRequest
from careflow.notification.domain.wording import deadline_text


def delivery_id(notification_id: uuid.UUID, channel: str) -> uuid.UUID:
    """Stable per (notification, channel): the idempotency key the provider sees."""
    return uuid.uuid5(notification_id, channel)


def plan(
    request: NotificationRequest,
    contact: ResidentContact | None,
    renderer: Renderer,
    *,
    now: datetime,
    default_time_zone: str,
    reason_override: str | None = None,
) -> list[Delivery]:
    """Decides channel by channel; a suppressed channel is kept with its reason."""
    deliveries = []
    for channel in request.channels:
        fields: dict[str, object] = {
            "delivery_id": delivery_id(request.notification_id, channel),
            "notification_id": request.notification_id,
            "resident_id": request.resident_id,
            "channel": channel,
            "created_at": now,
        }
        reason = reason_override or suppression_reason(contact, channel)
        if reason is not None or contact is None:
            deliveries.append(Delivery.suppressed(reason or "unknown_resident", **fields))
            continue
        deadline = None
        if request.deadline is not None:
            zone = contact.time_zone or default_time_zone
            deadline = deadline_text(request.deadline, zone, contact.language)
        text = renderer.render(
            request.purpose, contact.language, channel, link=request.link, deadline=deadline
        )
        deliveries.append(
            Delivery.queue(
                not_before=request.not_before, subject=text.subject, body=text.body, **fields
            )
        )
    return deliveries
