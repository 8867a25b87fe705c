"""The reminders benchmark's table: targets judged from the figures, a phase that did not
finish is "not measured", never met."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from careflow.bench.report import MET, NOT_MEASURED, NOT_MET

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))

from reminders import Plan, rows


def results(**moves: Any) -> dict[str, Any]:
    return {
        "load_s": 2.5,
        "lateness": {
            "sends": 4000,
            "lateness_s": {"p50_ms": 40.0, "p99_ms": 999.0},
            "arrival_s": {"p50_ms": 90.0, "p99_ms": 1100.0},
        },
        "moves": {
            "moves": 2500,
            "moves_per_minute": 10_000.0,
            "burst_moves": 10_000,
            "applied_per_minute": 10_000.0,
            "requests": 300,
            "withdrawals": 20,
            "stale_sends": 0,
            "requested_not_on_topic": 0,
            "consumed_after_last_move_s": 1.0,
            "due_sends_never_claimed": 0,
            "reminders_without_resident": 0,
        }
        | moves,
        "rss_mb": 199.0,
        "raw": {"latency": [{"p99_ms": 40.0}]},
    }


def judged(found: dict[str, Any]) -> dict[str, str]:
    return {row.metric: row.result for row in rows(found, Plan()) if row.target is not None}


def test_every_target_met_just_inside_its_bound() -> None:
    assert set(judged(results()).values()) == {MET}


def test_one_stale_send_or_a_lagging_service_fails_its_target() -> None:
    found = judged(results(stale_sends=1, applied_per_minute=None))
    assert found["stale sends after moves"] == NOT_MET
    assert found["booking moves recomputed (10,000 at once)"] == NOT_MEASURED


def test_lateness_is_judged_to_emission_and_the_arrival_sits_beside_the_raw_baseline() -> None:
    table = rows(results(), Plan())
    (late,) = [r for r in table if r.metric.startswith("lateness p99")]
    (arrival,) = [r for r in table if r.metric.startswith("send time -> read by a consumer")]
    assert (late.careflow, late.met) == (999.0, True)
    assert (arrival.careflow, arrival.raw) == (1100.0, 40.0)
