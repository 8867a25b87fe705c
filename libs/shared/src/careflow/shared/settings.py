"""Settings fragments every service nests in its own `Settings` class.

A service declares `class Settings(ServiceSettings)` with
`model_config = service_config("WORKQUEUE_")`; nested fragments then read
`WORKQUEUE_DATABASE__URL`, `WORKQUEUE_BROKER__BOOTSTRAP_SERVERS` and so on.
The platform-wide `DATABASE_URL` / `KAFKA_BOOTSTRAP_SERVERS` are honoured as
fallbacks so one environment can point every service at external servers.
"""

from __future__ import annotations

import os
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy.engine import make_url


class DatabaseSettings(BaseModel):
    # A validation error would otherwise quote the URLs, passwords included.
    model_config = ConfigDict(hide_input_in_errors=True)

    # The service's own role: it reads and writes rows, it owns no table.
    url: SecretStr = SecretStr("")
    # The owner role that runs migrations and then grants the service role what it
    # needs: audit tables get SELECT and INSERT only, so the service cannot rewrite
    # its own audit trail (owners bypass grants, hence two roles). Empty: `url`
    # migrates too, one role as before, and audit rows are only as safe as that role.
    migration_url: SecretStr = SecretStr("")
    # Connections beyond pool_size are opened and closed per checkout (connect, SSL
    # negotiation, a server process started): under load that churn cost more than the
    # statements. 20 covers a service's usual concurrency; overflow is for bursts.
    pool_size: int = Field(default=20, ge=1)
    max_overflow: int = Field(default=10, ge=0)
    echo: bool = False
    migrate_on_start: bool = True
    # Off by default: asyncpg's pre-ping is three round trips (BEGIN, ";", ROLLBACK) on
    # every checkout, which doubled the round trips of a one-statement transaction. A
    # connection the server dropped fails its first statement instead; SQLAlchemy then
    # invalidates the whole pool, consumers and the relay retry, and an HTTP request
    # gets a 503 problem (nothing was acknowledged, so nothing is lost).
    pre_ping: bool = False

    @field_validator("url", "migration_url")
    @classmethod
    def _async_driver(cls, value: SecretStr) -> SecretStr:
        raw = value.get_secret_value()
        if raw.startswith(("postgresql://", "postgres://")):
            raw = "postgresql+asyncpg://" + raw.split("://", 1)[1]
        return SecretStr(raw)

    @model_validator(mode="after")
    def _service_role_is_not_the_owner(self) -> DatabaseSettings:
        if self.migration_url.get_secret_value():
            service, owner = self.service_role(), _user(self.migration_url)
            if not service:
                raise ValueError("database.url must name its user when migration_url is set")
            if service == owner:
                raise ValueError(
                    "database.url and database.migration_url use the same role: the owner "
                    "bypasses grants, so the service role must be another one"
                )
        return self

    def service_role(self) -> str | None:
        """The role `url` logs in as, which migrations grant to; None with one role."""
        if not self.migration_url.get_secret_value():
            return None
        return _user(self.url)

    def owner_url(self) -> str:
        """The URL migrations run with."""
        return self.migration_url.get_secret_value() or self.url.get_secret_value()


def _user(url: SecretStr) -> str | None:
    raw = url.get_secret_value()
    return make_url(raw).username if raw else None


class BrokerSettings(BaseModel):
    bootstrap_servers: str = "127.0.0.1:9092"
    client_id: str = "careflow"
    # Apache Kafka: on. Tansu does not implement InitProducerId, so the local
    # runtime turns it off; the outbox + inbox keep effects exactly-once anyway.
    idempotent_producer: bool = True
    create_topics: bool = True
    topic_replication_factor: int = Field(default=1, ge=1)
    request_timeout_ms: int = Field(default=40_000, ge=1_000)


class RelaySettings(BaseModel):
    enabled: bool = True
    batch_size: int = Field(default=500, ge=1, le=10_000)
    # Upper bound of the fallback poll when no NOTIFY arrives; the relay
    # wakes at once on NOTIFY, so this only bounds recovery from a lost one.
    idle_poll_seconds: float = Field(default=2.0, gt=0)
    # While commits keep coming, passes start at most this often, so that one pass
    # carries several commits; the first commit after a quiet spell goes at once.
    # A pass costs the service about the same CPU whatever it carries, so under load
    # one pass per commit takes CPU that requests need; pacing adds at most this
    # interval to an event's delay (what it changed: README, Performance).
    # 0 = no pacing.
    pass_interval_seconds: float = Field(default=0.010, ge=0, le=1)
    shards: int = Field(default=16, ge=1, le=1024)
    retry_initial_seconds: float = Field(default=0.2, gt=0)
    retry_max_seconds: float = Field(default=10.0, gt=0)
    retain_published_hours: float = Field(default=24.0, ge=0)


class ConsumerSettings(BaseModel):
    retry_initial_seconds: float = Field(default=0.2, gt=0)
    retry_max_seconds: float = Field(default=30.0, gt=0)
    # Partitions applied at the same time, each in its own transaction (and connection).
    max_workers: int = Field(default=6, ge=1)
    auto_offset_reset: str = "earliest"
    # How long the broker may hold a fetch with no data. Apache Kafka answers as
    # soon as data arrives; Tansu holds the fetch for the full wait, so this
    # bounds consume latency there (local runtime and CI).
    fetch_max_wait_ms: int = Field(default=50, ge=1, le=10_000)
    # Records per fetch and per transaction: bounds a batch's lock time and
    # the work a rolled-back batch repeats one by one.
    batch_max_records: int = Field(default=200, ge=1, le=5_000)
    # A member that misses heartbeats this long is dropped from its group. Tansu
    # also holds a joining member for about half of it, which bounds start-up.
    session_timeout_ms: int = Field(default=10_000, ge=1_000)
    heartbeat_interval_ms: int = Field(default=3_000, ge=100)

    @model_validator(mode="after")
    def _heartbeat_within_session(self) -> ConsumerSettings:
        if self.heartbeat_interval_ms * 3 > self.session_timeout_ms:
            raise ValueError("heartbeat_interval_ms must be at most a third of session_timeout_ms")
        return self


class RequestLimits(BaseModel):
    # Forms and messages are a few kilobytes; a megabyte leaves room for the
    # largest questionnaire and refuses a body meant to exhaust memory.
    max_body_bytes: int = Field(default=1024 * 1024, ge=1024)
    # Request bodies nest a few levels; a parser recurses once per level.
    max_json_depth: int = Field(default=32, ge=4, le=256)


class AdmissionLimits(BaseModel):
    """How much work a service process takes on at once (careflow.shared.http.admission)."""

    # Requests running at once; more only wait. Beyond the database pool (20 + 10)
    # extra requests only queue for a connection. 0 = no admission control.
    max_in_flight: int = Field(default=32, ge=0, le=10_000)
    # Requests that may wait for a slot, and for how long, before a 503. The wait
    # bounds the latency an admitted request can pick up in the queue.
    max_queued: int = Field(default=128, ge=0, le=100_000)
    # Why these values hold for the 1 s answer budget of the overload target: intake
    # spends about 3.5 ms of CPU per submission at 200/s (bench, 2026-12-04), so 32 in
    # flight on one event loop finish in about 0.1 s; 0.25 s of waiting on top leaves
    # the answer well within 1 s, and the 128 waiting are what about 0.25 s of work
    # drains. Kept as they were: no quiet-machine overload run has argued otherwise yet
    # (the bench's overload phase prints the figures to tune them from).
    queue_seconds: float = Field(default=0.25, ge=0, le=30)
    retry_after_seconds: int = Field(default=1, ge=1, le=3600)


class TelemetrySettings(BaseModel):
    otlp_endpoint: str | None = None
    log_level: str = "INFO"
    log_json: bool = True
    # Parent-based: a request without a sampled parent is traced with this probability,
    # and everything downstream (the outbox's traceparent, the consumers) follows its
    # decision, so a sampled trace is always whole. 0.1 in production: at hundreds of
    # submissions per second one in ten is plenty to see where time goes, metrics and
    # logs cover every request, and each recorded span is encoded and exported. Without
    # an exporter 0.1 and 1.0 cost the same CPU per submission (README, performance);
    # tests set 1.0 to read their spans.
    sample_ratio: float = Field(default=0.1, ge=0, le=1)


class AuthSettings(BaseModel):
    issuer: str = "https://auth.careflow.local"
    audience: str = "careflow"
    # PEM public keys by key id; or a file/JWKS path holding them.
    public_keys: dict[str, str] = Field(default_factory=dict)
    jwks_path: Path | None = None
    algorithms: list[str] = Field(default_factory=lambda: ["RS256", "ES256", "EdDSA"])
    leeway_seconds: int = Field(default=30, ge=0, le=300)
    # When set, tokens must name this service in `aud` (as well as or instead of
    # the platform audience): a token issued for one service then opens no other.
    service_audience: str | None = None
    # JOSE `typ` values accepted, compared case-insensitively: RFC 9068 access
    # tokens say "at+jwt"; "JWT" is what identity providers (and pyjwt) put by
    # default. An ID token or other JWT signed with the same key is refused.
    token_types: list[str] = Field(default_factory=lambda: ["at+jwt", "application/at+jwt", "JWT"])
    # A stolen access token is good until it expires: tokens issued for longer
    # (exp - iat) are refused. The local runtime's dev tokens raise it (12 h).
    max_lifetime_seconds: int = Field(default=3600, ge=60)

    @field_validator("algorithms")
    @classmethod
    def _asymmetric_only(cls, value: list[str]) -> list[str]:
        for alg in value:
            if alg.lower() == "none" or alg.upper().startswith("HS"):
                raise ValueError(f"algorithm {alg} is not allowed: only asymmetric algorithms")
        return value


def service_config(prefix: str) -> SettingsConfigDict:
    return SettingsConfigDict(
        env_prefix=prefix,
        env_nested_delimiter="__",
        extra="ignore",
        env_file=None,
        # A start-up error must not quote the database URLs (passwords) or keys.
        hide_input_in_errors=True,
    )


class ServiceSettings(BaseSettings):
    """Common settings; subclass per service with its own prefix."""

    model_config = service_config("CAREFLOW_")

    service_name: str = "careflow"
    environment: str = "local"
    http_host: str = "127.0.0.1"
    http_port: int = 8000
    database: DatabaseSettings = DatabaseSettings()
    broker: BrokerSettings = BrokerSettings()
    relay: RelaySettings = RelaySettings()
    consumer: ConsumerSettings = ConsumerSettings()
    telemetry: TelemetrySettings = TelemetrySettings()
    auth: AuthSettings = AuthSettings()
    request_limits: RequestLimits = RequestLimits()
    admission: AdmissionLimits = AdmissionLimits()

    @model_validator(mode="after")
    def _platform_fallbacks(self) -> ServiceSettings:
        if not self.database.url.get_secret_value() and os.environ.get("DATABASE_URL"):
            self.database = self.database.model_copy(
                update={"url": DatabaseSettings(url=os.environ["DATABASE_URL"]).url}
            )
        servers = os.environ.get("KAFKA_BOOTSTRAP_SERVERS")
        if servers and "bootstrap_servers" not in self.broker.model_fields_set:
            self.broker = self.broker.model_copy(update={"bootstrap_servers": servers})
        return self
