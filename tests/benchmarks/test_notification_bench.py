"""The notification benchmark's pure parts: counting a provider's busiest second, and the
table's targets (a limit may be reached, never passed; a lost notification never passes)."""

from __future__ import annotations

import math
import sys
from pathlib import Path

import pytest

from careflow.bench.report import MET, NOT_MET

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))

from notification_load import busiest_clock_second, busiest_second
from notification_report import AtMost, table_rows


def test_the_busiest_second_slides_across_clock_seconds():
    # 3 just before a clock second ends and 3 just after: 3 per clock second, 6 in 0.2 s.
    stamps = [10.9, 10.95, 10.99, 11.0, 11.05, 11.1]
    assert busiest_clock_second(stamps) == 3
    assert busiest_second(stamps) == 6


def test_messages_exactly_one_second_apart_share_no_window():
    assert busiest_second([1.0, 2.0, 3.0]) == 1
    assert busiest_second([]) == 0


def test_a_limit_may_be_reached_but_not_passed():
    assert AtMost("<=", 50).met(50)
    assert not AtMost("<=", 50).met(51)
    assert AtMost("<=", 50).met(None) is None


def window(busiest: int) -> dict[str, int]:
    return {"received": 10, "busiest_sliding_1s": busiest, "busiest_clock_1s": busiest}


def results(*, rate: float, p99: float, busiest: int) -> dict:  # type: ignore[type-arg]
    windows = {"email": window(busiest), "sms": window(busiest)}
    channels = {"p50_ms": 10.0, "p99_ms": p99, "max_ms": p99}
    return {
        "limits": {"email": 400, "sms": 400},
        "latency": {
            "p50_ms": 10.0,
            "p99_ms": p99,
            "lost": 0,
            "channels": {"email": channels, "sms": channels},
            "windows": windows,
        },
        "throughput": {
            "events": 100,
            "notifications_per_s": rate,
            "messages_per_s": {"email": rate, "sms": rate},
            "delivered": 100,
            "windows": windows,
        },
        "tight": {"limits": {"email": 50, "sms": 30}, "windows": windows},
        "duplicates": {},
    }


def judged(rows) -> dict[str, str]:  # type: ignore[no-untyped-def]
    return {row.metric: row.result for row in rows if row.target is not None}


def test_the_targets_are_judged_on_the_measured_figures():
    good = judged(table_rows(results(rate=410, p99=290, busiest=30), 200))
    assert set(good.values()) == {MET}
    bad = judged(table_rows(results(rate=390, p99=310, busiest=401), 200))
    assert [k for k, v in bad.items() if v == MET] == []  # 401 > 400 and > 50 and > 30


@pytest.mark.parametrize("p99", [math.inf])
def test_a_lost_notification_fails_the_latency_target(p99):
    rows = table_rows(results(rate=410, p99=p99, busiest=1), 200)
    [latency] = [r for r in rows if r.metric.startswith("event->delivered p99")]
    assert latency.result == NOT_MET


def test_the_raw_baseline_of_the_same_run_is_printed_beside_the_figures():
    measured = results(rate=410, p99=100, busiest=1) | {
        "raw": {"consume_events_per_s": 3100.0, "latency": [{"p99_ms": 41.0}]}
    }
    rows = {row.metric: row for row in table_rows(measured, 200)}
    throughput = rows["notifications/s, backlog of 100 (each email + SMS)"]
    assert (throughput.careflow, throughput.raw) == (410, 3100.0)
    latency = rows["event->delivered p99 @200/s (both channels)"]
    assert (latency.careflow, latency.raw) == (100, 41.0)
