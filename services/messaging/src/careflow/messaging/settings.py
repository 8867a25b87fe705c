"""Settings of the messaging service (environment prefix MESSAGING_)."""

from __future__ import annotations

from pydantic import BaseModel, Field, SecretStr, model_validator

from careflow.messaging.chat_settings import ChatSettings
from careflow.shared.settings import GcSettings, ServiceSettings, service_config

_DEV_KEY = "local-development-only-resident-id-key"


class SendLimits(BaseModel):
    """MESSAGING_SEND_LIMITS__MESSAGES etc.: how much one sender may post.

    Counted over the messages stored, so every replica applies the same limit.
    """

    #: At most this many case messages per sender within `window_seconds`.
    messages: int = Field(default=20, ge=1)
    window_seconds: float = Field(default=60.0, gt=0)


class Settings(ServiceSettings):
    """MESSAGING_DATABASE__URL, MESSAGING_BROKER__BOOTSTRAP_SERVERS, ... (see shared settings)."""

    model_config = service_config("MESSAGING_")

    service_name: str = "messaging"
    http_port: int = 8003
    #: Consumer group on every topic messaging reads (= the service, per style.md).
    consumer_group: str = "messaging"
    #: The same key intake and notification use: token subject -> pseudonymous resident_id.
    resident_id_key: SecretStr = SecretStr(_DEV_KEY)
    send_limits: SendLimits = SendLimits()
    #: MESSAGING_CHAT__IDLE_SECONDS etc.: live chat timers, sockets, rate limit.
    chat: ChatSettings = ChatSettings()
    #: MESSAGING_GC__THRESHOLD0 etc.: young objects (a chat message's, a round trip's) get
    #: 10,000 allocations rather than 700 to die before promotion, so full collections
    #: (~80-175 ms with 1,000 sockets open) come far less often; young collections take
    #: 26-47 ms. Chat bench at 1,000 sockets, 200/s: p99 431 ms at 700, 9.1 ms at 10,000
    #: (README, "Performance").
    gc: GcSettings = GcSettings(threshold0=10_000)

    @model_validator(mode="after")
    def _real_secrets_outside_local(self) -> Settings:
        if (
            self.environment not in ("local", "test")
            and self.resident_id_key.get_secret_value() == _DEV_KEY
        ):
            raise ValueError("MESSAGING_RESIDENT_ID_KEY must be set outside local")
        return self
