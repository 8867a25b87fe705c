"""The routing table: which service a public path belongs to and which route rule holds.

Pure data and matching; the settings become these objects in `bootstrap`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

IDEMPOTENT = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE", "TRACE"})


@dataclass(frozen=True)
class Access:
    """Who may use a route at all; the service still checks the resource."""

    actor: str = "any"  # any | professional | resident | service | public
    roles: frozenset[str] = frozenset()
    strong: bool = False


@dataclass(frozen=True)
class RouteRule:
    path: str
    methods: frozenset[str] = frozenset()
    access: Access = Access()
    timeout: float | None = None

    def matches(self, method: str, path: str) -> bool:
        if self.methods and method not in self.methods:
            return False
        wanted = self.path.strip("/").split("/") if self.path != "/" else []
        given = path.strip("/").split("/")
        if len(given) < len(wanted):
            return False
        return all(w in ("*", g) for w, g in zip(wanted, given, strict=False))


@dataclass(frozen=True)
class Upstream:
    name: str
    base_url: str
    prefix: str
    timeout: float
    connect_timeout: float
    retries: int
    rules: tuple[RouteRule, ...] = ()
    openapi_path: str | None = "/openapi.json"
    audit_path: str | None = "/audit-records"
    max_connections: int = 100
    max_keepalive: int = 50

    def rule_for(self, method: str, path: str) -> RouteRule:
        """The first rule matching; none: any valid token, the service's timeout."""
        return next((r for r in self.rules if r.matches(method, path)), _DEFAULT)

    def read_timeout(self, rule: RouteRule) -> float:
        return rule.timeout if rule.timeout is not None else self.timeout


_DEFAULT = RouteRule("/")


@dataclass(frozen=True)
class Caller:
    """What a route check needs to know of a verified token."""

    actor: str
    roles: frozenset[str] = frozenset()
    strong: bool = False


@dataclass(frozen=True)
class Refusal:
    status: int  # 401 or 403
    detail: str


def check(access: Access, caller: Caller | None) -> Refusal | None:
    """Whether the caller may use a route; the words are the shared auth dependencies'."""
    if access.actor == "public":
        return None
    if caller is None:
        return Refusal(401, "A valid bearer access token is required.")
    if access.actor == "any":
        return None
    if caller.actor != access.actor:
        return Refusal(403, f"Only {access.actor}s may use this resource.")
    if access.roles and access.roles.isdisjoint(caller.roles):
        return Refusal(403, "A role this resource needs is missing.")
    if access.strong and not caller.strong:
        return Refusal(403, "This resource needs strong authentication.")
    return None


@dataclass
class RouteTable:
    """Public path -> (upstream, the path as the service sees it)."""

    upstreams: tuple[Upstream, ...]
    _by_prefix: dict[str, Upstream] = field(init=False)

    def __post_init__(self) -> None:
        self._by_prefix = {u.prefix: u for u in self.upstreams}

    @classmethod
    def of(cls, upstreams: Iterable[Upstream]) -> RouteTable:
        return cls(tuple(upstreams))

    def resolve(self, path: str) -> tuple[Upstream, str] | None:
        head, sep, rest = path[1:].partition("/")
        upstream = self._by_prefix.get("/" + head)
        if upstream is None:
            return None
        return upstream, "/" + rest if sep else "/"
