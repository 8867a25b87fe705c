"""Why a chat or channel rule refused a command; each is also one of messaging's generic
refusals, so the service's one status table maps it (404, 403, 409, 422)."""

from __future__ import annotations

from careflow.messaging.domain.errors import (
    DomainError,
    InvalidRequest,
    InvalidState,
    NotAllowed,
    NotFound,
)


class ChatRuleError(DomainError):
    """A chat or channel rule refused the command; nothing changed."""

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


class ChannelNotFound(ChatRuleError, NotFound):
    """No channel of the caller's organisation has this id (existence is not disclosed)."""


class ChatNotFound(ChatRuleError, NotFound):
    """No chat the caller may see has this id."""


class ChannelClosed(ChatRuleError, InvalidState):
    """The channel is closed (or not visible to residents): no new chat starts there."""


class NotPresent(ChatRuleError, NotAllowed):
    """The professional is not present in the chat's channel, so may not open or act on it."""


class ChatAlreadyTaken(ChatRuleError, InvalidState):
    """Another professional opened the chat first."""


class ChatNotAllowed(ChatRuleError, NotAllowed):
    """The caller may not do this (missing role, not the chat's party)."""


class ChatStateConflict(ChatRuleError, InvalidState):
    """The chat is not in a state that allows this (e.g. ended, not yet taken)."""


class InvalidChatRequest(ChatRuleError, InvalidRequest):
    """The command itself is not valid (bad hours, empty message, same channel)."""


class NoticeNotSeen(ChatRuleError, InvalidState):
    """The channel shows a congestion notice the resident has not confirmed seeing."""
