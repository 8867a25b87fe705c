"""deploy/k8s: kustomize base + overlays, one Deployment/Service/HPA/PDB per service."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

K8S = Path(__file__).resolve().parents[2] / "deploy" / "k8s"
OVERLAYS = ("dev", "prod")

# The services whose code is here: their settings know DATABASE__MIGRATION_URL.
EXISTING = tuple(
    path.name
    for path in sorted((Path(__file__).resolve().parents[2] / "services").iterdir())
    if (path / "pyproject.toml").is_file()
)


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
    assert "kafka.yaml" in resources
    assert "kafka-topics.yaml" in resources


def test_base_has_a_directory_only_for_a_service_that_exists(services: tuple[str, ...]) -> None:
    directories = {path.name for path in (K8S / "base").iterdir() if path.is_dir()}
    assert directories == set(services)


def test_service_has_deployment_service_autoscaler_and_disruption_budget(service: str) -> None:
    objects = _resources(K8S / "base" / service)
    for kind in ("Deployment", "Service", "HorizontalPodAutoscaler", "PodDisruptionBudget"):
        assert _one(objects, kind)["metadata"]["name"] == service


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


def test_deployment_reads_a_configmap_and_a_database_secret(service: str) -> None:
    prefix = service.upper() + "_"
    deployment = _one(_resources(K8S / "base" / service), "Deployment")
    (container,) = deployment["spec"]["template"]["spec"]["containers"]
    (config_ref,) = [ref["configMapRef"]["name"] for ref in container["envFrom"]]
    generators = _load(K8S / "base" / service / "kustomization.yaml")["configMapGenerator"]
    (generator,) = [gen for gen in generators if gen["name"] == config_ref]
    settings = _literals(generator)
    assert all(key.startswith(prefix) for key in settings), sorted(settings)
    assert settings[prefix + "HTTP_PORT"] == "8000"
    assert settings[prefix + "BROKER__BOOTSTRAP_SERVERS"] == "careflow-kafka-bootstrap:9092"
    env = {item["name"]: item for item in container["env"]}
    secret = env[prefix + "DATABASE__URL"]["valueFrom"]["secretKeyRef"]
    assert secret["name"] == f"{service}-database"


@pytest.mark.parametrize("name", EXISTING)
def test_deployment_can_migrate_as_the_owner_role(name: str) -> None:
    deployment = _one(_resources(K8S / "base" / name), "Deployment")
    (container,) = deployment["spec"]["template"]["spec"]["containers"]
    env = {item["name"]: item for item in container["env"]}
    secret = env[f"{name.upper()}_DATABASE__MIGRATION_URL"]["valueFrom"]["secretKeyRef"]
    assert (secret["name"], secret["key"]) == (f"{name}-database", "migration-url")


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
    listeners = {item["name"]: item["port"] for item in kafka["spec"]["kafka"]["listeners"]}
    # Services connect to <cluster>-kafka-bootstrap:9092 (see each service's settings).
    assert listeners["plain"] == 9092
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
    assert set(generators) - {"careflow-jwks"} == {f"{service}-config" for service in services}
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


_KUSTOMIZE = (
    [shutil.which("kustomize"), "build"]
    if shutil.which("kustomize")
    else [shutil.which("kubectl"), "kustomize"]
    if shutil.which("kubectl")
    else None
)


@pytest.mark.skipif(_KUSTOMIZE is None, reason="neither kustomize nor kubectl is installed")
@pytest.mark.parametrize("overlay", OVERLAYS)
def test_overlay_renders_with_kustomize(
    overlay: str, services: tuple[str, ...], generate_topics: Any
) -> None:
    assert _KUSTOMIZE is not None
    result = subprocess.run(
        [*_KUSTOMIZE, str(K8S / "overlays" / overlay)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    objects = [doc for doc in yaml.safe_load_all(result.stdout) if doc]
    namespace = _load(K8S / "overlays" / overlay / "kustomization.yaml")["namespace"]
    for obj in objects:
        if obj["kind"] != "Namespace":
            assert obj["metadata"].get("namespace") == namespace, obj["metadata"]["name"]
    for kind in ("Deployment", "Service", "HorizontalPodAutoscaler", "PodDisruptionBudget"):
        assert {obj["metadata"]["name"] for obj in _by_kind(objects, kind)} == set(services)
    configmaps = {obj["metadata"]["name"]: obj for obj in _by_kind(objects, "ConfigMap")}
    for deployment in _by_kind(objects, "Deployment"):
        (container,) = deployment["spec"]["template"]["spec"]["containers"]
        assert container["image"].endswith(":dev" if overlay == "dev" else ":0.1.0")
        # Generated names carry a hash suffix; references must have followed it.
        (ref,) = container["envFrom"]
        assert ref["configMapRef"]["name"] in configmaps
    topics = _by_kind(objects, "KafkaTopic")
    assert len(topics) == 2 * len(list(generate_topics.TOPICS))
