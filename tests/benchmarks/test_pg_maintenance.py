"""The case-flow bench's autovacuum record: each job placed in the phase it ran in."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

_PATH = Path(__file__).resolve().parents[2] / "benchmarks" / "pg_maintenance.py"
_SPEC = importlib.util.spec_from_file_location("pg_maintenance", _PATH)
assert _SPEC is not None
assert _SPEC.loader is not None
maintenance = importlib.util.module_from_spec(_SPEC)
sys.modules["pg_maintenance"] = maintenance  # dataclasses look their module up by name
_SPEC.loader.exec_module(maintenance)

VACUUM_INBOX = "workqueue: autovacuum: VACUUM public.inbox"
ANALYZE_CASES = "intake: autovacuum: ANALYZE public.cases"


def test_each_job_is_given_in_its_phase_with_first_and_last_sighting_from_the_phase_start():
    marks = {"the burst": 100.0, "the after-burst phase": 130.0}
    seen = [
        (99.0, ANALYZE_CASES),  # before any phase: not reported
        (128.0, VACUUM_INBOX),
        (131.5, VACUUM_INBOX),
        (133.0, VACUUM_INBOX),
        (140.0, ANALYZE_CASES),
    ]
    summary = maintenance.summarise(seen, marks)
    assert summary == {
        "the burst": {VACUUM_INBOX: [28.0, 28.0]},
        "the after-burst phase": {VACUUM_INBOX: [1.5, 3.0], ANALYZE_CASES: [10.0, 10.0]},
    }
    lines = maintenance.lines(summary)
    assert lines[0] == (
        f"autovacuum during the burst (s from its start): {VACUUM_INBOX} at 28.0-28.0 s"
    )
    assert f"{VACUUM_INBOX} at 1.5-3.0 s" in lines[1]


def test_a_phase_without_autovacuum_says_so():
    summary = maintenance.summarise([], {"the latency run": 10.0})
    assert maintenance.lines(summary) == ["autovacuum during the latency run: none seen"]
