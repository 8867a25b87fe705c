"""Every service's settings load from exactly what Kubernetes gives its pods, and the base
alone (no overlay, so no environment and no identity provider) fails closed.

The environment of a container is built as the kubelet does: the image's ENV
(service.Dockerfile), then the rendered ConfigMap of `envFrom`, then `env`, where
each configMapKeyRef takes the rendered ConfigMap's key (a required key that is
missing keeps the pod from starting) and each secretKeyRef gets a stand-in value
of the right form (the Secrets are not in git). The Deployment's container must
load the service's Settings; the migration Job's must load the migration settings
and nothing more. Production ships without an identity provider (the operator
sets it in overlays/prod/identity.env), so its pods are checked as shipped (they
do not start) and as the operator completes it (an overlay on top setting both keys).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from pydantic import ValidationError

from careflow.shared.auth import IssuerKeys
from careflow.shared.settings import ServiceSettings, migration_settings

K8S = Path(__file__).resolve().parents[2] / "deploy" / "k8s"
OVERLAYS = ("dev", "prod")
IDENTITY = "careflow-identity"
# What a production operator puts in overlays/prod/identity.env.
OPERATOR_IDENTITY = {
    "issuer": "https://login.region.example/realms/careflow",
    "issuer-url": "https://keycloak.identity.svc.cluster.local:8443/realms/careflow",
}


class PodWouldNotStart(Exception):
    """The kubelet refuses the container: a required ConfigMap or key is missing."""


def secret_value(service: str, name: str, key: str) -> str:
    """A stand-in for Secret `name`'s `key` as the deployment documents it."""
    if (name, key) == (f"{service}-database", "url"):
        return f"postgresql+asyncpg://{service}:pw@postgres.db:5432/{service}"
    if (name, key) == (f"{service}-database-owner", "url"):
        return f"postgresql+asyncpg://{service}_owner:pw@postgres.db:5432/{service}"
    assert key != "url", f"Secret {name} key {key}: a URL no stand-in is known for"
    return f"stand-in-for-{name}-{key}"


def _workload(objects: tuple[dict[str, Any], ...], kind: str, name: str) -> dict[str, Any]:
    (found,) = [obj for obj in objects if obj["kind"] == kind and obj["metadata"]["name"] == name]
    return found


def container_environment(
    objects: tuple[dict[str, Any], ...],
    workload: dict[str, Any],
    service: str,
    helpers: SimpleNamespace,
) -> dict[str, str]:
    configmaps = {
        obj["metadata"]["name"]: obj.get("data", {})
        for obj in objects
        if obj["kind"] == "ConfigMap"
    }
    (container,) = workload["spec"]["template"]["spec"]["containers"]
    env = dict(helpers.image_environment(service))
    for source in container.get("envFrom", []):
        env.update(configmaps[source["configMapRef"]["name"]])
    for item in container.get("env", []):
        if "value" in item:
            env[item["name"]] = str(item["value"])
            continue
        if "configMapKeyRef" in item["valueFrom"]:
            ref = item["valueFrom"]["configMapKeyRef"]
            data = configmaps.get(ref["name"], {})
            if ref["key"] in data:
                env[item["name"]] = data[ref["key"]]
            elif not ref.get("optional", False):
                raise PodWouldNotStart(f"{item['name']}: {ref['name']} has no key {ref['key']}")
            continue
        ref = item["valueFrom"]["secretKeyRef"]
        env[item["name"]] = secret_value(service, ref["name"], ref["key"])
    return env


@pytest.fixture(scope="module")
def operated_prod(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """overlays/prod with the identity provider set, as its operator must before deploying."""
    directory = tmp_path_factory.mktemp("prod-operated")
    # kustomize takes no absolute path to another kustomization.
    prod = os.path.relpath(K8S / "overlays" / "prod", directory)
    literals = "".join(f"      - {key}={value}\n" for key, value in OPERATOR_IDENTITY.items())
    (directory / "kustomization.yaml").write_text(
        "apiVersion: kustomize.config.k8s.io/v1beta1\n"
        "kind: Kustomization\n"
        f"resources:\n  - {prod}\n"
        "configMapGenerator:\n"
        f"  - name: {IDENTITY}\n"
        "    behavior: merge\n"
        "    literals:\n" + literals,
        encoding="utf-8",
    )
    return directory


@pytest.fixture
def deployed(operated_prod: Path) -> Callable[[str], Path]:
    """The kustomization each overlay is deployed from: dev as it is, prod once operated."""
    return lambda overlay: operated_prod if overlay == "prod" else K8S / "overlays" / overlay


def _identity(objects: tuple[dict[str, Any], ...]) -> dict[str, str]:
    (data,) = [
        obj.get("data", {})
        for obj in objects
        if obj["kind"] == "ConfigMap" and obj["metadata"]["name"].startswith(IDENTITY + "-")
    ]
    return data


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_service_settings_load_in_the_overlay(
    overlay: str,
    service: str,
    render: Callable[[Path], tuple[dict[str, Any], ...]],
    deployed: Callable[[str], Path],
    helpers: SimpleNamespace,
    settings_from: Callable[[str, Mapping[str, str]], Any],
) -> None:
    objects = render(deployed(overlay))
    env = container_environment(
        objects, _workload(objects, "Deployment", service), service, helpers
    )
    assert (
        helpers.unknown_settings(helpers.settings_class(service), service.upper() + "_", env) == []
    )
    settings: ServiceSettings = settings_from(service, env)
    assert settings.environment == overlay
    assert not settings.is_development()
    assert settings.http_port == 8000
    assert settings.database.migrate_on_start is False
    assert settings.database.migration_url.get_secret_value() == ""
    broker = settings.broker
    assert (broker.security_protocol, broker.sasl_mechanism) == ("SASL_SSL", "SCRAM-SHA-512")
    assert broker.username == service
    assert broker.password is not None
    assert broker.password.get_secret_value() == f"stand-in-for-{service}-password"


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_service_trusts_the_overlays_issuer_found_by_discovery(
    overlay: str,
    service: str,
    render: Callable[[Path], tuple[dict[str, Any], ...]],
    deployed: Callable[[str], Path],
    helpers: SimpleNamespace,
    settings_from: Callable[[str, Mapping[str, str]], Any],
) -> None:
    objects = render(deployed(overlay))
    identity = _identity(objects)
    if overlay == "prod":
        assert identity == OPERATOR_IDENTITY
    env = container_environment(
        objects, _workload(objects, "Deployment", service), service, helpers
    )
    auth = settings_from(service, env).auth
    assert auth.issuer == identity["issuer"]
    assert auth.issuer_url == identity["issuer-url"]
    # Keys only from the issuer's JWKS URL (refetched on rotation), never from a file.
    assert auth.jwks_path is None
    assert auth.public_keys == {}
    assert IssuerKeys(auth).discovery_url == (
        identity["issuer-url"] + "/.well-known/openid-configuration"
    )


def test_prod_as_shipped_starts_no_service_pod(
    service: str,
    render: Callable[[Path], tuple[dict[str, Any], ...]],
    helpers: SimpleNamespace,
) -> None:
    # Until the operator names the identity provider in overlays/prod/identity.env
    # no pod starts, instead of running with an issuer nobody chose.
    objects = render(K8S / "overlays" / "prod")
    with pytest.raises(PodWouldNotStart, match=f"{service.upper()}_AUTH__ISSUER"):
        container_environment(objects, _workload(objects, "Deployment", service), service, helpers)


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_secret_settings_come_only_from_secrets(
    overlay: str,
    service: str,
    render: Callable[[Path], tuple[dict[str, Any], ...]],
    helpers: SimpleNamespace,
) -> None:
    objects = render(K8S / "overlays" / overlay)
    configmaps = [obj.get("data", {}) for obj in objects if obj["kind"] == "ConfigMap"]
    prefix = service.upper() + "_"
    for path in helpers.secret_settings(helpers.settings_class(service)):
        for data in configmaps:
            assert prefix + path not in data, f"{prefix}{path} is a secret, not a ConfigMap value"


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_the_migration_job_loads_only_its_database_settings(
    overlay: str,
    service: str,
    render: Callable[[Path], tuple[dict[str, Any], ...]],
    helpers: SimpleNamespace,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    objects = render(K8S / "overlays" / overlay)
    # The Job verifies no token, so it runs before the identity provider is set.
    job = _workload(objects, "Job", f"{service}-migrate")
    env = container_environment(objects, job, service, helpers)
    for key in list(os.environ):
        monkeypatch.delenv(key)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    database = migration_settings(service.upper() + "_").database
    assert database.owner_url().startswith(f"postgresql+asyncpg://{service}_owner:")
    assert database.service_role() == service


def test_the_base_without_an_overlay_refuses_to_start(
    service: str,
    render: Callable[[Path], tuple[dict[str, Any], ...]],
    helpers: SimpleNamespace,
    settings_from: Callable[[str, Mapping[str, str]], Any],
) -> None:
    # The base names no identity provider, so the kubelet starts no service pod.
    objects = render(K8S / "base")
    deployment = _workload(objects, "Deployment", service)
    assert _identity(objects) == {}
    with pytest.raises(PodWouldNotStart):
        container_environment(objects, deployment, service, helpers)
    # Nor does it name an environment, so given a provider a service would otherwise
    # run with the local defaults (development keys, the SMS file sink): it refuses.
    named = tuple(
        {**obj, "data": OPERATOR_IDENTITY}
        if obj["kind"] == "ConfigMap" and obj["metadata"]["name"].startswith(IDENTITY + "-")
        else obj
        for obj in objects
    )
    env = container_environment(named, deployment, service, helpers)
    assert service.upper() + "_ENVIRONMENT" not in env
    with pytest.raises(ValidationError, match="ENVIRONMENT is not set"):
        settings_from(service, env)


def test_a_deployment_missing_a_required_secret_refuses_to_start(
    service: str,
    render: Callable[[Path], tuple[dict[str, Any], ...]],
    operated_prod: Path,
    helpers: SimpleNamespace,
    settings_from: Callable[[str, Mapping[str, str]], Any],
) -> None:
    # Kubernetes keeps such a pod from starting (no secretKeyRef is optional); were
    # the reference dropped from the manifest, the settings refuse it too.
    objects = render(operated_prod)
    env = container_environment(
        objects, _workload(objects, "Deployment", service), service, helpers
    )
    del env[service.upper() + "_BROKER__PASSWORD"]
    with pytest.raises(ValidationError, match="password are required"):
        settings_from(service, env)
