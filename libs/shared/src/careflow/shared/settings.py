"""Settings fragments every service nests in its own `Settings` class.

A service declares `class Settings(ServiceSettings)` with
`model_config = service_config("WORKQUEUE_")`; nested fragments then read
`WORKQUEUE_DATABASE__URL`, `WORKQUEUE_BROKER__BOOTSTRAP_SERVERS` and so on.
The platform-wide `DATABASE_URL` / `KAFKA_BOOTSTRAP_SERVERS` are honoured as
fallbacks so one environment can point every service at external servers.

Secrets may come from files: `<PREFIX><NAME>_FILE=/run/secrets/x` sets `<NAME>`
to the file's content (the Docker/Compose secrets convention), e.g.
`INTAKE_DATABASE__URL_FILE`. Outside the local and test environments a service
refuses to start with a setting missing or left at its development default, and
a process started from a service image (CAREFLOW_SERVICE is set there) refuses to
start without an explicit environment: it fails closed instead of running with
the local defaults.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator, model_validator
from pydantic_settings import (
    BaseSettings,
    EnvSettingsSource,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    SettingsError,
)
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
    # negotiation, a server process started, asyncpg's type set-up, every prepared
    # statement prepared again): under load that churn cost more than the statements.
    # The pool opens connections only as concurrency asks and keeps up to pool_size,
    # so pool_size must cover what the process runs at once: the requests admission
    # lets in (admission.max_in_flight, 32) plus its own users (relay, consumer workers,
    # background loops). At 20 a burst past 20 requests opened and closed a connection
    # per request: the complaints bench saw 17 opened within 0.4 s, requests in flight
    # 14 -> 37, answers up to 1 s and 503s, at 100/s and 230/s (service README).
    pool_size: int = Field(default=40, ge=1)
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
    # The password is a secret: a validation error must not quote it.
    model_config = ConfigDict(hide_input_in_errors=True)

    bootstrap_servers: str = "127.0.0.1:9092"
    client_id: str = "careflow"
    # PLAINTEXT for `make run` and Compose; SASL_SSL in Kubernetes, where Strimzi's
    # listener authenticates each service's KafkaUser (SCRAM) and the topic ACLs
    # generated from the contracts registry apply to it.
    security_protocol: Literal["PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"] = "PLAINTEXT"
    # SCRAM only: the password never crosses the wire, unlike PLAIN.
    sasl_mechanism: Literal["SCRAM-SHA-512", "SCRAM-SHA-256"] = "SCRAM-SHA-512"
    username: str | None = None
    password: SecretStr | None = None
    # CA bundle (PEM) that signed the brokers' certificates; None = the system's CAs.
    ssl_cafile: Path | None = None
    # Apache Kafka: on. Tansu does not implement InitProducerId, so the local
    # runtime turns it off; the outbox + inbox keep effects exactly-once anyway.
    idempotent_producer: bool = True
    create_topics: bool = True
    topic_replication_factor: int = Field(default=1, ge=1)
    request_timeout_ms: int = Field(default=40_000, ge=1_000)

    @model_validator(mode="after")
    def _credentials_for_sasl(self) -> BrokerSettings:
        if self.security_protocol.startswith("SASL_") and not (
            self.username and self.password and self.password.get_secret_value()
        ):
            raise ValueError(
                f"broker.username and broker.password are required with {self.security_protocol}"
            )
        if self.ssl_cafile is not None and not self.uses_tls():
            raise ValueError("broker.ssl_cafile is set but security_protocol uses no TLS")
        return self

    def uses_tls(self) -> bool:
        return self.security_protocol in ("SSL", "SASL_SSL")

    def uses_sasl(self) -> bool:
        return self.security_protocol.startswith("SASL_")


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
    # interval to an event's delay (what it changed: README, Performance). 25 ms, not
    # 10: at 200 submissions/s the case flow's p99 was 136 and 141 ms against 127-278 ms,
    # and the machine's CPU per submission 8.4-8.5 against 8.7-9.2 ms (2026-12-04).
    # 0 = no pacing.
    pass_interval_seconds: float = Field(default=0.025, ge=0, le=1)
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
    # The same for a topic whose events no one waits on within a second (bookings,
    # messages, chats and names as intake and workqueue see them): every member fetches
    # afresh after each wait, and a member of a quiet topic at 50 ms cost as much CPU
    # (fetch requests encoded and read, 20 a second) as the events of the busy one.
    # A consumer takes it with `quiet()`. Its events may arrive this much later on Tansu.
    quiet_fetch_max_wait_ms: int = Field(default=500, ge=1, le=10_000)
    # Records per fetch and per transaction: bounds a batch's lock time and
    # the work a rolled-back batch repeats one by one.
    batch_max_records: int = Field(default=200, ge=1, le=5_000)
    # A member that misses heartbeats this long is dropped from its group. Tansu
    # also holds a joining member for about half of it, which bounds start-up.
    session_timeout_ms: int = Field(default=10_000, ge=1_000)
    heartbeat_interval_ms: int = Field(default=3_000, ge=100)

    def quiet(self) -> ConsumerSettings:
        """These settings for a consumer of a quiet topic (quiet_fetch_max_wait_ms)."""
        return self.model_copy(update={"fetch_max_wait_ms": self.quiet_fetch_max_wait_ms})

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

    # Requests running at once; more only wait. Kept within database.pool_size (40),
    # whose connections stay open: beyond it every request would open and close one
    # (ServiceRuntime warns at start when it does not fit). 0 = no admission control.
    max_in_flight: int = Field(default=32, ge=0, le=10_000)
    # Requests that may wait for a slot, and for how long, before a 503. The wait
    # bounds the latency an admitted request can pick up in the queue.
    max_queued: int = Field(default=128, ge=0, le=100_000)
    # Why these values hold for the 1 s budget of the overload target (accepted
    # submission -> visible p99): 32 in flight on one event loop finish in about 0.1 s,
    # and the wait on top bounds the rest. With intake taking more per second (README,
    # issue 15's sixth round) a 0.25 s wait let the accepted p99 reach 990-1,073 ms,
    # since the relay and the consumer after the answer wait on busy loops too; 0.15 s
    # gave 850 ms, with as many accepted (13,781 against 13,051-13,445 in the burst) and
    # the same sustained rate (536/s). Once the relay woke in process (README, issue
    # 15's seventh round) intake took more again and 0.15 s gave 958-983 ms; 0.1 s gave
    # 863 ms in the one run measured, with as many accepted in the burst (13,297).
    queue_seconds: float = Field(default=0.1, ge=0, le=30)
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
    # An event-loop stall or GC pause this long is logged with its size
    # (careflow.shared.service.stalls); shorter ones only reach the histograms.
    stall_report_seconds: float = Field(default=0.1, gt=0, le=10)


class GcSettings(BaseModel):
    """<PREFIX>GC__THRESHOLD0 etc.: the cyclic garbage collector of a service process.

    Applied once after start-up, with the freeze of the start-up objects
    (careflow.shared.service.gc_tuning); test processes keep the interpreter's. The
    defaults are CPython's (700/10/10). A larger `threshold0` lets short-lived objects
    (a request's, a message's) die before they are promoted, so fewer reach the oldest
    generation and its full collections (which scan every tracked object, and pause the
    whole process for as long) come less often; a young collection then scans more at
    once. Raise it only with a measurement (messaging: README, "Performance").
    """

    threshold0: int = Field(default=700, ge=1, le=1_000_000)
    threshold1: int = Field(default=10, ge=1, le=1_000)
    threshold2: int = Field(default=10, ge=1, le=1_000)


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
    # OpenID Connect: where the issuer's discovery document is read
    # (`<issuer_url>/.well-known/openid-configuration`, whose `issuer` must equal
    # `issuer` above) and, through its `jwks_uri`, the signing keys. The static
    # keys above are used beside them. A different URL from `issuer` lets a
    # service reach the provider by an internal address while tokens name the
    # public one (Keycloak's backchannel).
    issuer_url: str | None = None
    # Keys are fetched again this often, so retired keys stop verifying and new
    # ones are known before the first token signed with them arrives.
    jwks_refresh_seconds: float = Field(default=300.0, ge=1.0)
    # A token whose kid is unknown makes a fetch at once, but at most once per
    # this many seconds: tokens with made-up kids must not turn every request
    # into a call to the identity provider.
    jwks_min_refetch_seconds: float = Field(default=30.0, ge=0.0)
    # Per discovery or JWKS request; a request whose kid is unknown waits this long at most.
    jwks_timeout_seconds: float = Field(default=5.0, gt=0.0, le=60.0)

    @field_validator("algorithms")
    @classmethod
    def _asymmetric_only(cls, value: list[str]) -> list[str]:
        for alg in value:
            if alg.lower() == "none" or alg.upper().startswith("HS"):
                raise ValueError(f"algorithm {alg} is not allowed: only asymmetric algorithms")
        return value

    @field_validator("issuer_url")
    @classmethod
    def _http_url(cls, value: str | None) -> str | None:
        if not value:
            return None
        if not value.startswith(("https://", "http://")):
            raise ValueError("issuer_url must be an http(s) URL")
        return value.rstrip("/")


def service_config(prefix: str) -> SettingsConfigDict:
    return SettingsConfigDict(
        env_prefix=prefix,
        env_nested_delimiter="__",
        extra="ignore",
        env_file=None,
        # A start-up error must not quote the database URLs (passwords) or keys.
        hide_input_in_errors=True,
    )


#: Environments that may run with development defaults (dev keys, no database URL).
DEVELOPMENT_ENVIRONMENTS = frozenset({"local", "test"})
#: Set by the service image (deploy/docker/service.Dockerfile): this process is deployed.
IMAGE_MARKER = "CAREFLOW_SERVICE"
_FILE_SUFFIX = "_file"


class FileEnvSettingsSource(EnvSettingsSource):
    """`<PREFIX><NAME>_FILE=path`: `<NAME>` is read from that file (Docker secrets).

    Compose mounts secrets as files under /run/secrets and Kubernetes can mount a
    Secret's keys the same way; the value then never sits in the process
    environment, where `docker inspect` and crash reports would show it.
    """

    def _load_env_vars(self) -> Mapping[str, str | None]:
        plain = super()._load_env_vars()
        prefix = self.env_prefix if self.case_sensitive else self.env_prefix.lower()
        suffix = _FILE_SUFFIX if not self.case_sensitive else _FILE_SUFFIX.upper()
        values: dict[str, str | None] = {}
        for name, path in plain.items():
            if not (name.startswith(prefix) and name.endswith(suffix)) or path is None:
                continue
            if name[len(prefix) :].lower() in self.settings_cls.model_fields:
                continue  # a setting that is itself named ..._file
            target = name[: -len(suffix)]
            if target in plain:
                raise SettingsError(f"{target.upper()} and {name.upper()} are both set: use one")
            try:
                content = Path(path).read_text(encoding="utf-8")
            except OSError as exc:
                # The path is no secret; the content would be.
                raise SettingsError(
                    f"{name.upper()}: cannot read {path} ({exc.strerror})"
                ) from None
            # Editors and `echo` add a final newline that is no part of the secret.
            values[target] = content.rstrip("\r\n")
        return values


def _sources(
    settings_cls: type[BaseSettings],
    init_settings: PydanticBaseSettingsSource,
    env_settings: PydanticBaseSettingsSource,
    dotenv_settings: PydanticBaseSettingsSource,
) -> tuple[PydanticBaseSettingsSource, ...]:
    # Values, then <NAME>_FILE secrets; pydantic's own secrets_dir is not used.
    return (init_settings, env_settings, FileEnvSettingsSource(settings_cls), dotenv_settings)


def _refuse_to_fall_back(
    settings: BaseSettings, environment: str, database: DatabaseSettings
) -> None:
    prefix = str(settings.model_config.get("env_prefix", "")).upper()
    if os.environ.get(IMAGE_MARKER) and "environment" not in settings.model_fields_set:
        raise ValueError(
            f"{prefix}ENVIRONMENT is not set: a deployed image does not fall back "
            "to the local development defaults"
        )
    if environment not in DEVELOPMENT_ENVIRONMENTS and not (
        database.url.get_secret_value() or os.environ.get("DATABASE_URL")
    ):
        raise ValueError(f"{prefix}DATABASE__URL must be set outside local development")


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
    gc: GcSettings = GcSettings()
    auth: AuthSettings = AuthSettings()
    request_limits: RequestLimits = RequestLimits()
    admission: AdmissionLimits = AdmissionLimits()

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return _sources(settings_cls, init_settings, env_settings, dotenv_settings)

    def is_development(self) -> bool:
        return self.environment in DEVELOPMENT_ENVIRONMENTS

    @model_validator(mode="after")
    def _fail_closed(self) -> ServiceSettings:
        _refuse_to_fall_back(self, self.environment, self.database)
        return self

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


class MigrationSettings(BaseSettings):
    """What `python -m careflow.<service> migrate` reads: the service's environment and
    database settings and nothing else, so a migration Job holds the two database URLs
    and no other secret (keys, broker or SMTP credentials)."""

    model_config = service_config("CAREFLOW_")

    environment: str = "local"
    database: DatabaseSettings = DatabaseSettings()

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return _sources(settings_cls, init_settings, env_settings, dotenv_settings)

    @model_validator(mode="after")
    def _fail_closed(self) -> MigrationSettings:
        _refuse_to_fall_back(self, self.environment, self.database)
        return self


def migration_settings(prefix: str) -> MigrationSettings:
    """MigrationSettings read with a service's prefix (e.g. "INTAKE_")."""
    scoped = type(
        f"{prefix.strip('_').title()}MigrationSettings",
        (MigrationSettings,),
        {"model_config": service_config(prefix), "__module__": __name__},
    )
    return scoped()


class PlatformSettings(BaseSettings):
    """CAREFLOW_BROKER__* (and CAREFLOW_BROKER__PASSWORD_FILE): the broker settings of the
    platform's own commands, the topics job and `careflow-dlq`, so that they connect
    with TLS and SASL where the services do."""

    model_config = service_config("CAREFLOW_")

    broker: BrokerSettings = BrokerSettings()

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return _sources(settings_cls, init_settings, env_settings, dotenv_settings)


def platform_broker_settings(*, default_bootstrap: str, **overrides: object) -> BrokerSettings:
    """The platform commands' broker: KAFKA_BOOTSTRAP_SERVERS wins over
    CAREFLOW_BROKER__BOOTSTRAP_SERVERS, then `default_bootstrap`; `overrides` last."""
    broker = PlatformSettings().broker
    servers = os.environ.get("KAFKA_BOOTSTRAP_SERVERS") or (
        broker.bootstrap_servers
        if "bootstrap_servers" in broker.model_fields_set
        else default_bootstrap
    )
    # Validated again: an override must not slip past the SASL and TLS checks.
    return BrokerSettings.model_validate(
        {**broker.model_dump(exclude_unset=True), "bootstrap_servers": servers, **overrides}
    )
