"""Shared facts and loaders for the deployment-file tests (compose, k8s, images).

These tests read files and never start containers, so they run on a machine
without Docker or a cluster.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
K8S = REPO / "deploy" / "k8s"

# The deployables are what exists under services/ (one distribution each), not a
# list kept here: every test taking a `service` argument runs once for each, so a
# service without a manifest fails, and the tests comparing a file's list of
# services with this one fail for a manifest whose service does not exist.
SERVICES = tuple(sorted(path.parent.name for path in (REPO / "services").glob("*/pyproject.toml")))


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "service" in metafunc.fixturenames:
        metafunc.parametrize("service", SERVICES)


@pytest.fixture(scope="session")
def repo() -> Path:
    return REPO


@pytest.fixture(scope="session")
def services() -> tuple[str, ...]:
    return SERVICES


@pytest.fixture(scope="session")
def compose() -> dict[str, Any]:
    return yaml.safe_load((REPO / "docker-compose.yml").read_text(encoding="utf-8"))


@pytest.fixture(scope="session")
def generate_topics() -> ModuleType:
    """deploy/k8s/generate_topics.py, imported from its path (deploy/ is not a package)."""
    path = K8S / "generate_topics.py"
    spec = importlib.util.spec_from_file_location("careflow_deploy_generate_topics", path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
