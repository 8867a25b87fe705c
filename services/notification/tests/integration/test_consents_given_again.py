"""Over the broker: a contact update while the service consents are withdrawn notifies
nobody; consents given again do."""

from __future__ import annotations

import uuid
from collections import Counter
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from careflow.contracts.base import ContractEvent
from careflow.contracts.residents import (
    ResidentContactDetailsChanged,
    ResidentContactUpdated,
    ServiceConsentsGiven,
    ServiceConsentsWithdrawn,
)
from careflow.notification.adapters.tables import deliveries
from careflow.testing.probe_service import wait_until

from .test_delivery import addresses, task


def consents(resident_id: uuid.UUID, at: datetime, *, hold: bool) -> ResidentContactUpdated:
    """What intake publishes after each change, stating whether the consents hold."""
    return ResidentContactUpdated(
        resident_id=resident_id,
        anonymous=False,
        email_notifications=True,
        sms_notifications=True,
        phone_contact_allowed=False,
        communication_language="en",
        has_email=True,
        has_phone=True,
        updated_at=at,
        service_consents=hold,
    )


async def test_a_withdrawn_residents_new_email_is_not_used_until_consents_are_given_again(
    service,
):
    old_mail, phone = addresses()
    new_mail, _ = addresses()
    resident_id = await service.resident(
        f"sub-{uuid.uuid4()}", language="en", email=old_mail, phone=phone
    )
    start = datetime.now(UTC)

    async def published(*events: ContractEvent) -> None:
        for event_id in await service.publish(*events):
            await service.wait_for_inbox(event_id)

    async def by_status() -> Counter[tuple[str, str, str | None]]:
        rows = await service.sql(select(deliveries).where(deliveries.c.resident_id == resident_id))
        return Counter((r.channel, r.status, r.reason) for r in rows)

    # Withdrawn, as intake publishes it; then the resident changes their email.
    await published(
        ServiceConsentsWithdrawn(resident_id=resident_id, withdrawn_at=start),
        consents(resident_id, start, hold=False),
    )
    changed = start + timedelta(seconds=1)
    await published(
        consents(resident_id, changed, hold=False),
        ResidentContactDetailsChanged(
            resident_id=resident_id,
            email=new_mail,
            phone=phone,
            communication_language="en",
            changed_at=changed,
        ),
    )
    await published(task(resident_id))
    assert await by_status() == {
        ("email", "suppressed", "service_consents_withdrawn"): 1,
        ("sms", "suppressed", "service_consents_withdrawn"): 1,
    }

    again = start + timedelta(seconds=2)
    await published(
        ServiceConsentsGiven(resident_id=resident_id, given_at=again),
        consents(resident_id, again, hold=True),
    )
    await published(task(resident_id))

    async def sent() -> bool:
        found = await by_status()
        return found[("email", "sent", None)] == found[("sms", "sent", None)] == 1

    await wait_until(sent, within=60)
    [message] = service.smtp.to(new_mail)
    assert "You have a new action instruction." in message.get_content()
    assert service.smtp.to(old_mail) == []
    assert len(service.sms.to(phone)) == 1
    # The notification suppressed while withdrawn stays so: it is never sent late.
    assert (await by_status())[("email", "suppressed", "service_consents_withdrawn")] == 1
