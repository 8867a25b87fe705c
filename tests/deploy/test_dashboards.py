"""Grafana dashboards (deploy/observability/grafana/dashboards): provisioned in compose,
one sidecar ConfigMap each in Kubernetes, queries generic over services (`job`).
Whether each panel's query returns data from the running services is checked by
tests/observability/test_dashboards_have_data.py."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
OBSERVABILITY = REPO / "deploy" / "observability"
DASHBOARDS = sorted((OBSERVABILITY / "grafana" / "dashboards").glob("*.json"))


def _load(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text(encoding="utf-8"))  # type: ignore[no-any-return]


def test_there_are_dashboards() -> None:
    assert len(DASHBOARDS) >= 4


def test_dashboard_uids_are_unique_and_stable() -> None:
    uids = [_load(path)["uid"] for path in DASHBOARDS]
    assert len(set(uids)) == len(uids)
    assert [f"{uid}.json" for uid in uids] == [path.name for path in DASHBOARDS]


@pytest.mark.parametrize("path", DASHBOARDS, ids=lambda p: p.name)
def test_every_panel_queries_prometheus_through_the_datasource_variable(path: Path) -> None:
    dashboard = _load(path)
    variables = {v["name"] for v in dashboard["templating"]["list"]}
    assert {"datasource", "job"} <= variables
    assert dashboard["panels"]
    for panel in dashboard["panels"]:
        assert panel["targets"], panel["title"]
        for target in panel["targets"]:
            assert target["datasource"]["uid"] == "${datasource}", panel["title"]
            # Generic over services: filtered by the `job` variable, never a fixed name.
            assert 'job=~"$job"' in target["expr"], panel["title"]


def test_compose_grafana_provisions_the_dashboards(compose: dict[str, Any]) -> None:
    grafana = compose["services"]["grafana"]
    provider = yaml.safe_load(
        (REPO / "deploy/docker/grafana/provisioning/dashboards/careflow.yaml").read_text()
    )
    path = provider["providers"][0]["options"]["path"]
    assert f"./deploy/observability/grafana/dashboards:{path}:ro" in grafana["volumes"]


def test_compose_prometheus_loads_the_alert_rules(compose: dict[str, Any]) -> None:
    prometheus = compose["services"]["prometheus"]
    config = yaml.safe_load((REPO / "deploy/docker/prometheus.yml").read_text())
    assert (
        "./deploy/observability/prometheus/rules:/etc/prometheus/rules:ro"
        in (prometheus["volumes"])
    )
    assert config["rule_files"] == ["/etc/prometheus/rules/*.yml"]


def test_kubernetes_has_a_sidecar_configmap_per_dashboard_and_one_for_the_rules() -> None:
    kustomization = yaml.safe_load((OBSERVABILITY / "kustomization.yaml").read_text())
    generated = {
        Path(file).name: generator
        for generator in kustomization["configMapGenerator"]
        for file in generator["files"]
    }
    for path in DASHBOARDS:
        assert generated[path.name]["options"]["labels"] == {"grafana_dashboard": "1"}
    rules = {p.name for p in (OBSERVABILITY / "prometheus" / "rules").glob("*.yml")}
    assert rules <= set(generated)
