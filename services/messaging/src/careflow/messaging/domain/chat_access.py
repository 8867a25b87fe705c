"""Who may receive a chat's content (messages, last message, transcript) — the one rule.

A professional receives content only while present in the chat's current
channel, of the chat's organisation, and the one who opened it. Everyone else
of the organisation gets header fields (waiting since, language, channel,
state) at most; a transfer to another channel takes the content away from the
sender unless they are present there and open it again. A resident receives
the content of their own chats only.
"""

from __future__ import annotations

from collections.abc import Collection
from uuid import UUID

from careflow.messaging.domain.chats import Chat


def professional_sees_content(
    chat: Chat, *, professional_id: str, organisation_id: str, present_in: Collection[UUID]
) -> bool:
    """Whether this professional may receive the chat's content now."""
    return (
        chat.organisation_id == organisation_id
        and chat.channel_id in present_in
        and chat.taken_by == professional_id
    )


def professional_sees_header(chat: Chat, *, organisation_id: str) -> bool:
    """Header fields are the organisation's: any of its professionals may filter to them."""
    return chat.organisation_id == organisation_id


def resident_sees_content(chat: Chat, *, resident_id: UUID) -> bool:
    return chat.resident_id == resident_id
