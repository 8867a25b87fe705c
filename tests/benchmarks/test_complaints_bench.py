"""The complaints benchmark's table: each target judged from the run's figures, beside
the raw baseline (a lost complaint or a clinic added twice never passes)."""

from __future__ import annotations

import math
import sys
from pathlib import Path

from careflow.bench.report import MET, NOT_MEASURED, NOT_MET

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))

from complaints_report import rows


def results(**changes: object) -> dict:  # type: ignore[type-arg]
    figures = {
        "latency": {"offered_rate": 100.0, "p50_ms": 40.0, "p99_ms": 120.0},
        "throughput": {
            "offered_rate": 230.0,
            "submissions": 6900,
            "errors": 0,
            "routed_per_s": 228.0,
        },
        "import": {"rows": 100_000, "dry_run_s": 6.0, "apply_s": 12.0, "second_run_applied": 0},
        "raw": {"consume_events_per_s": 3000.0, "latency": [{"p50_ms": 10.0, "p99_ms": 30.0}]},
    }
    for key, value in changes.items():
        part, name = key.split("__")
        figures[part] = figures[part] | {name: value}  # type: ignore[operator]
    return figures


def test_a_run_within_every_target_meets_them_all_and_shows_the_raw_baseline():
    table = rows(results())
    assert [r.result for r in table if r.target] == [MET] * 5
    assert table[0].raw == 3000.0
    assert table[3].raw == 30.0


def test_slow_routing_lost_complaints_a_slow_import_and_a_second_add_fail():
    table = rows(
        results(
            throughput__routed_per_s=150.0,
            throughput__errors=2,
            latency__p99_ms=math.inf,
            import__apply_s=31.0,
            import__second_run_applied=4,
        )
    )
    assert [r.result for r in table if r.target] == [NOT_MET] * 5


def test_a_missing_baseline_is_shown_as_missing_not_as_a_failure():
    table = rows(results(throughput__routed_per_s=math.nan) | {"raw": None})
    assert table[0].result == NOT_MEASURED
    assert table[0].raw is None


def test_a_run_of_one_phase_judges_only_that_phase():
    figures = results()
    del figures["throughput"], figures["import"]
    table = rows(figures)
    assert [r.metric for r in table] == [
        "submitted->routed p50 @100/s",
        "submitted->routed p99 @100/s",
    ]
    assert table[1].result == MET
