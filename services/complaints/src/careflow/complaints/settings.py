"""Settings of the complaints service (environment prefix COMPLAINTS_)."""

from __future__ import annotations

from pydantic import BaseModel, Field, SecretStr, model_validator

from careflow.shared.settings import RequestLimits, ServiceSettings, service_config

_DEV_KEY = "local-development-only-resident-id-key"


class DeadlineSettings(BaseModel):
    """COMPLAINTS_DEADLINES__ANSWER_DAYS etc.: when an answer is due after submission."""

    answer_days: int = Field(default=28, ge=1, le=365)
    #: Residents under 18 (a guardian sending for their child) get an answer sooner.
    under_18_days: int = Field(default=14, ge=1, le=365)


class DirectorySettings(BaseModel):
    """The e-services directory (HSA-ids, activation, administrative region code).

    Empty `url` = no directory (`make run` without one: clinics cannot be added)."""

    url: str = ""
    timeout_seconds: float = Field(default=10.0, gt=0)
    #: HSA-ids per lookup request (imports and the region sync).
    batch_size: int = Field(default=1000, ge=1, le=10_000)
    #: The region sync re-reads every clinic this often; 0 = off.
    sync_seconds: float = Field(default=3600.0, ge=0)


class DeliverySettings(BaseModel):
    """Cases to clinics with their own case-handling system (the integration)."""

    enabled: bool = True
    timeout_seconds: float = Field(default=10.0, gt=0)
    #: Deliveries claimed per pass (each held locked while it is sent).
    batch_size: int = Field(default=20, ge=1, le=500)
    idle_poll_seconds: float = Field(default=1.0, gt=0)
    retry_initial_seconds: float = Field(default=2.0, gt=0)
    retry_max_seconds: float = Field(default=600.0, gt=0)


class Settings(ServiceSettings):
    """COMPLAINTS_DATABASE__URL, COMPLAINTS_DIRECTORY__URL, ... (see shared settings)."""

    model_config = service_config("COMPLAINTS_")

    service_name: str = "complaints"
    http_port: int = 8006
    consumer_group: str = "complaints"
    #: The same key intake uses: token subject -> pseudonymous resident_id (HMAC).
    resident_id_key: SecretStr = SecretStr(_DEV_KEY)
    #: How often the overdue-cases gauge is recounted.
    overdue_count_seconds: float = Field(default=60.0, gt=0)
    #: A clinic file of 100,000 HSA-ids is about 2.5 MB: more than the platform's 1 MiB.
    request_limits: RequestLimits = RequestLimits(max_body_bytes=8 * 1024 * 1024)
    deadlines: DeadlineSettings = DeadlineSettings()
    directory: DirectorySettings = DirectorySettings()
    delivery: DeliverySettings = DeliverySettings()

    @model_validator(mode="after")
    def _real_secrets_outside_local(self) -> Settings:
        local = self.environment in ("local", "test")
        if not local and self.resident_id_key.get_secret_value() == _DEV_KEY:
            raise ValueError("COMPLAINTS_RESIDENT_ID_KEY must be set outside local")
        return self
