"""Settings of the reminders service (environment prefix REMINDERS_)."""

from __future__ import annotations

from datetime import time, timedelta

from pydantic import BaseModel, Field, SecretStr, model_validator

from careflow.shared.settings import ServiceSettings, service_config

_DEV_KEY = "local-development-only-resident-id-key"


class SchedulerSettings(BaseModel):
    enabled: bool = True
    #: Sends claimed (and handed to the outbox) per transaction.
    batch_size: int = Field(default=200, ge=1, le=5000)
    #: Pause between passes when nothing was due: how late a send may be handed over.
    poll_seconds: float = Field(default=0.2, gt=0)


class Settings(ServiceSettings):
    """REMINDERS_DATABASE__URL, REMINDERS_SCHEDULER__POLL_SECONDS, ... (see shared settings)."""

    model_config = service_config("REMINDERS_")

    service_name: str = "reminders"
    http_port: int = 8005
    #: Consumer groups are `<consumer_group>.<topic>` (= the consuming service, per style.md).
    consumer_group: str = "reminders"
    #: The same key intake uses: token subject -> pseudonymous resident_id (HMAC).
    resident_id_key: SecretStr = SecretStr(_DEV_KEY)
    #: A send must be at least this far ahead when saved: time to send it.
    min_notice: timedelta = timedelta(minutes=5)
    #: Time of day (UTC) of a rule's sends on their day.
    rule_send_time: time = time(7, 0)
    scheduler: SchedulerSettings = SchedulerSettings()

    @model_validator(mode="after")
    def _real_secrets_outside_local(self) -> Settings:
        if (
            self.environment not in ("local", "test")
            and self.resident_id_key.get_secret_value() == _DEV_KEY
        ):
            raise ValueError("REMINDERS_RESIDENT_ID_KEY must be set outside local")
        return self
