"""Why a chat or channel rule refused a command; the API maps each kind to a status once."""

from __future__ import annotations


class ChatRuleError(Exception):
    """A chat or channel rule refused the command; nothing changed."""

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


class ChannelNotFound(ChatRuleError):
    """No channel of the caller's organisation has this id (existence is not disclosed)."""


class ChatNotFound(ChatRuleError):
    """No chat the caller may see has this id."""


class ChannelClosed(ChatRuleError):
    """The channel is closed (or not visible to residents): no new chat starts there."""


class NotPresent(ChatRuleError):
    """The professional is not present in the chat's channel, so may not open or act on it."""


class ChatAlreadyTaken(ChatRuleError):
    """Another professional opened the chat first."""


class ChatNotAllowed(ChatRuleError):
    """The caller may not do this (missing role, not the chat's party)."""


class ChatStateConflict(ChatRuleError):
    """The chat is not in a state that allows this (e.g. ended, not yet taken)."""


class InvalidChatRequest(ChatRuleError):
    """The command itself is not valid (bad hours, empty message, same channel)."""
