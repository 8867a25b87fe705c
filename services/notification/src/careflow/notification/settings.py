"""Settings of the notification service (environment prefix NOTIFICATION_)."""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, Field, SecretStr, model_validator

from careflow.shared.settings import ServiceSettings, service_config

_DEV_KEY = "local-development-only-resident-id-key"


class SmtpSettings(BaseModel):
    """NOTIFICATION_SMTP__HOST etc.; defaults reach `make run`'s SMTP sink."""

    host: str = "127.0.0.1"
    port: int = 1025
    sender: str = "CareFlow <no-reply@careflow.local>"
    timeout_seconds: float = Field(default=15.0, gt=0)
    start_tls: bool = False
    use_tls: bool = False
    username: str | None = None
    password: SecretStr | None = None


class SmsSettings(BaseModel):
    """Empty provider_url = write messages to `sink_dir` (local development only)."""

    provider_url: str = ""
    token: SecretStr = SecretStr("")
    timeout_seconds: float = Field(default=10.0, gt=0)
    sink_dir: Path = Path("var/sms")


class SenderSettings(BaseModel):
    enabled: bool = True
    #: Messages per second per channel (provider and relay limits); 0 = unlimited.
    email_per_second: float = Field(default=20.0, ge=0)
    sms_per_second: float = Field(default=10.0, ge=0)
    idle_poll_seconds: float = Field(default=1.0, gt=0)
    retry_initial_seconds: float = Field(default=5.0, gt=0)
    retry_max_seconds: float = Field(default=600.0, gt=0)
    give_up_after_seconds: float = Field(default=24 * 3600.0, gt=0)
    #: A request for a resident with no contact data yet waits this long, then is suppressed.
    park_timeout_seconds: float = Field(default=24 * 3600.0, gt=0)
    park_check_seconds: float = Field(default=30.0, gt=0)


class Settings(ServiceSettings):
    """NOTIFICATION_DATABASE__URL, NOTIFICATION_SMTP__HOST, ... (see shared settings)."""

    model_config = service_config("NOTIFICATION_")

    service_name: str = "notification"
    http_port: int = 8004
    #: Consumer group on every topic notification reads (= the service, per style.md).
    consumer_group: str = "notification"
    #: The same key intake uses: token subject → pseudonymous resident_id (HMAC).
    resident_id_key: SecretStr = SecretStr(_DEV_KEY)
    #: Links in residents' notifications lead here (login first); professionals' to the desktop.
    resident_link_base_url: str = "https://careflow.local"
    professional_link_base_url: str = "https://desktop.careflow.local"
    #: Time zone of dates in notifications when the resident's is not known.
    default_time_zone: str = "Europe/Helsinki"
    smtp: SmtpSettings = SmtpSettings()
    sms: SmsSettings = SmsSettings()
    sender: SenderSettings = SenderSettings()

    @model_validator(mode="after")
    def _real_secrets_outside_local(self) -> Settings:
        if self.environment not in ("local", "test"):
            if self.resident_id_key.get_secret_value() == _DEV_KEY:
                raise ValueError("NOTIFICATION_RESIDENT_ID_KEY must be set outside local")
            if not self.sms.provider_url:
                raise ValueError("NOTIFICATION_SMS__PROVIDER_URL must be set outside local")
        return self
