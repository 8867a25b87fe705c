"""Which service a path goes to and which route check holds."""

from __future__ import annotations

from careflow.gateway.domain.routing import (
    Access,
    Caller,
    RouteRule,
    RouteTable,
    Upstream,
    check,
)

PROFESSIONAL = Access("professional")


def upstream(name: str, *rules: RouteRule) -> Upstream:
    return Upstream(name, f"http://{name}", f"/{name}", 10, 2, 2, rules)


def test_a_public_path_maps_to_its_service_without_the_prefix():
    table = RouteTable.of([upstream("intake"), upstream("workqueue")])
    assert table.resolve("/intake/me/cases") == (table.upstreams[0], "/me/cases")
    assert table.resolve("/workqueue/") == (table.upstreams[1], "/")
    assert table.resolve("/intakes/me") is None
    assert table.resolve("/audit-records") is None


def test_rules_match_whole_segments_wildcards_and_methods():
    rule = RouteRule("/queue/*/take", frozenset({"POST"}), PROFESSIONAL)
    assert rule.matches("POST", "/queue/abc/take")
    assert rule.matches("POST", "/queue/abc/take/more")
    assert not rule.matches("GET", "/queue/abc/take")
    assert not rule.matches("POST", "/queue/abc/taken")
    assert not RouteRule("/me").matches("GET", "/meet")


def test_the_first_matching_rule_wins_and_none_means_any_token():
    first = RouteRule("/me/special", access=Access("any"), timeout=30)
    service = upstream("intake", first, RouteRule("/me", access=Access("resident")))
    assert service.rule_for("GET", "/me/special/1") is first
    assert service.rule_for("GET", "/me/cases").access.actor == "resident"
    assert service.rule_for("GET", "/forms").access.actor == "any"
    assert service.read_timeout(first) == 30
    assert service.read_timeout(service.rule_for("GET", "/forms")) == 10


def test_checks_refuse_the_missing_token_the_wrong_actor_role_or_level():
    nurse = Caller("professional", frozenset({"nurse"}))
    assert check(Access("any"), None).status == 401  # type: ignore[union-attr]
    assert check(Access("public"), None) is None
    assert check(Access("resident"), nurse).status == 403  # type: ignore[union-attr]
    assert check(Access("professional", frozenset({"auditor"})), nurse).status == 403  # type: ignore[union-attr]
    assert check(Access("professional", frozenset({"nurse", "doctor"})), nurse) is None
    weak = Caller("resident", strong=False)
    assert check(Access("resident", strong=True), weak).status == 403  # type: ignore[union-attr]
    assert check(Access("resident"), weak) is None
