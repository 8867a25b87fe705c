"""docker-compose.yml runs the whole suite on Apache Kafka (KRaft) and PostgreSQL."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import yaml


def _service(compose: dict[str, Any], name: str) -> dict[str, Any]:
    assert name in compose["services"], f"{name} is not a compose service"
    return compose["services"][name]


def _env(definition: dict[str, Any]) -> dict[str, str]:
    env = definition.get("environment", {})
    if isinstance(env, list):
        env = dict(item.split("=", 1) for item in env)
    return {key: str(value) for key, value in env.items()}


def _published_ports(definition: dict[str, Any]) -> list[tuple[int, int]]:
    """(host port, container port) for each published port, short or long syntax."""
    ports = []
    for entry in definition.get("ports", []):
        if isinstance(entry, dict):
            if "published" in entry:
                ports.append((int(entry["published"]), int(entry["target"])))
            continue
        parts = str(entry).split("/")[0].split(":")
        if len(parts) >= 2:
            ports.append((int(parts[-2]), int(parts[-1])))
    return ports


def _depends_on(definition: dict[str, Any]) -> dict[str, str]:
    depends = definition.get("depends_on", {})
    if isinstance(depends, list):
        return dict.fromkeys(depends, "service_started")
    return {name: spec.get("condition", "service_started") for name, spec in depends.items()}


def test_services_are_the_runnable_distributions_under_services(
    repo: Path, services: tuple[str, ...]
) -> None:
    assert services, "no service found under services/"
    for service in services:
        assert (repo / "services" / service / "src/careflow" / service / "__main__.py").is_file()


def test_compose_builds_exactly_the_services_that_exist(
    compose: dict[str, Any], services: tuple[str, ...]
) -> None:
    # `topics` is a one-shot job run from a service's image, not a service.
    built = {
        name
        for name, definition in compose["services"].items()
        if "build" in definition and name != "topics"
    }
    assert built == set(services)


def test_prometheus_scrapes_exactly_the_services_that_exist(
    repo: Path, services: tuple[str, ...]
) -> None:
    config = yaml.safe_load((repo / "deploy/docker/prometheus.yml").read_text(encoding="utf-8"))
    targets = [
        target
        for job in config["scrape_configs"]
        for static in job["static_configs"]
        for target in static["targets"]
    ]
    assert sorted(targets) == sorted(f"{service}:8000" for service in services)


def test_service_is_built_from_the_repository_root(compose: dict[str, Any], service: str) -> None:
    build = _service(compose, service)["build"]
    assert build["context"] == "."
    assert build["target"] == service
    assert build["args"]["SERVICE"] == service
    assert _service(compose, service).get("pull_policy") == "build"


def test_service_has_a_liveness_healthcheck(compose: dict[str, Any], service: str) -> None:
    healthcheck = _service(compose, service).get("healthcheck", {})
    assert not healthcheck.get("disable", False)
    test = healthcheck.get("test")
    assert test, f"{service} has no healthcheck"
    assert "/healthz" in " ".join(test if isinstance(test, list) else [test])


def test_service_waits_for_database_broker_and_topics(
    compose: dict[str, Any], service: str
) -> None:
    depends = _depends_on(_service(compose, service))
    assert depends.get("postgres") == "service_healthy"
    assert depends.get("kafka") == "service_healthy"
    assert depends.get("topics") == "service_completed_successfully"


def test_no_two_containers_publish_the_same_host_port(compose: dict[str, Any]) -> None:
    owners: dict[int, str] = {}
    for name, definition in compose["services"].items():
        for host_port, _ in _published_ports(definition):
            assert host_port not in owners, f"{name} and {owners[host_port]} publish {host_port}"
            owners[host_port] = name
    assert len(owners) >= 3


def test_service_publishes_its_http_port_on_loopback(compose: dict[str, Any], service: str) -> None:
    definition = _service(compose, service)
    env = _env(definition)
    port = int(env[f"{service.upper()}_HTTP_PORT"])
    assert port == 8000
    assert [target for _, target in _published_ports(definition)] == [port]
    assert all(str(entry).startswith("127.0.0.1:") for entry in definition["ports"])


def test_service_settings_use_its_own_prefix(compose: dict[str, Any], service: str) -> None:
    env = _env(_service(compose, service))
    prefix = service.upper() + "_"
    assert env, f"{service} has no environment"
    assert all(key.startswith(prefix) for key in env), sorted(env)
    assert env[prefix + "HTTP_HOST"] == "0.0.0.0"
    assert env[prefix + "BROKER__BOOTSTRAP_SERVERS"] == "kafka:9092"
    assert env[prefix + "BROKER__IDEMPOTENT_PRODUCER"] == "true"
    assert env[prefix + "TELEMETRY__OTLP_ENDPOINT"].startswith("http://otel-collector:")
    # Keys by OpenID Connect discovery from Keycloak, no key file (test_keycloak_realm.py).
    assert env[prefix + "AUTH__ISSUER_URL"] == "http://keycloak:8080/realms/careflow"
    assert env[prefix + "AUTH__ISSUER"] == "http://127.0.0.1:8080/realms/careflow"
    assert prefix + "AUTH__JWKS_PATH" not in env


def test_service_reads_its_own_database_urls_from_its_own_secrets(
    compose: dict[str, Any], service: str
) -> None:
    # The URLs (passwords) are secrets; test_compose_env.py checks what they hold.
    definition = _service(compose, service)
    env = _env(definition)
    prefix = service.upper()
    assert env[f"{prefix}_DATABASE__URL_FILE"] == f"/run/secrets/{service}-database-url"
    assert (
        env[f"{prefix}_DATABASE__MIGRATION_URL_FILE"]
        == f"/run/secrets/{service}-database-migration-url"
    )
    assert {f"{service}-database-url", f"{service}-database-migration-url"} <= set(
        definition["secrets"]
    )
    # Another service's database secret is never mounted here.
    others = {
        name
        for name in compose["secrets"]
        if name.endswith(("-database-url", "-database-migration-url"))
        and not name.startswith(f"{service}-")
    }
    assert not others & set(definition["secrets"])


def test_postgres_creates_the_owner_and_service_roles(repo: Path) -> None:
    scripts = (repo / "deploy/docker/postgres/initdb.d").glob("*.sh")
    script = "\n".join(path.read_text() for path in scripts)
    assert 'CREATE DATABASE :"database" OWNER :"owner"' in script
    assert 'CREATE ROLE :"owner" LOGIN' in script
    assert 'CREATE ROLE :"database" LOGIN' in script


def test_postgres_creates_one_database_per_service(
    compose: dict[str, Any], repo: Path, services: tuple[str, ...]
) -> None:
    postgres = _service(compose, "postgres")
    assert postgres["image"].startswith("postgres:18")
    assert set(_env(postgres)["CAREFLOW_DATABASES"].split()) == set(services)
    init_mounts = [
        volume.split(":")[0]
        for volume in postgres["volumes"]
        if ":/docker-entrypoint-initdb.d" in volume
    ]
    assert len(init_mounts) == 1
    scripts = sorted((repo / init_mounts[0]).glob("*.sh"))
    assert scripts, "no init script"
    assert any("CAREFLOW_DATABASES" in script.read_text() for script in scripts)
    # PostgreSQL 18 images keep data under /var/lib/postgresql/18/docker.
    assert any(volume.endswith(":/var/lib/postgresql") for volume in postgres["volumes"])


def test_postgres_healthcheck_uses_pg_isready(compose: dict[str, Any]) -> None:
    test = _service(compose, "postgres")["healthcheck"]["test"]
    assert "pg_isready" in test
    assert "127.0.0.1" in test  # not ready while the init scripts still run


def test_kafka_runs_in_kraft_mode_with_a_healthcheck(compose: dict[str, Any]) -> None:
    kafka = _service(compose, "kafka")
    env = _env(kafka)
    assert kafka["image"].startswith("apache/kafka:")
    assert set(env["KAFKA_PROCESS_ROLES"].split(",")) == {"broker", "controller"}
    assert env["KAFKA_CONTROLLER_QUORUM_VOTERS"] == f"{env['KAFKA_NODE_ID']}@kafka:9093"
    assert "CONTROLLER" in env["KAFKA_CONTROLLER_LISTENER_NAMES"]
    assert env["CLUSTER_ID"]
    assert not any("ZOOKEEPER" in key for key in env)
    assert "PLAINTEXT://kafka:9092" in env["KAFKA_ADVERTISED_LISTENERS"]
    assert env["KAFKA_AUTO_CREATE_TOPICS_ENABLE"] == "false"
    assert "kafka-broker-api-versions" in " ".join(kafka["healthcheck"]["test"])


def test_topics_job_creates_registry_topics_before_services(compose: dict[str, Any]) -> None:
    topics = _service(compose, "topics")
    assert topics["command"] == ["python", "-m", "careflow.shared.messaging.topics_cli"]
    assert topics["build"]["target"] == topics["build"]["args"]["SERVICE"]
    assert topics["build"]["target"] in compose["services"]
    assert _depends_on(topics) == {"kafka": "service_healthy"}
    assert topics["restart"] == "no"
    assert topics["healthcheck"] == {"disable": True}
    assert _env(topics)["KAFKA_BOOTSTRAP_SERVERS"] == "kafka:9092"


def test_notification_has_an_smtp_sink(compose: dict[str, Any]) -> None:
    assert _service(compose, "mailpit")["image"].startswith("axllent/mailpit:")
    assert _depends_on(_service(compose, "notification"))["mailpit"] == "service_healthy"
    assert _env(_service(compose, "notification"))["NOTIFICATION_SMTP__HOST"] == "mailpit"


def test_notification_has_an_sms_sink(compose: dict[str, Any]) -> None:
    assert _depends_on(_service(compose, "notification"))["sms-sink"] == "service_healthy"
    url = urlsplit(_env(_service(compose, "notification"))["NOTIFICATION_SMS__PROVIDER_URL"])
    assert url.hostname == "sms-sink"
    assert "sms-sink" in compose["services"]


def test_mounted_config_files_exist(compose: dict[str, Any], repo: Path) -> None:
    checked = 0
    for name, definition in compose["services"].items():
        for volume in definition.get("volumes", []):
            source = volume["source"] if isinstance(volume, dict) else volume.split(":")[0]
            if source.startswith("./deploy/"):
                assert (repo / source).exists(), f"{name} mounts missing {source}"
                checked += 1
    assert checked >= 3


def test_images_name_no_registry_host(compose: dict[str, Any]) -> None:
    for name, definition in compose["services"].items():
        image = definition.get("image")
        if image is None:
            assert "build" in definition, f"{name} has neither image nor build"
            continue
        first = image.split("/")[0]
        assert "/" not in image or not ("." in first or ":" in first or first == "localhost"), (
            f"{name} names a registry host: {image}"
        )


def test_urls_point_only_at_compose_services(compose: dict[str, Any], repo: Path) -> None:
    text = (repo / "docker-compose.yml").read_text(encoding="utf-8")
    urls = re.findall(r"[a-z+]+://[^\s\"']+", text)
    assert urls
    for url in urls:
        host = urlsplit(url).hostname
        assert host in compose["services"] or host == "127.0.0.1", url


@pytest.mark.parametrize("config", ["otel-collector", "prometheus"])
def test_observability_services_exist(compose: dict[str, Any], config: str) -> None:
    assert _service(compose, config)["image"]
