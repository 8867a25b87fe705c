"""Secrets from files (<NAME>_FILE), and settings that refuse to start rather than fall back."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError
from pydantic_settings import SettingsError

from careflow.shared.settings import (
    IMAGE_MARKER,
    ServiceSettings,
    migration_settings,
    service_config,
)

URL = "postgresql+asyncpg://probe:secret-pw@db:5432/probe"


class Settings(ServiceSettings):
    model_config = service_config("PROBE_")


@pytest.fixture(autouse=True)
def _clean(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in (IMAGE_MARKER, "DATABASE_URL"):
        monkeypatch.delenv(name, raising=False)


def test_a_nested_setting_is_read_from_the_file_its_file_variable_names(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    secret = tmp_path / "probe_database_url"
    secret.write_text(URL + "\n", encoding="utf-8")
    monkeypatch.setenv("PROBE_DATABASE__URL_FILE", str(secret))
    monkeypatch.setenv("PROBE_DATABASE__POOL_SIZE", "3")
    settings = Settings()
    assert settings.database.url.get_secret_value() == URL
    assert settings.database.pool_size == 3


def test_a_value_and_its_file_both_set_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    secret = tmp_path / "url"
    secret.write_text(URL, encoding="utf-8")
    monkeypatch.setenv("PROBE_DATABASE__URL_FILE", str(secret))
    monkeypatch.setenv("PROBE_DATABASE__URL", URL)
    with pytest.raises(SettingsError, match="both set"):
        Settings()


def test_a_missing_secret_file_is_refused_without_quoting_anything_secret(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PROBE_DATABASE__URL_FILE", str(tmp_path / "absent"))
    with pytest.raises(SettingsError, match="PROBE_DATABASE__URL_FILE: cannot read"):
        Settings()


def test_a_deployed_image_without_an_environment_refuses_to_start(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv(IMAGE_MARKER, "probe")
    monkeypatch.setenv("PROBE_DATABASE__URL", URL)
    with pytest.raises(ValidationError, match="PROBE_ENVIRONMENT is not set"):
        Settings()
    monkeypatch.setenv("PROBE_ENVIRONMENT", "prod")
    assert Settings().environment == "prod"


def test_outside_development_a_database_url_is_required(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PROBE_ENVIRONMENT", "prod")
    with pytest.raises(ValidationError, match="PROBE_DATABASE__URL must be set"):
        Settings()
    monkeypatch.setenv("PROBE_ENVIRONMENT", "local")
    assert Settings().is_development()


def test_a_refusal_does_not_quote_the_url(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(IMAGE_MARKER, "probe")
    monkeypatch.setenv("PROBE_DATABASE__URL", URL)
    with pytest.raises(ValidationError) as caught:
        Settings()
    assert "secret-pw" not in str(caught.value)


def test_migrations_read_only_the_database_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    # A migration Job gets the two URLs and no other secret; the service's own
    # settings (which would require its keys outside development) are not loaded.
    owner = URL.replace("probe:", "probe_owner:")
    monkeypatch.setenv("PROBE_ENVIRONMENT", "prod")
    monkeypatch.setenv("PROBE_DATABASE__URL", URL)
    monkeypatch.setenv("PROBE_DATABASE__MIGRATION_URL", owner)
    database = migration_settings("PROBE_").database
    assert database.owner_url() == owner
    assert database.service_role() == "probe"


def test_a_migration_job_without_environment_or_url_refuses(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv(IMAGE_MARKER, "probe")
    with pytest.raises(ValidationError, match="PROBE_ENVIRONMENT is not set"):
        migration_settings("PROBE_")
    monkeypatch.setenv("PROBE_ENVIRONMENT", "prod")
    with pytest.raises(ValidationError, match="PROBE_DATABASE__URL must be set"):
        migration_settings("PROBE_")


def test_a_setting_named_like_a_file_variable_is_left_to_itself(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    class WithFile(ServiceSettings):
        model_config = service_config("PROBE_")
        report_file: Path | None = None

    monkeypatch.setenv("PROBE_REPORT_FILE", str(tmp_path / "not-there-yet.json"))
    assert WithFile().report_file == tmp_path / "not-there-yet.json"
