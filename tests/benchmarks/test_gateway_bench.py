"""The gateway benchmark's table: targets apply to what the gateway adds, not to its total."""

from __future__ import annotations

import sys
from pathlib import Path

from careflow.bench.report import MET, NOT_MET

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))

from gateway import render, table


def results(gateway_p50: float, gateway_p99: float, errors: int = 0) -> dict[str, object]:
    return {
        "rate": 500,
        "direct": {"p50_ms": 1.0, "p99_ms": 4.0, "errors": 0},
        "gateway": {"p50_ms": gateway_p50, "p99_ms": gateway_p99, "errors": errors},
        "gateway_cpu_ms_per_request": 0.8,
    }


def test_added_latency_is_judged_against_the_targets():
    rows = table(results(gateway_p50=3.5, gateway_p99=13.0))
    assert rows[1][3] == "2.50 ms"
    assert rows[1][-1] == MET
    assert rows[2][3] == "9.00 ms"
    assert rows[2][-1] == MET
    late = table(results(gateway_p50=4.5, gateway_p99=14.5))
    assert [late[1][-1], late[2][-1]] == [NOT_MET, NOT_MET]


def test_errors_fail_the_run_and_the_table_renders_aligned():
    rows = table(results(gateway_p50=2.0, gateway_p99=5.0, errors=3))
    assert rows[-1][-1] == NOT_MET
    lines = render(rows).splitlines()
    assert len({len(line.split(" | ")) for line in lines if " | " in line}) == 1
