"""Settings of the notification service (environment prefix NOTIFICATION_)."""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, Field, SecretStr, field_validator, model_validator

from careflow.shared.settings import ConsumerSettings, ServiceSettings, service_config

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
    #: Connections are reused: closed after this many messages or this long idle.
    max_messages_per_connection: int = Field(default=100, ge=1)
    max_idle_seconds: float = Field(default=30.0, gt=0)


class SmsSettings(BaseModel):
    """Empty provider_url = write messages to `sink_dir` (local development only)."""

    provider_url: str = ""
    token: SecretStr = SecretStr("")
    timeout_seconds: float = Field(default=10.0, gt=0)
    sink_dir: Path = Path("var/sms")


class SenderSettings(BaseModel):
    enabled: bool = True
    #: Provider limit per channel, per replica: never more messages than this in any
    #: one-second window at the SMTP relay / SMS provider; 0 = unlimited.
    email_per_second: float = Field(default=20.0, ge=0)
    sms_per_second: float = Field(default=10.0, ge=0)
    #: Sends in flight per channel (= SMTP connections kept open, at most). An SMTP
    #: transaction is several round trips, so a channel's throughput is bounded by the
    #: connections in use; 16 keeps email above its throughput target where 8 did not
    #: (README, Performance). Lower it for a relay that limits connections per client.
    email_concurrency: int = Field(default=16, ge=1, le=100)
    sms_concurrency: int = Field(default=16, ge=1, le=100)
    #: Deliveries claimed per transaction (each outcome then commits alone, so a crash
    #: repeats at most the messages whose outcome was being committed); 40 gave the
    #: lowest latency of the sizes compared (README, Performance).
    batch_size: int = Field(default=40, ge=1, le=500)
    #: How long claimed deliveries stay taken while their messages go out; a pass that
    #: died leaves them due again after this. Must exceed the SMTP and SMS timeouts, or
    #: a slow send could be taken and sent by another pass too.
    lease_seconds: float = Field(default=60.0, gt=0)
    #: Passes in flight per channel. 1: a second pass (one claiming while the other
    #: sends) mostly woke to find its rows claimed, then waited for the next wake-up or
    #: poll, which added latency and little throughput (README, Performance).
    workers: int = Field(default=1, ge=1, le=16)
    #: An idle sender looks for due deliveries at least this often (a NOTIFY wakes it sooner).
    idle_poll_seconds: float = Field(default=1.0, gt=0)
    retry_initial_seconds: float = Field(default=5.0, gt=0)
    retry_max_seconds: float = Field(default=600.0, gt=0)
    give_up_after_seconds: float = Field(default=24 * 3600.0, gt=0)
    #: A request for a resident with no contact data yet waits this long, then is suppressed.
    park_timeout_seconds: float = Field(default=24 * 3600.0, gt=0)
    park_check_seconds: float = Field(default=30.0, gt=0)


class NotificationConsumerSettings(ConsumerSettings):
    """The platform's consumer settings with two partition workers per topic, not six.

    Each worker applies a partition's whole fetched batch in one transaction, so more
    workers add little but hold database connections the senders need (pool 20
    >= 5 topics x 2 workers + 2 x 2 sender passes + the parking sweeper). A subclass,
    not a default instance, so that setting another NOTIFICATION_CONSUMER__* variable
    keeps this default.
    """

    max_workers: int = Field(default=2, ge=1)


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
    consumer: NotificationConsumerSettings = NotificationConsumerSettings()

    @field_validator("consumer", mode="before")
    @classmethod
    def _platform_consumer_settings(cls, value: object) -> object:
        # The platform's ConsumerSettings (tests, shared code): what it sets explicitly.
        if isinstance(value, ConsumerSettings) and not isinstance(
            value, NotificationConsumerSettings
        ):
            return value.model_dump(exclude_unset=True)
        return value

    @model_validator(mode="after")
    def _lease_outlasts_a_send(self) -> Settings:
        slowest = max(self.smtp.timeout_seconds, self.sms.timeout_seconds)
        if self.sender.lease_seconds <= slowest:
            raise ValueError(
                f"NOTIFICATION_SENDER__LEASE_SECONDS must exceed the slowest send timeout "
                f"({slowest:g} s): a send still running when its lease ends is sent twice"
            )
        return self

    @model_validator(mode="after")
    def _real_secrets_outside_local(self) -> Settings:
        if self.environment not in ("local", "test"):
            if self.resident_id_key.get_secret_value() == _DEV_KEY:
                raise ValueError("NOTIFICATION_RESIDENT_ID_KEY must be set outside local")
            if not self.sms.provider_url:
                raise ValueError("NOTIFICATION_SMS__PROVIDER_URL must be set outside local")
        return self
