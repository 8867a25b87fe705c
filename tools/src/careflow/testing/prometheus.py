"""Finding the Prometheus binaries the observability tests run (never a skip)."""

from __future__ import annotations

import shutil

import pytest

INSTALL_HINT = "run tools/scripts/ensure-prometheus.sh (`make test` does) to install them"


def binary(name: str) -> str:
    """The path of `prometheus` or `promtool`; fails the test, naming the fix, if absent."""
    path = shutil.which(name)
    if path is None:
        pytest.fail(f"{name} is not on PATH: {INSTALL_HINT}", pytrace=False)
    return path
