"""The service's collector policy (GcSettings) is applied with the start-up freeze."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest

from careflow.shared.service.gc_tuning import freeze_startup_objects
from careflow.shared.settings import GcSettings, ServiceSettings


@pytest.fixture
def restored_gc() -> Iterator[None]:
    before = gc.get_threshold()
    yield
    gc.unfreeze()
    gc.set_threshold(*before)


def test_the_thresholds_of_the_settings_are_set_and_the_start_up_objects_frozen(
    restored_gc: None,
) -> None:
    freeze_startup_objects(GcSettings(threshold0=10_000, threshold1=20, threshold2=30))
    assert gc.get_threshold() == (10_000, 20, 30)
    assert gc.get_freeze_count() > 0


def test_a_service_keeps_the_interpreters_thresholds_unless_told(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert ServiceSettings().gc == GcSettings(threshold0=700, threshold1=10, threshold2=10)
    monkeypatch.setenv("CAREFLOW_GC__THRESHOLD0", "5000")
    assert ServiceSettings().gc.threshold0 == 5000
