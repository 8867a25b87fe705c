"""The image each service is built from: two phases, non-root, health-checked, one CMD."""

from __future__ import annotations

import json
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest


@dataclass
class Stage:
    name: str | None
    base: str
    instructions: list[tuple[str, str]] = field(default_factory=list)

    def all(self, keyword: str) -> list[str]:
        return [args for instr, args in self.instructions if instr == keyword]


def parse_dockerfile(text: str) -> tuple[dict[str, str], list[Stage]]:
    """Global ARG defaults and the stages, with line continuations joined."""
    logical: list[str] = []
    pending = ""
    for raw in text.splitlines():
        line = raw.strip()
        if not pending and (not line or line.startswith("#")):
            continue
        if line.startswith("#"):
            continue
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        logical.append(pending + line)
        pending = ""
    global_args: dict[str, str] = {}
    stages: list[Stage] = []
    for line in logical:
        keyword, _, args = line.partition(" ")
        keyword, args = keyword.upper(), args.strip()
        if keyword == "FROM":
            match = re.fullmatch(r"(?:--platform=\S+\s+)?(\S+)(?:\s+AS\s+(\S+))?", args, re.I)
            assert match, f"unparsed FROM: {args}"
            stages.append(Stage(name=match.group(2), base=match.group(1)))
        elif not stages:
            if keyword == "ARG" and "=" in args:
                key, value = args.split("=", 1)
                global_args[key] = value
        else:
            stages[-1].instructions.append((keyword, args))
    return global_args, stages


def chain(stages: list[Stage], name: str) -> list[Stage]:
    """The stage called `name` and the stages it is built FROM, base first."""
    by_name = {stage.name: stage for stage in stages if stage.name}
    result = [by_name[name]]
    while result[0].base in by_name:
        result.insert(0, by_name[result[0].base])
    return result


def last(stages: list[Stage], keyword: str) -> str | None:
    values = [value for stage in stages for value in stage.all(keyword)]
    return values[-1] if values else None


@pytest.fixture
def dockerfile(compose: dict[str, Any], repo: Path, service: str) -> Path:
    path = repo / compose["services"][service]["build"].get("dockerfile", "Dockerfile")
    assert path.is_file(), f"{service} builds from missing {path}"
    return path


@pytest.fixture
def service_stages(dockerfile: Path, service: str) -> list[Stage]:
    _, stages = parse_dockerfile(dockerfile.read_text(encoding="utf-8"))
    names = [stage.name for stage in stages]
    assert service in names, f"no stage named {service} in {dockerfile}"
    return chain(stages, service)


def test_service_stage_runs_its_module(service_stages: list[Stage], service: str) -> None:
    cmd = last(service_stages, "CMD")
    assert cmd is not None
    assert json.loads(cmd) == ["python", "-m", f"careflow.{service}"]


def test_service_stage_rejects_a_mismatched_build_arg(
    service_stages: list[Stage], service: str
) -> None:
    runs = service_stages[-1].all("RUN")
    assert f'test "${{CAREFLOW_SERVICE}}" = {service}' in runs


def test_service_stage_listens_on_all_interfaces(service_stages: list[Stage], service: str) -> None:
    env = " ".join(value for stage in service_stages for value in stage.all("ENV"))
    assert f"{service.upper()}_HTTP_HOST=0.0.0.0" in env


def test_image_runs_as_a_non_root_user(service_stages: list[Stage]) -> None:
    user = last(service_stages, "USER")
    assert user is not None, "no USER: the container would run as root"
    name = user.split(":")[0]
    assert name not in {"root", "0"}
    # Numeric, so that Kubernetes can verify runAsNonRoot.
    assert name.isdigit()


def test_image_uid_matches_the_kubernetes_security_context(
    service_stages: list[Stage], repo: Path, service: str
) -> None:
    deployment = (repo / "deploy/k8s/base" / service / "deployment.yaml").read_text()
    user = last(service_stages, "USER")
    assert user is not None
    uid = user.split(":")[0]
    assert f"runAsUser: {uid}" in deployment


def test_image_health_checks_healthz_with_python(service_stages: list[Stage]) -> None:
    healthcheck = last(service_stages, "HEALTHCHECK")
    assert healthcheck is not None
    command = json.loads(healthcheck.split(" CMD ", 1)[1])
    assert command[0] == "python"
    assert "/healthz" in command[-1]


def test_image_exposes_port_8000(service_stages: list[Stage]) -> None:
    assert last(service_stages, "EXPOSE") == "8000"


def test_runtime_copies_the_venv_from_a_separate_builder(
    service_stages: list[Stage], dockerfile: Path
) -> None:
    global_args, stages = parse_dockerfile(dockerfile.read_text(encoding="utf-8"))
    runtime = service_stages[0]
    assert runtime.name != "builder"
    base = re.sub(r"\$\{(\w+)\}", lambda m: global_args[m.group(1)], runtime.base)
    assert base == "python:3.11-slim"
    assert any(copy.startswith("--from=builder /opt/venv") for copy in runtime.all("COPY"))
    builder = next(stage for stage in stages if stage.name == "builder")
    assert re.sub(r"\$\{(\w+)\}", lambda m: global_args[m.group(1)], builder.base) == base


def test_builder_installs_the_runtime_lock_without_editable_lines_then_our_packages(
    dockerfile: Path,
) -> None:
    _, stages = parse_dockerfile(dockerfile.read_text(encoding="utf-8"))
    runs = next(stage for stage in stages if stage.name == "builder").all("RUN")
    assert not any("requirements/lock.txt" in run for run in runs), "the dev lock in an image"
    lock_step = next(i for i, run in enumerate(runs) if "requirements/runtime.txt" in run)
    assert re.search(r"(sed -e '/\^-e|grep -v)", runs[lock_step]), "editable lines kept"
    install = next(i for i, run in enumerate(runs) if "./contracts" in run)
    assert install > lock_step
    assert "./libs/shared" in runs[install]
    assert "./services/${SERVICE}" in runs[install]
    assert "-e " not in runs[install]
    assert "--editable" not in runs[install]


def test_one_final_stage_per_service_and_none_for_another(
    compose: dict[str, Any], repo: Path, services: tuple[str, ...]
) -> None:
    (dockerfile,) = {
        definition["build"]["dockerfile"]
        for definition in compose["services"].values()
        if "build" in definition
    }
    _, stages = parse_dockerfile((repo / dockerfile).read_text(encoding="utf-8"))
    finals = {stage.name for stage in stages} - {"builder", "runtime"}
    assert finals == set(services)


def test_image_never_installs_the_development_tools(dockerfile: Path) -> None:
    _, stages = parse_dockerfile(dockerfile.read_text(encoding="utf-8"))
    builder = next(stage for stage in stages if stage.name == "builder")
    for instruction in builder.all("COPY") + builder.all("RUN"):
        assert "tools" not in re.split(r"[\s/.]+", instruction), instruction
    ignore = Path(str(dockerfile) + ".dockerignore").read_text(encoding="utf-8")
    assert not any(line.startswith("!tools") for line in ignore.splitlines())


def _pins(path: Path) -> dict[str, str]:
    text = path.read_text(encoding="utf-8")
    pins = re.findall(r"^([\w.\-]+)==(\S+)", text, re.M)
    return {name.lower(): version for name, version in pins}


def test_runtime_lock_pins_the_dev_lock_versions_without_the_tools_dependencies(
    repo: Path,
) -> None:
    lock = _pins(repo / "requirements/lock.txt")
    runtime = _pins(repo / "requirements/runtime.txt")
    assert runtime, "runtime.txt pins nothing"
    assert {name: lock.get(name) for name in runtime} == runtime
    tools = tomllib.loads((repo / "tools/pyproject.toml").read_text(encoding="utf-8"))
    only_tools = {
        re.split(r"[<>=\[ ]", requirement, maxsplit=1)[0].lower()
        for requirement in tools["project"]["dependencies"]
        if not requirement.startswith("careflow-")
    }
    assert only_tools
    assert not only_tools & set(runtime)
    editable = re.findall(r"^-e (\S+)", (repo / "requirements/runtime.txt").read_text(), re.M)
    assert "./tools" not in editable
    assert {"./contracts", "./libs/shared"} <= set(editable)


def test_build_context_ignores_local_state(dockerfile: Path) -> None:
    ignore = Path(str(dockerfile) + ".dockerignore")
    if not ignore.exists():
        ignore = dockerfile.parent / ".dockerignore"
    lines = [line.strip() for line in ignore.read_text().splitlines()]
    lines = [line for line in lines if line and not line.startswith("#")]
    assert lines[0] == "*", "the context should be an allow-list"
    for kept_out in (".venv", ".git", "var"):
        assert not any(line.startswith("!") and kept_out in line.split("/") for line in lines)
    assert "**/.venv" in lines
