"""The resource every span and metric carries: service and deployment environment."""

from __future__ import annotations

from careflow.shared.telemetry.setup import telemetry_resource


def test_the_resource_names_the_service_and_its_environment() -> None:
    attributes = telemetry_resource("intake", "prod").attributes
    assert attributes["service.name"] == "careflow-intake"
    assert attributes["service.namespace"] == "careflow"
    assert attributes["deployment.environment.name"] == "prod"


def test_no_environment_no_attribute() -> None:
    assert "deployment.environment.name" not in telemetry_resource("intake").attributes
