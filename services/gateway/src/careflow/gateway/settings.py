"""Settings of the gateway (environment prefix GATEWAY_).

The routing table is configuration: `GATEWAY_UPSTREAMS__<NAME>__BASE_URL=...` points
a service elsewhere, `GATEWAY_UPSTREAMS__<NAME>__ENABLED=false` drops one, and a new
service is one more entry (`GATEWAY_UPSTREAMS='{"billing": {"base_url": "..."}}'`).
What is given is laid over the defaults below field by field, so setting a base URL
keeps that service's route rules.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field, SecretStr, field_validator, model_validator

from careflow.shared.audit import AUDITOR_ROLES
from careflow.shared.settings import ServiceSettings, service_config

_DEV_KEY = "local-development-only-rate-limit-key"
Actor = Literal["any", "professional", "resident", "service", "public"]


class RouteRuleSettings(BaseModel):
    """A route-level check for requests whose path (as the service sees it) starts with
    `path` (whole segments; `*` stands for any one segment), first match wins."""

    path: str = Field(pattern=r"^/")
    #: Empty: every method.
    methods: list[str] = Field(default_factory=list)
    #: `any`: any valid token; `public`: no token needed (the service decides).
    actor: Actor = "any"
    #: At least one of these (professionals; empty: any role).
    roles: list[str] = Field(default_factory=list)
    #: Residents must have logged in strongly.
    strong: bool = False
    #: Overrides the service's read timeout for these routes.
    timeout_seconds: float | None = Field(default=None, gt=0)


class UpstreamSettings(BaseModel):
    """One service behind the gateway: where it is and how it is reached."""

    enabled: bool = True
    base_url: str
    #: Public path prefix; `/intake/forms` reaches intake's `/forms`. Default `/<name>`.
    prefix: str | None = Field(default=None, pattern=r"^/[a-z0-9][a-z0-9_-]*$")
    connect_timeout_seconds: float = Field(default=2.0, gt=0)
    #: Longest wait for the service's answer to start (and between two parts of it): then 504.
    timeout_seconds: float = Field(default=10.0, gt=0)
    #: Further attempts of an idempotent request whose connection failed before anything
    #: was sent (never after: a slow service is not made slower by asking it twice).
    retries: int = Field(default=2, ge=0, le=5)
    max_connections: int = Field(default=100, ge=1)
    max_keepalive_connections: int = Field(default=50, ge=0)
    openapi_path: str | None = "/openapi.json"
    #: The shared audit contract's `GET /audit-records`; None: the service keeps none.
    audit_path: str | None = "/audit-records"
    rules: list[RouteRuleSettings] = Field(default_factory=list)


_AUDIT = {"path": "/audit-records", "actor": "professional", "roles": sorted(AUDITOR_ROLES)}
_RESIDENT_ME = {"path": "/me", "actor": "resident"}


def _local(port: int, *rules: dict[str, Any]) -> dict[str, Any]:
    return {"base_url": f"http://127.0.0.1:{port}", "rules": [_AUDIT, *rules]}


#: `make run`'s ports (careflow.local.supervisor); deployments set the base URLs.
DEFAULT_UPSTREAMS: dict[str, dict[str, Any]] = {
    "intake": _local(8001, _RESIDENT_ME, {"path": "/cases", "actor": "professional"}),
    "workqueue": _local(8002, {"path": "/queue", "actor": "professional"}),
    "messaging": _local(8003, _RESIDENT_ME),
    "notification": _local(
        8004,
        _RESIDENT_ME,
        {"path": "/residents", "actor": "resident"},
        {"path": "/professional", "actor": "professional"},
    ),
    "reminders": _local(8005, _RESIDENT_ME),
    "complaints": _local(8006, _RESIDENT_ME),
}


class RateLimitSettings(BaseModel):
    """Requests per window, per token subject and per client address, across replicas."""

    enabled: bool = True
    window_seconds: int = Field(default=60, ge=1, le=3600)
    per_subject: int = Field(default=600, ge=1)
    per_address: int = Field(default=1200, ge=1)
    #: Keys are stored as keyed hashes: neither subjects nor addresses sit in the table.
    key_secret: SecretStr = SecretStr(_DEV_KEY)
    #: When the counter store does not answer in time the request goes through (the
    #: limit is protection, not correctness; an outage of it must not close the API).
    store_timeout_seconds: float = Field(default=0.25, gt=0)
    #: Connections of the counters' own pool (one statement per flush, ~0.2 ms each).
    store_connections: int = Field(default=10, ge=1, le=100)
    #: Counts admitted on a replica's local view go to the shared table in one
    #: statement at most this long after the first of them (application/limits.py).
    flush_interval_seconds: float = Field(default=0.005, gt=0, le=1)
    #: A key's local view (its counts as the table last answered) is used for this long;
    #: older, the request waits for the table's answer.
    view_fresh_seconds: float = Field(default=1.0, gt=0, le=60)
    #: Within max(this share of the limit, `local_margin_min` requests) of its limit a
    #: key is decided on the table's answer, exactly, not on the local view.
    local_margin: float = Field(default=0.1, ge=0, le=1)
    local_margin_min: int = Field(default=10, ge=1)


class CorsSettings(BaseModel):
    #: Browser origins allowed to call the API; empty: no CORS answers at all.
    allow_origins: list[str] = Field(default_factory=list)
    max_age_seconds: int = Field(default=600, ge=0)


class OpenApiSettings(BaseModel):
    #: The merged document is rebuilt this often (sooner while a service is missing).
    refresh_seconds: float = Field(default=300.0, gt=0)
    retry_seconds: float = Field(default=5.0, gt=0)
    fetch_timeout_seconds: float = Field(default=3.0, gt=0)


class Settings(ServiceSettings):
    """GATEWAY_UPSTREAMS__INTAKE__BASE_URL, GATEWAY_RATE_LIMIT__PER_SUBJECT, ..."""

    model_config = service_config("GATEWAY_")

    service_name: str = "gateway"
    http_port: int = 8000
    upstreams: dict[str, UpstreamSettings] = Field(default_factory=dict)
    rate_limit: RateLimitSettings = RateLimitSettings()
    cors: CorsSettings = CorsSettings()
    openapi: OpenApiSettings = OpenApiSettings()
    #: Longest a fanned-out audit query waits for each service.
    audit_timeout_seconds: float = Field(default=10.0, gt=0)

    @field_validator("upstreams", mode="before")
    @classmethod
    def _over_defaults(cls, value: Any) -> Any:
        given = {
            name: (v.model_dump(exclude_unset=True) if isinstance(v, BaseModel) else dict(v))
            for name, v in (value or {}).items()
        }
        merged = {name: dict(fields) for name, fields in DEFAULT_UPSTREAMS.items()}
        for name, fields in given.items():
            merged[name] = merged.get(name, {}) | fields
        return merged

    @model_validator(mode="after")
    def _checked(self) -> Settings:
        prefixes = [u.prefix or f"/{n}" for n, u in self.upstreams.items() if u.enabled]
        if len(set(prefixes)) != len(prefixes):
            raise ValueError("two upstreams share a path prefix")
        local = self.environment in ("local", "test")
        if not local and self.rate_limit.key_secret.get_secret_value() == _DEV_KEY:
            raise ValueError("GATEWAY_RATE_LIMIT__KEY_SECRET must be set outside local")
        return self
