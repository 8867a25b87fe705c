"""base/network-policies.yaml: deny by default, then exactly the paths each service needs."""

from __future__ import annotations

from pathlib import Path
from types import ModuleType, SimpleNamespace
from typing import Any
from urllib.parse import urlsplit

import pytest
import yaml

K8S = Path(__file__).resolve().parents[2] / "deploy" / "k8s"
CHECKED_IN = K8S / "base" / "network-policies.yaml"
# The identity provider's HTTP and HTTPS ports (discovery and signing keys) included.
IDENTITY_PORTS = {("TCP", 8080), ("TCP", 8443)}
PLATFORM_EGRESS = {
    ("UDP", 53),
    ("TCP", 53),
    ("TCP", 5432),
    ("TCP", 9093),
    ("TCP", 4318),
} | IDENTITY_PORTS


@pytest.fixture(scope="module")
def generate_policies(helpers: SimpleNamespace) -> ModuleType:
    return helpers.load_script(K8S / "generate_policies.py")


@pytest.fixture(scope="module")
def policies() -> dict[str, dict[str, Any]]:
    docs = [doc for doc in yaml.safe_load_all(CHECKED_IN.read_text(encoding="utf-8")) if doc]
    assert all(doc["kind"] == "NetworkPolicy" for doc in docs)
    return {doc["metadata"]["name"]: doc for doc in docs}


def _ports(rules: list[dict[str, Any]]) -> set[tuple[str, int]]:
    return {(port["protocol"], port["port"]) for rule in rules for port in rule["ports"]}


def test_checked_in_file_is_what_the_generator_renders_now(
    generate_policies: ModuleType, services: tuple[str, ...]
) -> None:
    assert CHECKED_IN.read_text(encoding="utf-8") == generate_policies.render(services), (
        "stale: run .venv/bin/python deploy/k8s/generate_policies.py"
    )


def test_everything_is_denied_unless_a_policy_admits_it(
    policies: dict[str, dict[str, Any]],
) -> None:
    deny = policies["default-deny"]["spec"]
    assert deny == {"podSelector": {}, "policyTypes": ["Ingress"]}
    careflow = policies["careflow-default-deny"]["spec"]
    assert set(careflow["policyTypes"]) == {"Ingress", "Egress"}
    assert "ingress" not in careflow
    assert "egress" not in careflow
    (expression,) = careflow["podSelector"]["matchExpressions"]
    assert expression["key"] == "app.kubernetes.io/component"
    assert set(expression["values"]) == {"service", "migration"}


def test_the_service_accepts_http_only_from_ingress_gateway_and_prometheus(
    service: str, policies: dict[str, dict[str, Any]]
) -> None:
    spec = policies[service]["spec"]
    assert spec["podSelector"]["matchLabels"] == {
        "app.kubernetes.io/name": service,
        "app.kubernetes.io/component": "service",
    }
    (rule,) = spec["ingress"]
    assert _ports([rule]) == {("TCP", 8000)}
    sources = set()
    for peer in rule["from"]:
        if "namespaceSelector" in peer:
            sources.add(peer["namespaceSelector"]["matchLabels"]["kubernetes.io/metadata.name"])
        else:
            sources.add(peer["podSelector"]["matchLabels"]["app.kubernetes.io/name"])
    assert sources == {"ingress-nginx", "gateway", "observability"}


def test_the_service_reaches_dns_database_kafka_and_the_collector(
    service: str, policies: dict[str, dict[str, Any]]
) -> None:
    egress = policies[service]["spec"]["egress"]
    ports = _ports(egress)
    # Beyond the platform: notification's SMTP relay and SMS API, complaints' e-services
    # directory and clinics' own systems (HTTPS), the gateway's upstream services.
    extra = {
        "notification": {("TCP", 587), ("TCP", 443)},
        "complaints": {("TCP", 443)},
        "gateway": {("TCP", 8000)},
    }.get(service, set())
    assert ports == PLATFORM_EGRESS | extra
    (kafka,) = [rule for rule in egress if _ports([rule]) == {("TCP", 9093)}]
    (brokers,) = kafka["to"]
    assert brokers["podSelector"]["matchLabels"] == {
        "strimzi.io/cluster": "careflow",
        "strimzi.io/kind": "Kafka",
    }
    (dns,) = [rule for rule in egress if ("UDP", 53) in _ports([rule])]
    assert dns["to"][0]["podSelector"]["matchLabels"] == {"k8s-app": "kube-dns"}


def _namespaces(rule: dict[str, Any]) -> set[str]:
    return {
        peer["namespaceSelector"]["matchLabels"]["kubernetes.io/metadata.name"]
        for peer in rule.get("to", [])
        if "namespaceSelector" in peer
    }


def test_the_service_reaches_the_identity_provider_and_only_in_its_namespace(
    service: str, policies: dict[str, dict[str, Any]]
) -> None:
    # Every service fetches the issuer's discovery document and keys (at start, every
    # few minutes, and when a token names an unknown kid), so a key rotation needs no
    # restart only if that path is open.
    (rule,) = [
        rule for rule in policies[service]["spec"]["egress"] if _ports([rule]) == IDENTITY_PORTS
    ]
    assert rule["to"] == [
        {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "identity"}}}
    ]


def test_the_dev_identity_provider_is_where_the_policies_let_services_go(
    render: Any, services: tuple[str, ...]
) -> None:
    objects = render(K8S / "overlays" / "dev")
    (identity,) = [
        obj["data"]
        for obj in objects
        if obj["kind"] == "ConfigMap" and obj["metadata"]["name"].startswith("careflow-identity-")
    ]
    url = urlsplit(identity["issuer-url"])
    assert url.hostname is not None
    # <service>.<namespace>.svc.cluster.local
    namespace = url.hostname.split(".")[1]
    port = url.port or {"http": 80, "https": 443}[url.scheme]
    policies = {obj["metadata"]["name"]: obj for obj in objects if obj["kind"] == "NetworkPolicy"}
    for service in services:
        assert any(
            namespace in _namespaces(rule) and ("TCP", port) in _ports([rule])
            for rule in policies[service]["spec"]["egress"]
        ), f"{service} cannot reach {url.hostname}:{port}"


def test_only_notification_and_complaints_may_leave_the_cluster(
    policies: dict[str, dict[str, Any]], services: tuple[str, ...]
) -> None:
    leaving = {
        name
        for name in services
        for rule in policies[name]["spec"]["egress"]
        if _ports([rule]) & {("TCP", 587), ("TCP", 443)}
    }
    assert leaving == {"notification", "complaints"} & set(services)
    # Besides the database port (any address until an overlay narrows it), only an
    # address block leads out of the cluster: the identity provider, the collector and
    # the brokers are reached by namespace or pod selectors.
    by_address = {
        name
        for name in services
        for rule in policies[name]["spec"]["egress"]
        if any("ipBlock" in peer for peer in rule.get("to", []))
    }
    assert by_address == leaving
    smtp = {
        name
        for name in services
        for rule in policies[name]["spec"]["egress"]
        if ("TCP", 587) in _ports([rule])
    }
    assert smtp == {"notification"}


def test_the_migration_job_reaches_only_dns_and_the_database(
    service: str, policies: dict[str, dict[str, Any]]
) -> None:
    spec = policies[f"{service}-migrate"]["spec"]
    assert spec["podSelector"]["matchLabels"]["app.kubernetes.io/component"] == "migration"
    assert spec["ingress"] == []
    assert _ports(spec["egress"]) == {("UDP", 53), ("TCP", 53), ("TCP", 5432)}


def test_the_policies_select_the_pods_of_the_workloads(service: str, render: Any) -> None:
    objects = render(K8S / "overlays" / "prod")
    policies = {obj["metadata"]["name"]: obj for obj in objects if obj["kind"] == "NetworkPolicy"}
    for kind, policy in (("Deployment", service), ("Job", f"{service}-migrate")):
        (workload,) = [
            obj
            for obj in objects
            if obj["kind"] == kind and obj["metadata"]["name"] in (service, f"{service}-migrate")
        ]
        labels = workload["spec"]["template"]["metadata"]["labels"]
        selector = policies[policy]["spec"]["podSelector"]["matchLabels"]
        assert selector.items() <= labels.items()


def test_the_kafka_listener_admits_only_the_services(render: Any) -> None:
    (kafka,) = [obj for obj in render(K8S / "overlays" / "prod") if obj["kind"] == "Kafka"]
    for listener in kafka["spec"]["kafka"]["listeners"]:
        assert listener["networkPolicyPeers"] == [
            {"podSelector": {"matchLabels": {"app.kubernetes.io/component": "service"}}}
        ]


def test_extra_egress_for_a_service_that_does_not_exist_is_refused(
    generate_policies: ModuleType,
) -> None:
    with pytest.raises(ValueError, match="notification"):
        generate_policies.render(["intake"])
