"""Intake's settings: INTAKE_* environment variables, platform fragments nested."""

from __future__ import annotations

from pydantic import BaseModel, Field, SecretStr, model_validator

from careflow.shared.settings import AdmissionLimits, GcSettings, ServiceSettings, service_config

_DEV_KEY = "local-development-only-resident-id-key"


class CloserSettings(BaseModel):
    """The 72-hour closer: closes cases whose closing proposal went unanswered."""

    #: Off where tests drive the closer by hand; every replica may run it (rows are skip-locked).
    enabled: bool = True
    #: A case closes at most this long after its deadline; an idle pass is one indexed query.
    poll_seconds: float = Field(default=30.0, gt=0)
    #: Cases closed in one transaction: their rows stay locked until it commits, so a
    #: batch is kept small enough that a resident answering meanwhile waits briefly.
    batch_size: int = Field(default=50, ge=1, le=1000)


class ParkingSettings(BaseModel):
    """Work-queue events about a case intake does not know: parked, then given up on."""

    #: How long a parked event waits for its case before it is dead-lettered with the
    #: reason (replayable with `careflow-dlq replay`). Intake creates every case
    #: before workqueue can hear of it, so a case still unknown after this is an
    #: event from another environment or a lost database, not a late arrival.
    timeout_seconds: float = Field(default=3600.0, gt=0)
    #: How late a case committed while its event was being parked gets that event, and
    #: how late past the timeout a dead letter goes out.
    sweep_seconds: float = Field(default=30.0, gt=0)
    #: Parked events handled in one transaction (their rows are locked until it commits).
    batch_size: int = Field(default=100, ge=1, le=1000)


class Settings(ServiceSettings):
    model_config = service_config("INTAKE_")

    service_name: str = "intake"
    http_port: int = 8001
    #: Key of the HMAC that turns a token subject into the pseudonymous resident_id.
    #: Every replica must share it; changing it orphans every resident's cases.
    resident_id_key: SecretStr = SecretStr(_DEV_KEY)
    #: Pre-information forms an anonymous (not strongly authenticated) resident may send.
    anonymous_pre_information_forms: list[str] = Field(
        default_factory=lambda: ["regular-checkup-general"]
    )
    closer: CloserSettings = CloserSettings()
    parking: ParkingSettings = ParkingSettings()
    #: 16 submissions at once, not the platform's 32: once a form took one statement,
    #: intake's loop finished more per second and its relay, on the same busy loop, fell
    #: behind, so 3x overload's accepted submission -> visible p99 reached 1,067 ms with
    #: 32; 801 and 898 ms with 24, 608 and 617 ms with 16, at the same sustained rate
    #: (596-625/s; README, issue 15's ninth round).
    admission: AdmissionLimits = AdmissionLimits(max_in_flight=16)
    #: INTAKE_GC__THRESHOLD0 etc.: a submission's young objects get 10,000 allocations,
    #: not 700, to die before promotion, as messaging's do. CPU per submission at 200/s,
    #: alternating with the default: -2 % and -7 % (README, issue 15's eleventh round).
    gc: GcSettings = GcSettings(threshold0=10_000)
    #: Kafka consumer group of intake's subscribers (one per service, shared by replicas).
    consumer_group: str = "intake"
    #: Off only for processes that serve HTTP alone (and in API-only tests).
    consumers_enabled: bool = True

    @model_validator(mode="after")
    def _real_key_outside_local(self) -> Settings:
        if self.environment not in ("local", "test") and (
            self.resident_id_key.get_secret_value() == _DEV_KEY
        ):
            raise ValueError("INTAKE_RESIDENT_ID_KEY must be set outside local development")
        return self
