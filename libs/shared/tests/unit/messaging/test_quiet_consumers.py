"""Consumers of quiet topics fetch with a longer wait; everything else stays as set."""

from __future__ import annotations

from careflow.shared.settings import ConsumerSettings


def test_quiet_settings_change_only_the_fetch_wait() -> None:
    settings = ConsumerSettings(fetch_max_wait_ms=40, quiet_fetch_max_wait_ms=700, max_workers=3)
    quiet = settings.quiet()
    assert quiet.fetch_max_wait_ms == 700
    assert quiet.model_dump(exclude={"fetch_max_wait_ms"}) == settings.model_dump(
        exclude={"fetch_max_wait_ms"}
    )
    assert settings.fetch_max_wait_ms == 40  # the busy topic's settings are untouched
