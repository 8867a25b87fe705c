"""Every service's settings load from exactly what docker-compose.yml gives it.

For each service under services/: the image's environment (service.Dockerfile),
then the compose `environment:` with its ${...} interpolation resolved as Compose
does on a machine with no .env file, and each <SETTING>_FILE pointing at a
secret the service mounts, whose content `make compose-secrets` writes. Its
Settings must then load under ENVIRONMENT=compose, where the development
defaults (dev keys, no database URL, the SMS file sink) are refused.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from pathlib import Path
from types import ModuleType, SimpleNamespace
from typing import Any
from urllib.parse import urlsplit

import pytest

from careflow.shared.settings import ServiceSettings

SECRETS_MOUNT = "/run/secrets/"
# ${NAME}, ${NAME:-default}, ${NAME-default}, ${NAME:?error}, ${NAME?error}; $$ is a literal $.
_INTERPOLATION = re.compile(
    r"\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?])([^}]*))?\}|\$([A-Za-z_]\w*)"
)


def interpolate(value: str, variables: Mapping[str, str]) -> str:
    def replace(match: re.Match[str]) -> str:
        if match.group(0) == "$$":
            return "$"
        name = match.group(1) or match.group(4)
        operator, argument = match.group(2), match.group(3)
        present = name in variables and (
            variables[name] != "" or not (operator or "").startswith(":")
        )
        if present:
            return variables[name]
        if operator in (":-", "-"):
            return argument
        raise AssertionError(
            f"${{{name}}} is unset and has no default: Compose would fail or use ''"
        )

    return _INTERPOLATION.sub(replace, value)


def _mounted_secrets(definition: dict[str, Any]) -> dict[str, str]:
    """Mount path under /run/secrets -> top-level secret name."""
    mounted = {}
    for entry in definition.get("secrets", []):
        if isinstance(entry, str):
            mounted[SECRETS_MOUNT + entry] = entry
        else:
            target = entry.get("target", entry["source"])
            mounted[target if target.startswith("/") else SECRETS_MOUNT + target] = entry["source"]
    return mounted


@pytest.fixture(scope="session")
def compose_secrets(helpers: SimpleNamespace, repo: Path) -> ModuleType:
    return helpers.load_script(repo / "deploy/docker/compose_secrets.py")


@pytest.fixture(scope="session")
def secrets_dir(
    compose_secrets: ModuleType, compose: dict[str, Any], tmp_path_factory: pytest.TempPathFactory
) -> Path:
    directory = tmp_path_factory.mktemp("compose-secrets")
    compose_secrets.write_secrets(directory, compose)
    return directory


def compose_environment(
    compose: dict[str, Any], service: str, secrets_dir: Path, helpers: SimpleNamespace
) -> dict[str, str]:
    """The service container's environment; secret paths point into `secrets_dir`."""
    definition = compose["services"][service]
    env = dict(helpers.image_environment(service))
    raw = definition.get("environment", {})
    if isinstance(raw, list):
        raw = dict(item.split("=", 1) for item in raw)
    mounted = _mounted_secrets(definition)
    declared = compose.get("secrets", {})
    for key, value in raw.items():
        value = interpolate(str(value), {})
        if key.endswith("_FILE") and value.startswith(SECRETS_MOUNT):
            assert value in mounted, f"{service}: {key} names {value}, which it does not mount"
            assert mounted[value] in declared, f"{service}: secret {mounted[value]} undeclared"
            value = str(secrets_dir / mounted[value])
        env[key] = value
    return env


def test_compose_secrets_all_live_in_the_ignored_secrets_directory(
    compose: dict[str, Any], compose_secrets: ModuleType, repo: Path
) -> None:
    names = compose_secrets.secret_names(compose)
    assert names
    ignore = (repo / "deploy/docker/secrets/.gitignore").read_text(encoding="utf-8").splitlines()
    assert "*" in ignore  # nothing written there can be committed


def test_every_secret_is_mounted_by_some_container(compose: dict[str, Any]) -> None:
    used = {
        source
        for definition in compose["services"].values()
        for source in _mounted_secrets(definition).values()
    }
    assert used == set(compose["secrets"])


def test_the_script_keeps_existing_secrets_and_writes_readable_files(
    compose_secrets: ModuleType, compose: dict[str, Any], tmp_path: Path
) -> None:
    written = compose_secrets.write_secrets(tmp_path, compose)
    assert set(written) == set(compose["secrets"])
    before = {path.name: path.read_text() for path in tmp_path.iterdir()}
    assert compose_secrets.write_secrets(tmp_path, compose) == []
    assert {path.name: path.read_text() for path in tmp_path.iterdir()} == before
    # The services run as uid 10001 and Compose mounts files as they are.
    assert all(path.stat().st_mode & 0o777 == 0o644 for path in tmp_path.iterdir())
    assert tmp_path.stat().st_mode & 0o777 == 0o700
    # Generated, so no two environments share a password.
    other = tmp_path / "other"
    compose_secrets.write_secrets(other, compose)
    assert (other / "postgres-password").read_text() != before["postgres-password"]


def test_service_settings_load_under_compose(
    compose: dict[str, Any],
    service: str,
    secrets_dir: Path,
    helpers: SimpleNamespace,
    settings_from: Callable[[str, Mapping[str, str]], Any],
) -> None:
    env = compose_environment(compose, service, secrets_dir, helpers)
    model = helpers.settings_class(service)
    prefix = service.upper() + "_"
    assert helpers.unknown_settings(model, prefix, env) == []
    settings: ServiceSettings = settings_from(service, env)
    assert settings.environment == "compose"
    assert not settings.is_development()
    assert settings.http_host == "0.0.0.0"
    assert settings.http_port == 8000
    assert settings.broker.bootstrap_servers == "kafka:9092"
    assert settings.database.service_role() == service
    url = urlsplit(settings.database.url.get_secret_value())
    owner = urlsplit(settings.database.migration_url.get_secret_value())
    assert (url.hostname, url.port, url.path) == ("postgres", 5432, f"/{service}")
    assert (owner.username, owner.hostname, owner.path) == (
        f"{service}_owner",
        "postgres",
        url.path,
    )
    password = (secrets_dir / "postgres-password").read_text().strip()
    assert url.password == owner.password == password


def test_secret_settings_come_only_from_files(
    compose: dict[str, Any], service: str, secrets_dir: Path, helpers: SimpleNamespace
) -> None:
    env = compose_environment(compose, service, secrets_dir, helpers)
    prefix = service.upper() + "_"
    for path in helpers.secret_settings(helpers.settings_class(service)):
        assert prefix + path not in env, f"{prefix}{path} is a secret: use {prefix}{path}_FILE"


def test_a_service_missing_its_database_secret_refuses_to_start(
    compose: dict[str, Any],
    service: str,
    secrets_dir: Path,
    helpers: SimpleNamespace,
    settings_from: Callable[[str, Mapping[str, str]], Any],
) -> None:
    env = compose_environment(compose, service, secrets_dir, helpers)
    del env[f"{service.upper()}_DATABASE__URL_FILE"]
    with pytest.raises(ValueError, match=r"(?i)database.url"):
        settings_from(service, env)


def test_services_with_a_resident_id_key_share_one_secret(
    compose: dict[str, Any], services: tuple[str, ...], secrets_dir: Path, helpers: SimpleNamespace
) -> None:
    # intake and notification must derive the same pseudonymous resident_id.
    sources = {}
    for service in services:
        if "resident_id_key" in helpers.settings_class(service).model_fields:
            env = compose_environment(compose, service, secrets_dir, helpers)
            sources[service] = env.get(f"{service.upper()}_RESIDENT_ID_KEY_FILE")
    assert len(sources) >= 2
    assert None not in sources.values(), sources
    assert len(set(sources.values())) == 1, sources


def test_interpolation_follows_compose() -> None:
    assert interpolate("a${X:-d}b", {}) == "adb"
    assert interpolate("${X:-d}", {"X": ""}) == "d"
    assert interpolate("${X-d}", {"X": ""}) == ""
    assert interpolate("$${X}", {}) == "${X}"
    assert interpolate("${X}", {"X": "v"}) == "v"
    with pytest.raises(AssertionError, match="unset"):
        interpolate("${X}", {})


def test_a_misspelt_or_unknown_setting_is_caught(helpers: SimpleNamespace) -> None:
    # The settings ignore unknown variables (extra="ignore"), so this check is what
    # stops a typo from silently leaving a default in place.
    model = helpers.settings_class("notification")
    env = {
        "NOTIFICATION_DATABSE__URL": "x",
        "NOTIFICATION_SMTP__HOSTNAME": "x",
        "NOTIFICATION_SMTP__HOST": "mailpit",
        "NOTIFICATION_SMS__TOKEN_FILE": "/run/secrets/t",
        "NOTIFICATION_AUTH__PUBLIC_KEYS__KID1": "pem",
        "OTHER_PREFIX": "ignored",
    }
    assert sorted(helpers.unknown_settings(model, "NOTIFICATION_", env)) == [
        "NOTIFICATION_DATABSE__URL",
        "NOTIFICATION_SMTP__HOSTNAME",
    ]
