from datetime import datetime
from uuid import UUID, uuid4

from careflow.messaging.domain.channels import Channel, Visibility
from careflow.messaging.domain.chat_presence import Presence
from careflow.messaging.domain.chats import Chat
from careflow.messaging.domain.opening_hours import OpeningHours

ORG = "org-1"
RES = UUID("00000000-0000-4000-8000-000000000001")
RES2 = UUID("00000000-0000-4000-8000-000000000002")
T0 = datetime.fromisoformat("2026-12-07T09:00:00+02:00")


def channel(
    *,
    visibility: Visibility = Visibility.RESIDENTS,
    is_open: bool = True,
    hours: OpeningHours | None = None,
    org: str = ORG,
) -> Channel:
    made = Channel.create(
        channel_id=uuid4(), organisation_id=org, name="Nurse chat", visibility=visibility,
        by="admin-1", now=T0, opening_hours=hours,
    )  # fmt: skip
    if hours is None:
        made.set_open(is_open, by="admin-1", now=T0)
    made.events.clear()
    return made


def present(ch: Channel, professional: str = "pro-1", *, is_present: bool = True) -> Presence:
    p = Presence(ch.channel_id, ch.organisation_id, professional)
    p.change(
        present=is_present, notify_email=False, notify_sound=True, email=None, language="fi", now=T0
    )
    p.events.clear()
    return p


def waiting_chat(ch: Channel, resident: UUID = RES) -> Chat:
    chat = Chat.start(
        chat_id=uuid4(), channel=ch, resident_id=resident, language="fi", case_id=None, now=T0
    )
    chat.events.clear()
    return chat
