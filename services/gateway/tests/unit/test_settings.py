"""The routing table is configuration laid over the defaults."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from careflow.gateway.bootstrap import upstream_of
from careflow.gateway.settings import Settings


def test_a_base_url_alone_keeps_the_service_rules_and_a_new_service_is_one_entry(monkeypatch):
    monkeypatch.setenv("GATEWAY_UPSTREAMS__INTAKE__BASE_URL", "http://intake:8000")
    monkeypatch.setenv("GATEWAY_UPSTREAMS__REMINDERS__ENABLED", "false")
    settings = Settings(upstreams={"billing": {"base_url": "http://billing:8000"}})
    intake = upstream_of("intake", settings.upstreams["intake"])
    assert intake.base_url == "http://intake:8000"
    assert intake.prefix == "/intake"
    assert intake.rule_for("GET", "/me/cases").access.actor == "resident"
    assert intake.rule_for("GET", "/audit-records").access.roles == {"admin", "auditor"}
    assert not settings.upstreams["reminders"].enabled
    assert upstream_of("billing", settings.upstreams["billing"]).prefix == "/billing"


def test_two_services_on_one_prefix_are_refused():
    with pytest.raises(ValidationError, match="share a path prefix"):
        Settings(upstreams={"billing": {"base_url": "http://b", "prefix": "/intake"}})


def test_the_development_key_is_refused_outside_local():
    with pytest.raises(ValidationError, match="KEY_SECRET"):
        Settings(environment="production", database={"url": "postgresql+asyncpg://gw@db/gw"})
