"""deploy/k8s: kustomize base + overlays, one Deployment/Service/HPA/PDB per service."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import kubernetes_validate
import pytest
import yaml

K8S = Path(__file__).resolve().parents[2] / "deploy" / "k8s"
OVERLAYS = ("dev", "prod")
# The OpenID Connect provider every service trusts: `issuer` (the tokens' iss) and
# `issuer-url` (where discovery and the signing keys are fetched), set per overlay.
IDENTITY = "careflow-identity"


def _load(path: Path) -> Any:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def _docs(path: Path) -> list[dict[str, Any]]:
    return [doc for doc in yaml.safe_load_all(path.read_text(encoding="utf-8")) if doc]


def _kustomizations() -> list[Path]:
    return sorted(K8S.rglob("kustomization.yaml"))


def _resources(directory: Path) -> list[dict[str, Any]]:
    """Every object a kustomization lists, following sub-kustomizations (no transforms)."""
    kustomization = _load(directory / "kustomization.yaml")
    objects = []
    for entry in kustomization.get("resources", []):
        target = (directory / entry).resolve()
        objects += _resources(target) if target.is_dir() else _docs(target)
    return objects


def _by_kind(objects: list[dict[str, Any]], kind: str) -> list[dict[str, Any]]:
    return [obj for obj in objects if obj["kind"] == kind]


def _one(objects: list[dict[str, Any]], kind: str) -> dict[str, Any]:
    found = _by_kind(objects, kind)
    assert len(found) == 1, f"expected one {kind}, found {len(found)}"
    return found[0]


def _literals(generator: dict[str, Any]) -> dict[str, str]:
    return dict(literal.split("=", 1) for literal in generator.get("literals", []))


def test_there_is_a_base_and_both_overlays() -> None:
    found = {path.parent.relative_to(K8S).as_posix() for path in _kustomizations()}
    assert {"base", "overlays/dev", "overlays/prod"} <= found


@pytest.mark.parametrize(
    "path", _kustomizations(), ids=lambda p: p.parent.relative_to(K8S).as_posix()
)
def test_kustomization_lists_only_files_that_exist(path: Path) -> None:
    kustomization = _load(path)
    listed = list(kustomization.get("resources", [])) + list(kustomization.get("components", []))
    for patch in kustomization.get("patches", []):
        if "path" in patch:
            listed.append(patch["path"])
    for generator in kustomization.get("configMapGenerator", []) + kustomization.get(
        "secretGenerator", []
    ):
        listed += [item.split("=", 1)[-1] for item in generator.get("files", [])]
        listed += generator.get("envs", [])
    assert listed, f"{path} lists nothing"
    for entry in listed:
        target = path.parent / entry
        assert target.exists(), f"{path} lists missing {entry}"
        if target.is_dir():
            assert (target / "kustomization.yaml").is_file(), f"{entry} is not a kustomization"


def test_base_lists_exactly_the_services_that_exist_kafka_and_topics(
    services: tuple[str, ...],
) -> None:
    resources = _load(K8S / "base" / "kustomization.yaml")["resources"]
    directories = {entry for entry in resources if (K8S / "base" / entry).is_dir()}
    assert directories == set(services)
    for generated in (
        "kafka.yaml",
        "kafka-topics.yaml",
        "kafka-users.yaml",
        "network-policies.yaml",
    ):
        assert generated in resources


def test_base_has_a_directory_only_for_a_service_that_exists(services: tuple[str, ...]) -> None:
    directories = {path.name for path in (K8S / "base").iterdir() if path.is_dir()}
    assert directories == set(services)


def test_service_has_deployment_service_autoscaler_and_disruption_budget(service: str) -> None:
    objects = _resources(K8S / "base" / service)
    for kind in ("Deployment", "Service", "HorizontalPodAutoscaler", "PodDisruptionBudget"):
        assert _one(objects, kind)["metadata"]["name"] == service
    assert _one(objects, "Job")["metadata"]["name"] == f"{service}-migrate"


def test_deployment_probes_readyz_and_healthz(service: str) -> None:
    deployment = _one(_resources(K8S / "base" / service), "Deployment")
    (container,) = deployment["spec"]["template"]["spec"]["containers"]
    ports = {port["name"]: port["containerPort"] for port in container["ports"]}
    assert ports == {"http": 8000}
    assert container["readinessProbe"]["httpGet"] == {"path": "/readyz", "port": "http"}
    assert container["livenessProbe"]["httpGet"] == {"path": "/healthz", "port": "http"}
    assert container["startupProbe"]["httpGet"]["path"] == "/healthz"


def test_deployment_runs_the_service_image_non_root_and_read_only(service: str) -> None:
    deployment = _one(_resources(K8S / "base" / service), "Deployment")
    pod = deployment["spec"]["template"]["spec"]
    (container,) = pod["containers"]
    assert container["image"] == f"careflow/{service}"
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert pod["securityContext"]["runAsUser"] != 0
    assert pod["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}
    security = container["securityContext"]
    assert security["readOnlyRootFilesystem"] is True
    assert security["allowPrivilegeEscalation"] is False
    assert security["capabilities"]["drop"] == ["ALL"]
    # The read-only root needs a writable /tmp.
    mounts = {mount["mountPath"]: mount["name"] for mount in container["volumeMounts"]}
    assert {volume["name"]: volume for volume in pod["volumes"]}[mounts["/tmp"]]["emptyDir"]


def test_deployment_declares_resources_and_leaves_replicas_to_the_hpa(service: str) -> None:
    deployment = _one(_resources(K8S / "base" / service), "Deployment")
    (container,) = deployment["spec"]["template"]["spec"]["containers"]
    assert container["resources"]["requests"]["cpu"]
    assert container["resources"]["requests"]["memory"]
    assert container["resources"]["limits"]["memory"]
    assert "replicas" not in deployment["spec"]


def _config(service: str) -> dict[str, str]:
    generators = _load(K8S / "base" / service / "kustomization.yaml")["configMapGenerator"]
    (generator,) = [gen for gen in generators if gen["name"] == f"{service}-config"]
    return _literals(generator)


def _secret_refs(container: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {
        item["name"]: item["valueFrom"]["secretKeyRef"]
        for item in container.get("env", [])
        if "secretKeyRef" in item.get("valueFrom", {})
    }


def _configmap_refs(container: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {
        item["name"]: item["valueFrom"]["configMapKeyRef"]
        for item in container.get("env", [])
        if "configMapKeyRef" in item.get("valueFrom", {})
    }


def _identity(objects: tuple[dict[str, Any], ...]) -> dict[str, str]:
    """The rendered careflow-identity's data (its name carries kustomize's hash)."""
    (found,) = [
        obj
        for obj in objects
        if obj["kind"] == "ConfigMap" and obj["metadata"]["name"].startswith(IDENTITY + "-")
    ]
    return found.get("data", {})


def test_deployment_takes_issuer_and_issuer_url_from_the_identity_configmap(
    service: str,
) -> None:
    prefix = service.upper() + "_"
    deployment = _one(_resources(K8S / "base" / service), "Deployment")
    (container,) = deployment["spec"]["template"]["spec"]["containers"]
    refs = _configmap_refs(container)
    assert {name: (ref["name"], ref["key"]) for name, ref in refs.items()} == {
        prefix + "AUTH__ISSUER": (IDENTITY, "issuer"),
        prefix + "AUTH__ISSUER_URL": (IDENTITY, "issuer-url"),
    }
    # Required: a pod whose overlay named no provider does not start.
    assert not any(ref.get("optional", False) for ref in refs.values())
    # Set once, for every service, in careflow-identity: never per service.
    assert not [key for key in _config(service) if key.startswith(prefix + "AUTH__ISSUER")]


def test_no_service_verifies_tokens_with_a_static_key_file(service: str) -> None:
    # Keys come from the issuer's JWKS URL and are refetched on rotation; a mounted
    # JWKS file would need a restart for every rotation.
    prefix = service.upper() + "_"
    settings = _config(service)
    assert prefix + "AUTH__JWKS_PATH" not in settings
    assert prefix + "AUTH__PUBLIC_KEYS" not in settings
    for obj in _resources(K8S / "base" / service):
        pod = obj["spec"]["template"]["spec"] if obj["kind"] in ("Deployment", "Job") else {}
        for container in pod.get("containers", []):
            names = {item["name"] for item in container.get("env", [])}
            assert not names & {prefix + "AUTH__JWKS_PATH", prefix + "AUTH__PUBLIC_KEYS"}
            mounts = {mount["mountPath"] for mount in container.get("volumeMounts", [])}
            assert "/etc/careflow" not in mounts
        for volume in pod.get("volumes", []):
            assert volume.get("configMap", {}).get("name") != "careflow-jwks"


def test_no_kustomization_keeps_a_jwks_file() -> None:
    assert list(K8S.rglob("jwks.json")) == []
    for path in _kustomizations():
        generators = _load(path).get("configMapGenerator", [])
        assert "careflow-jwks" not in {gen["name"] for gen in generators}, path


def test_the_base_names_no_identity_provider() -> None:
    # Empty, so the base without an overlay starts no service pod (fail closed).
    generators = _load(K8S / "base" / "kustomization.yaml")["configMapGenerator"]
    (identity,) = [gen for gen in generators if gen["name"] == IDENTITY]
    assert identity == {"name": IDENTITY}


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_overlay_generates_the_identity_configmap(overlay: str) -> None:
    generators = _load(K8S / "overlays" / overlay / "kustomization.yaml")["configMapGenerator"]
    (identity,) = [gen for gen in generators if gen["name"] == IDENTITY]
    assert identity["behavior"] == "merge"
    assert identity["envs"] == ["identity.env"]


def test_dev_trusts_the_keycloak_in_the_cluster(render: Any) -> None:
    identity = _identity(render(K8S / "overlays" / "dev"))
    assert set(identity) == {"issuer", "issuer-url"}
    issuer, backchannel = urlsplit(identity["issuer"]), urlsplit(identity["issuer-url"])
    # Tokens name the public address; the services fetch from the in-cluster Service
    # <name>.identity.svc.cluster.local (base/network-policies.yaml admits `identity`).
    assert issuer.scheme == "https"
    assert backchannel.hostname == "keycloak.identity.svc.cluster.local"
    assert backchannel.port == 8080
    # The same realm both ways: Keycloak names the public issuer on its backchannel.
    assert issuer.path == backchannel.path == "/realms/careflow"


def test_prod_starts_no_service_until_the_operator_names_its_provider(render: Any) -> None:
    objects = render(K8S / "overlays" / "prod")
    # No issuer yet: every service's required reference finds no key, so the kubelet
    # starts none of them (test_k8s_env.py shows it pod by pod).
    assert _identity(objects) == {}
    placeholders = (K8S / "overlays" / "prod" / "identity.env").read_text(encoding="utf-8")
    lines = placeholders.splitlines()
    assert "# issuer=" in lines
    assert "# issuer-url=" in lines


def test_deployment_reads_a_configmap_and_a_database_secret(service: str) -> None:
    prefix = service.upper() + "_"
    deployment = _one(_resources(K8S / "base" / service), "Deployment")
    (container,) = deployment["spec"]["template"]["spec"]["containers"]
    (config_ref,) = [ref["configMapRef"]["name"] for ref in container["envFrom"]]
    assert config_ref == f"{service}-config"
    settings = _config(service)
    assert all(key.startswith(prefix) for key in settings), sorted(settings)
    assert settings[prefix + "HTTP_PORT"] == "8000"
    secret = _secret_refs(container)[prefix + "DATABASE__URL"]
    assert (secret["name"], secret["key"]) == (f"{service}-database", "url")


def test_deployment_connects_to_kafka_over_tls_as_its_kafka_user(service: str) -> None:
    prefix = service.upper() + "_"
    settings = _config(service)
    assert settings[prefix + "BROKER__BOOTSTRAP_SERVERS"] == "careflow-kafka-bootstrap:9093"
    assert settings[prefix + "BROKER__SECURITY_PROTOCOL"] == "SASL_SSL"
    assert settings[prefix + "BROKER__SASL_MECHANISM"] == "SCRAM-SHA-512"
    assert settings[prefix + "BROKER__USERNAME"] == service
    deployment = _one(_resources(K8S / "base" / service), "Deployment")
    pod = deployment["spec"]["template"]["spec"]
    (container,) = pod["containers"]
    # Strimzi's user operator writes the KafkaUser's password to a Secret of its name.
    password = _secret_refs(container)[prefix + "BROKER__PASSWORD"]
    assert (password["name"], password["key"]) == (service, "password")
    mounts = {mount["name"]: mount["mountPath"] for mount in container["volumeMounts"]}
    volumes = {volume["name"]: volume for volume in pod["volumes"]}
    assert volumes["kafka-ca"]["secret"]["secretName"] == "careflow-cluster-ca-cert"
    assert settings[prefix + "BROKER__SSL_CAFILE"] == mounts["kafka-ca"] + "/ca.crt"


def test_only_the_migration_job_holds_the_owner_role(service: str) -> None:
    prefix = service.upper() + "_"
    objects = _resources(K8S / "base" / service)
    (container,) = _one(objects, "Deployment")["spec"]["template"]["spec"]["containers"]
    refs = _secret_refs(container)
    assert prefix + "DATABASE__MIGRATION_URL" not in refs
    assert all(ref["name"] != f"{service}-database-owner" for ref in refs.values())
    assert _config(service)[prefix + "DATABASE__MIGRATE_ON_START"] == "false"

    job = _one(objects, "Job")
    pod = job["spec"]["template"]["spec"]
    (migrate,) = pod["containers"]
    assert migrate["image"] == f"careflow/{service}"
    assert migrate["command"] == ["python", "-m", f"careflow.{service}", "migrate"]
    refs = _secret_refs(migrate)
    assert set(refs) == {prefix + "DATABASE__URL", prefix + "DATABASE__MIGRATION_URL"}
    owner = refs[prefix + "DATABASE__MIGRATION_URL"]
    assert (owner["name"], owner["key"]) == (f"{service}-database-owner", "url")
    assert [ref["configMapRef"]["name"] for ref in migrate["envFrom"]] == [f"{service}-config"]
    assert pod["restartPolicy"] == "Never"
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert migrate["securityContext"]["readOnlyRootFilesystem"] is True
    labels = job["spec"]["template"]["metadata"]["labels"]
    assert labels == {"app.kubernetes.io/name": service, "app.kubernetes.io/component": "migration"}
    # Runs before the rollout under Argo CD, and each run replaces the last (a Job's
    # pod template cannot be changed in place).
    annotations = job["metadata"]["annotations"]
    assert annotations["argocd.argoproj.io/hook"] == "PreSync"
    assert annotations["argocd.argoproj.io/hook-delete-policy"] == "BeforeHookCreation"


def test_no_secret_is_optional(service: str) -> None:
    for obj in _resources(K8S / "base" / service):
        pod = obj.get("spec", {}).get("template", {}).get("spec", {})
        for container in pod.get("containers", []):
            for name, ref in _secret_refs(container).items():
                assert not ref.get("optional", False), f"{obj['kind']} {name} may start without it"


def test_service_hpa_and_pdb_select_the_deployment(service: str) -> None:
    objects = _resources(K8S / "base" / service)
    deployment = _one(objects, "Deployment")
    pod_labels = deployment["spec"]["template"]["metadata"]["labels"]
    selector = deployment["spec"]["selector"]["matchLabels"]
    assert selector.items() <= pod_labels.items()

    svc = _one(objects, "Service")
    assert svc["spec"]["selector"].items() <= pod_labels.items()
    assert [port["targetPort"] for port in svc["spec"]["ports"]] == ["http"]

    hpa = _one(objects, "HorizontalPodAutoscaler")
    assert hpa["spec"]["scaleTargetRef"] == {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "name": deployment["metadata"]["name"],
    }
    assert 1 <= hpa["spec"]["minReplicas"] <= hpa["spec"]["maxReplicas"]

    pdb = _one(objects, "PodDisruptionBudget")
    assert pdb["spec"]["selector"]["matchLabels"].items() <= pod_labels.items()


def test_kafka_is_a_kraft_cluster_with_node_pools() -> None:
    objects = _docs(K8S / "base" / "kafka.yaml")
    kafka = _one(objects, "Kafka")
    annotations = kafka["metadata"]["annotations"]
    assert annotations["strimzi.io/kraft"] == "enabled"
    assert annotations["strimzi.io/node-pools"] == "enabled"
    assert "zookeeper" not in kafka["spec"]
    assert kafka["spec"]["kafka"]["config"]["auto.create.topics.enable"] is False
    assert "topicOperator" in kafka["spec"]["entityOperator"]
    pool = _one(objects, "KafkaNodePool")
    assert pool["metadata"]["labels"]["strimzi.io/cluster"] == kafka["metadata"]["name"]
    assert set(pool["spec"]["roles"]) == {"controller", "broker"}
    listeners = kafka["spec"]["kafka"]["listeners"]
    # Services connect to <cluster>-kafka-bootstrap:9093 over TLS (see their settings),
    # each as its KafkaUser; no listener lets a client in without logging in.
    assert [(item["name"], item["port"]) for item in listeners] == [("tls", 9093)]
    for listener in listeners:
        assert listener["tls"] is True
        assert listener["authentication"] == {"type": "scram-sha-512"}
    # ACLs apply (kafka-users.yaml): what no user is allowed is refused.
    assert kafka["spec"]["kafka"]["authorization"]["type"] == "simple"
    assert "superUsers" not in kafka["spec"]["kafka"]["authorization"]
    assert "userOperator" in kafka["spec"]["entityOperator"]
    assert kafka["metadata"]["name"] == "careflow"


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_overlay_builds_on_the_base(overlay: str) -> None:
    kustomization = _load(K8S / "overlays" / overlay / "kustomization.yaml")
    assert "../../base" in kustomization["resources"]
    assert kustomization["namespace"]


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_overlay_sets_image_tag_and_producer_for_every_service(
    overlay: str, services: tuple[str, ...]
) -> None:
    kustomization = _load(K8S / "overlays" / overlay / "kustomization.yaml")
    tags = {image["name"]: image["newTag"] for image in kustomization["images"]}
    assert set(tags) == {f"careflow/{service}" for service in services}
    generators = {gen["name"]: gen for gen in kustomization["configMapGenerator"]}
    assert set(generators) - {IDENTITY} == {f"{service}-config" for service in services}
    for service in services:
        generator = generators[f"{service}-config"]
        assert generator["behavior"] == "merge"
        settings = _literals(generator)
        assert settings[f"{service.upper()}_BROKER__IDEMPOTENT_PRODUCER"] == "true"
        assert settings[f"{service.upper()}_ENVIRONMENT"] == overlay


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_overlay_sizes_the_autoscalers(overlay: str) -> None:
    kustomization = _load(K8S / "overlays" / overlay / "kustomization.yaml")
    (patch,) = [
        p for p in kustomization["patches"] if p["target"]["kind"] == "HorizontalPodAutoscaler"
    ]
    ops = {op["path"]: op["value"] for op in yaml.safe_load(patch["patch"])}
    assert 1 <= ops["/spec/minReplicas"] <= ops["/spec/maxReplicas"]


def test_prod_keeps_more_replicas_than_dev() -> None:
    def min_replicas(overlay: str) -> int:
        kustomization = _load(K8S / "overlays" / overlay / "kustomization.yaml")
        for patch in kustomization["patches"]:
            if patch["target"]["kind"] == "HorizontalPodAutoscaler":
                ops = {op["path"]: op["value"] for op in yaml.safe_load(patch["patch"])}
                return ops["/spec/minReplicas"]
        raise AssertionError(f"{overlay} does not size the autoscalers")

    # Two or more, so production survives losing a pod; dev stays small.
    assert min_replicas("prod") >= 2
    assert min_replicas("prod") > min_replicas("dev")


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_overlay_renders_with_kustomize(
    overlay: str, services: tuple[str, ...], generate_topics: Any, render: Any
) -> None:
    objects = list(render(K8S / "overlays" / overlay))
    namespace = _load(K8S / "overlays" / overlay / "kustomization.yaml")["namespace"]
    for obj in objects:
        if obj["kind"] != "Namespace":
            assert obj["metadata"].get("namespace") == namespace, obj["metadata"]["name"]
    for kind in ("Deployment", "Service", "HorizontalPodAutoscaler", "PodDisruptionBudget"):
        assert {obj["metadata"]["name"] for obj in _by_kind(objects, kind)} == set(services)
    assert {obj["metadata"]["name"] for obj in _by_kind(objects, "Job")} == {
        f"{service}-migrate" for service in services
    }
    assert {obj["metadata"]["name"] for obj in _by_kind(objects, "KafkaUser")} == set(services)
    configmaps = {obj["metadata"]["name"]: obj for obj in _by_kind(objects, "ConfigMap")}
    for workload in _by_kind(objects, "Deployment") + _by_kind(objects, "Job"):
        (container,) = workload["spec"]["template"]["spec"]["containers"]
        assert container["image"].endswith(":dev" if overlay == "dev" else ":0.1.0")
        # Generated names carry a hash suffix; references must have followed it.
        (ref,) = container["envFrom"]
        assert ref["configMapRef"]["name"] in configmaps
        for key_ref in _configmap_refs(container).values():
            assert key_ref["name"] in configmaps
            assert key_ref["name"].startswith(IDENTITY + "-")
    for deployment in _by_kind(objects, "Deployment"):
        (container,) = deployment["spec"]["template"]["spec"]["containers"]
        assert len(_configmap_refs(container)) == 2, deployment["metadata"]["name"]
    topics = _by_kind(objects, "KafkaTopic")
    assert len(topics) == 2 * len(list(generate_topics.TOPICS))


# Custom resources of the Strimzi operator: the Kubernetes schema does not know them
# (test_kafka_users.py and test_kafka_topics.py check what is generated into them).
STRIMZI_KINDS = {"Kafka", "KafkaNodePool", "KafkaTopic", "KafkaUser"}
KUBERNETES_VERSION = "1.37.0"


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_overlay_validates_against_the_kubernetes_schema(overlay: str, render: Any) -> None:
    objects = render(K8S / "overlays" / overlay)
    validated = set()
    for obj in objects:
        if obj["apiVersion"].startswith("kafka.strimzi.io/"):
            assert obj["kind"] in STRIMZI_KINDS
            continue
        # Strict: a misspelt field fails instead of being dropped by the API server.
        try:
            kubernetes_validate.validate(obj, KUBERNETES_VERSION, strict=True)
        except kubernetes_validate.ValidationError as exc:
            raise AssertionError(
                f"{obj['kind']} {obj['metadata']['name']}: {exc.message}"
            ) from None
        validated.add(obj["kind"])
    assert validated >= {
        "Namespace",
        "ConfigMap",
        "Deployment",
        "Job",
        "Service",
        "HorizontalPodAutoscaler",
        "PodDisruptionBudget",
        "NetworkPolicy",
    }


def test_the_schema_check_catches_a_misspelt_field() -> None:
    broken = {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": "x"},
        "spec": {"ports": [{"port": 8000, "targetPrt": "http"}]},
    }
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(broken, KUBERNETES_VERSION, strict=True)


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_rendered_secret_and_configmap_references_are_all_required(
    overlay: str, render: Any
) -> None:
    refs = 0
    for obj in render(K8S / "overlays" / overlay):
        pod = obj.get("spec", {}).get("template", {}).get("spec", {})
        for container in pod.get("containers", []) + pod.get("initContainers", []):
            for name, ref in {**_secret_refs(container), **_configmap_refs(container)}.items():
                assert not ref.get("optional", False), f"{name} in {obj['metadata']['name']}"
                refs += 1
        for volume in pod.get("volumes", []):
            assert not volume.get("secret", {}).get("optional", False)
    assert refs > 0


def test_the_observability_kustomization_renders_and_validates(render: Any) -> None:
    """Dashboards and alert rules for a cluster's monitoring stack (deploy/observability):
    each dashboard a ConfigMap the Grafana sidecar picks up, the rules one ConfigMap."""
    objects = render(K8S.parent / "observability")
    for obj in objects:
        try:
            kubernetes_validate.validate(obj, KUBERNETES_VERSION, strict=True)
        except kubernetes_validate.ValidationError as exc:
            raise AssertionError(
                f"{obj['kind']} {obj['metadata']['name']}: {exc.message}"
            ) from None
    dashboards = [
        obj
        for obj in objects
        if obj["kind"] == "ConfigMap"
        and obj["metadata"].get("labels", {}).get("grafana_dashboard") == "1"
    ]
    on_disk = sorted((K8S.parent / "observability" / "grafana" / "dashboards").glob("*.json"))
    assert len(dashboards) == len(on_disk) > 0
    assert {obj["kind"] for obj in objects} == {"ConfigMap"}
    assert all(obj["metadata"]["namespace"] == "observability" for obj in objects)
