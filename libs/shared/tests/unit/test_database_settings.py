"""One role or two: which URL migrates, and which role the migration grants to."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from careflow.shared.settings import DatabaseSettings, ServiceSettings, service_config

SERVICE = "postgresql://intake:pw@db:5432/intake"
OWNER = "postgresql://intake_owner:pw@db:5432/intake"


def test_with_one_role_the_service_url_migrates_and_nothing_is_granted() -> None:
    settings = DatabaseSettings(url=SERVICE)

    assert settings.owner_url() == "postgresql+asyncpg://intake:pw@db:5432/intake"
    assert settings.service_role() is None


def test_with_two_roles_the_owner_migrates_and_grants_to_the_url_user() -> None:
    settings = DatabaseSettings(url=SERVICE, migration_url=OWNER)

    assert settings.owner_url() == "postgresql+asyncpg://intake_owner:pw@db:5432/intake"
    assert settings.service_role() == "intake"


def test_the_service_role_cannot_be_the_owner() -> None:
    with pytest.raises(ValidationError, match="same role"):
        DatabaseSettings(url=SERVICE, migration_url=SERVICE.replace("pw", "other"))


def test_a_service_url_without_a_user_cannot_be_granted_to() -> None:
    with pytest.raises(ValidationError, match="must name its user"):
        DatabaseSettings(url="postgresql://db:5432/intake", migration_url=OWNER)


def test_a_settings_error_does_not_quote_the_urls() -> None:
    class Settings(ServiceSettings):
        model_config = service_config("PROBE_")

    with pytest.raises(ValidationError) as error:
        Settings(database={"url": SERVICE, "migration_url": SERVICE})  # type: ignore[arg-type]

    assert "pw" not in str(error.value)


def test_the_default_pool_keeps_a_connection_for_every_admitted_request() -> None:
    from careflow.shared.service.runtime import pool_shortfall
    from careflow.shared.settings import ServiceSettings

    assert pool_shortfall(ServiceSettings(database={"url": "postgresql://x@h/d"})) is None


def test_a_pool_smaller_than_admission_is_named_at_start() -> None:
    from careflow.shared.service.runtime import pool_shortfall
    from careflow.shared.settings import ServiceSettings

    settings = ServiceSettings(database={"url": "postgresql://x@h/d", "pool_size": 20})
    assert "keeps 20 connections" in (pool_shortfall(settings) or "")
