"""Prometheus alert and recording rules (deploy/observability/prometheus): valid, and
every alert unit-tested with promtool, firing on its condition and silent without it."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from careflow.testing.prometheus import binary

PROMETHEUS = Path(__file__).resolve().parents[2] / "deploy" / "observability" / "prometheus"
RULE_FILES = sorted((PROMETHEUS / "rules").glob("*.yml"))
TEST_FILES = sorted((PROMETHEUS / "tests").glob("*.yml"))


def _load(path: Path) -> dict[str, Any]:
    return yaml.safe_load(path.read_text(encoding="utf-8"))  # type: ignore[no-any-return]


def _alerts() -> set[str]:
    return {
        rule["alert"]
        for path in RULE_FILES
        for group in _load(path)["groups"]
        for rule in group["rules"]
        if "alert" in rule
    }


def _promtool(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [binary("promtool"), *args], cwd=cwd, capture_output=True, text=True, timeout=120
    )


def test_there_are_rules_and_rule_tests() -> None:
    assert RULE_FILES, "no rule file under deploy/observability/prometheus/rules"
    assert TEST_FILES, "no promtool test under deploy/observability/prometheus/tests"


@pytest.mark.parametrize("path", RULE_FILES, ids=lambda p: p.name)
def test_promtool_checks_the_rules(path: Path) -> None:
    result = _promtool("check", "rules", str(path), cwd=path.parent)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("path", TEST_FILES, ids=lambda p: p.name)
def test_promtool_rule_unit_tests_pass(path: Path) -> None:
    result = _promtool("test", "rules", path.name, cwd=path.parent)
    assert result.returncode == 0, result.stdout + result.stderr


def test_every_rule_file_is_unit_tested() -> None:
    tested = {
        (path.parent / name).resolve()
        for path in TEST_FILES
        for name in _load(path).get("rule_files", [])
    }
    assert {path.resolve() for path in RULE_FILES} <= tested


def test_every_alert_is_tested_both_firing_and_silent() -> None:
    firing: set[str] = set()
    silent: set[str] = set()
    for path in TEST_FILES:
        for case in _load(path)["tests"]:
            for check in case.get("alert_rule_test", []):
                (firing if check.get("exp_alerts") else silent).add(check["alertname"])
    alerts = _alerts()
    assert alerts, "no alert rule found"
    assert alerts - firing == set(), "alerts never shown to fire"
    assert alerts - silent == set(), "alerts never shown to stay silent"
    assert (firing | silent) - alerts == set(), "tests of alerts that do not exist"


def test_every_alert_says_how_urgent_and_what_it_means() -> None:
    for path in RULE_FILES:
        for group in _load(path)["groups"]:
            for rule in group["rules"]:
                if "alert" in rule:
                    assert rule["labels"]["severity"] in {"page", "ticket"}, rule["alert"]
                    assert {"summary", "description"} <= set(rule["annotations"]), rule["alert"]
