"""The case-flow benchmark's pure parts: schedule, per-run figures, table rows and targets."""

from __future__ import annotations

import importlib.util
import math
import sys
from pathlib import Path

import pytest

from careflow.bench.report import MET, NO_TARGET, NOT_MEASURED, NOT_MET, render_table

_PATH = Path(__file__).resolve().parents[2] / "benchmarks" / "case_flow_report.py"
_SPEC = importlib.util.spec_from_file_location("case_flow_report", _PATH)
assert _SPEC is not None
assert _SPEC.loader is not None
report = importlib.util.module_from_spec(_SPEC)
sys.modules["case_flow_report"] = report  # dataclasses look their module up by name
_SPEC.loader.exec_module(report)
Submission = report.Submission


def test_the_schedule_sends_one_every_interval_whatever_came_back():
    offsets = report.schedule(200.0, 2.0)
    assert len(offsets) == 400
    assert offsets[:3] == pytest.approx([0.0, 0.005, 0.010])
    assert offsets[-1] == pytest.approx(1.995)


@pytest.mark.parametrize(("rate", "seconds"), [(0, 1), (10, 0), (-1, 5)])
def test_a_schedule_needs_a_positive_rate_and_duration(rate, seconds):
    with pytest.raises(ValueError, match="positive"):
        report.schedule(rate, seconds)


def test_the_rate_spans_first_to_last_event():
    # 301 events exactly 1/300 s apart: 300/s, not 301/s and not capped by rounding.
    times = [10.0 + i / 300 for i in range(301)]
    assert report.spread_rate(times) == pytest.approx(300.0)
    assert math.isnan(report.spread_rate([1.0]))
    assert math.isnan(report.spread_rate([2.0, 2.0]))


def test_latency_runs_from_when_a_submission_was_due_not_when_it_was_sent():
    done = [Submission(float(i), 201, f"c{i}", visible=i + 0.1) for i in range(99)]
    late = Submission(due=99.0, status=201, case_id="late", visible=99.0 + 2.0)
    result = report.summarise([*done, late], rate=1.0, seconds=100)
    assert result["p50_ms"] == pytest.approx(100.0)
    assert result["max_ms"] == pytest.approx(2000.0)
    assert result["errors"] == 0


def test_errors_are_refusals_failed_requests_and_submissions_never_visible():
    runs = [
        Submission(0.0, 201, "a", 0.05),
        Submission(0.1, 422),  # refused
        Submission(0.2, None),  # timeout or connection error
        Submission(0.3, 201, "lost", None),  # accepted, never in the queue
    ]
    result = report.summarise(runs, rate=10.0, seconds=0.4)
    assert (result["rejected"], result["failed_requests"], result["never_visible"]) == (1, 1, 1)
    assert result["errors"] == 3
    assert math.isinf(result["p99_ms"])  # a lost submission is infinitely late


def _results(visible_per_s: float, p99_ms: float, errors: int, rss: float) -> dict:
    run = {
        "offered_rate": 200.0,
        "seconds": 30.0,
        "submissions": 6000,
        "accepted": 6000,
        "rejected": 0,
        "failed_requests": 0,
        "never_visible": 0,
        "errors": 0,
        "visible_per_s": 200.0,
        "p50_ms": p99_ms / 3,
        "p99_ms": p99_ms,
        "max_ms": p99_ms * 2,
    }
    sustained = run | {
        "offered_rate": 330.0,
        "seconds": 60.0,
        "submissions": 19800,
        "visible_per_s": visible_per_s,
        "errors": errors,
    }
    return {
        "latency": run,
        "sustained": sustained,
        "rss_mb": {"intake": rss, "workqueue": 150.0},
        "raw": {
            "publish_events_per_s": 25_000.0,
            "consume_events_per_s": 6_000.0,
            "latency": [{"rate": 200.0, "p50_ms": 20.0, "p99_ms": 60.0}],
        },
    }


def _by_metric(results: dict) -> dict:
    return {row.metric.split(",")[0].split(" (")[0]: row for row in report.rows(results)}


def test_every_target_is_judged_on_its_own_figure():
    rows = _by_metric(_results(visible_per_s=320.0, p99_ms=140.0, errors=0, rss=120.0))
    assert rows["submissions visible/s"].result == MET
    assert rows["errors in that run"].result == MET
    assert rows["submission->visible p99 @200/s"].result == MET
    assert rows["submission->visible p99 @200/s"].raw == 60.0
    assert rows["submission->visible p50 @200/s"].result == NO_TARGET
    assert rows["submission->visible p99 @330/s"].result == NO_TARGET
    assert rows["intake RSS"].result == MET


def test_slow_lossy_or_heavy_runs_are_not_met():
    rows = _by_metric(_results(visible_per_s=290.0, p99_ms=250.0, errors=1, rss=200.0))
    assert rows["submissions visible/s"].result == NOT_MET
    assert rows["errors in that run"].result == NOT_MET
    assert rows["submission->visible p99 @200/s"].result == NOT_MET  # < 250, not <=
    assert rows["that rate's share of the raw consume rate"].result == NOT_MET  # 290 / 6,000
    assert rows["intake RSS"].result == NOT_MET
    assert rows["workqueue RSS"].result == MET


def test_a_missing_raw_baseline_leaves_its_column_empty_and_says_why():
    results = _results(visible_per_s=310.0, p99_ms=100.0, errors=0, rss=100.0)
    results["raw"], results["raw_error"] = None, "TimeoutError: raw backlog drain"
    table = render_table(report.rows(results))
    assert "submissions visible/s" in table
    assert any("not measured: TimeoutError" in line for line in report.details(results))


def test_an_unmeasured_rss_is_not_counted_as_met():
    results = _results(visible_per_s=310.0, p99_ms=100.0, errors=0, rss=100.0)
    results["rss_mb"] = {"intake": None, "workqueue": 150.0}
    assert _by_metric(results)["intake RSS"].result == NOT_MEASURED


def test_each_stage_of_a_trip_is_measured_between_its_own_stamps():
    trip = Submission(10.0, 201, "c1", visible=10.200, answered=10.030)
    stamps = {"c1": (10.010, 10.050, 10.150)}  # intake tx start, relay pass, handler
    untracked = Submission(11.0, 201, "c2", visible=11.5, answered=11.1)  # no stamps
    stages = report.stage_breakdown([trip, untracked], stamps)
    assert stages["answered"]["p50_ms"] == pytest.approx(30.0)
    assert stages["relay"]["p50_ms"] == pytest.approx(40.0)
    assert stages["to_handler"]["p50_ms"] == pytest.approx(100.0)
    assert stages["seen"]["p50_ms"] == pytest.approx(50.0)
    results = _results(310.0, 100.0, 0, 100.0)
    results["latency"] = results["latency"] | {"stages": stages}
    text = "\n".join(report.details(results))
    assert "latency run stages p50/p99 ms: answered 30.0/30.0, relay 40.0/40.0" in text


def _answered(due: float, status: int, latency: float, visible: float | None = None) -> Submission:
    case = f"c{due}" if status == 201 else None
    seen = None if status != 201 else due + (latency if visible is None else visible)
    return Submission(due, status, case, visible=seen, answered=due + latency)


def test_the_overload_burst_is_offered_then_the_normal_rate_right_after_it():
    offsets = report.overload_offsets(30.0, 2.0, 10.0, 1.0)
    assert len(offsets) == 60 + 10
    assert offsets[59] < 2.0 <= offsets[60]


def test_overload_counts_late_answers_and_lost_submissions_and_times_the_recovery():
    burst = [_answered(i / 10, 201 if i % 2 else 503, 0.05) for i in range(20)]  # 2 s
    late = Submission(0.05, 201, "late", visible=3.0, answered=1.6)  # answered after 1.55 s
    late.sent = 0.5  # 0.45 s waiting for a connection, then 1.1 s at intake
    lost = Submission(0.07, 201, "lost", visible=None, answered=0.1)
    # After the burst: slow until 2.5 s, fast from then on (0.5 s windows).
    after = [_answered(2.0 + i / 10, 201, 0.3 if i < 5 else 0.02) for i in range(20)]
    result = report.overload_summary([*burst, late, lost, *after], burst_s=2.0)
    assert result["not_answered_within_budget"] == 1
    assert result["late_answers_over_budget_at_intake"] == 1
    assert result["late_answers_over_budget_waiting_to_send"] == 0
    assert result["never_visible"] == 1
    assert result["refused_503"] == 10
    assert math.isinf(result["burst_accepted_p99_ms"])  # the lost one is infinitely late
    assert result["recovered_after_s"] == pytest.approx(0.5)


def test_an_answer_late_only_from_waiting_for_a_connection_is_told_apart():
    waited = Submission(0.0, 201, "waited", visible=2.0, answered=1.5)
    waited.sent = 1.2  # intake answered within 0.3 s of getting it
    quick = Submission(0.1, 503, None, answered=0.2)
    quick.sent = 0.1
    result = report.overload_summary([waited, quick], burst_s=1.0)
    assert result["not_answered_within_budget"] == 1
    assert result["late_answers_over_budget_at_intake"] == 0
    assert result["late_answers_over_budget_waiting_to_send"] == 1
    assert result["waited_for_a_connection_ms"]["max_ms"] == pytest.approx(1200.0)
    assert result["late_answers_by_second"] == {0: 1}


def test_recovery_is_the_p99_from_then_on_and_one_slow_moment_later_does_not_undo_it():
    burst = [_answered(i / 10, 201, 0.05) for i in range(10)]  # 1 s
    # 10 s at 100/s after it: slow for 2 s, then fast, one slow submission at 8 s.
    after = [
        _answered(1.0 + i / 100, 201, 0.4 if i < 200 or i == 700 else 0.02) for i in range(1000)
    ]
    result = report.overload_summary([*burst, *after], burst_s=1.0)
    assert result["p99_under_target_from_s"] == pytest.approx(2.0)
    # The stricter per-window reading ends at the window of the one slow submission.
    assert result["recovered_after_s"] == pytest.approx(7.5)
    assert len(result["after_burst_window_p99_ms"]) == 20


def test_recovery_not_reached_while_five_seconds_of_the_phase_remain_is_not_recovery():
    burst = [_answered(i / 10, 201, 0.05) for i in range(10)]
    after = [_answered(1.0 + i / 100, 201, 0.4 if i < 700 else 0.02) for i in range(1000)]
    result = report.overload_summary([*burst, *after], burst_s=1.0)
    assert result["p99_under_target_from_s"] == pytest.approx(result["observed_after_s"])


def test_an_after_burst_window_where_everything_is_refused_has_not_recovered():
    burst = [_answered(i / 10, 201, 0.05) for i in range(10)]
    after = [_answered(1.0 + i / 10, 503, 0.01) for i in range(10)]
    result = report.overload_summary([*burst, *after], burst_s=1.0)
    assert result["recovered_after_s"] == pytest.approx(1.0)  # never, within what was watched
    assert result["not_answered_within_budget"] == 0


def test_the_overload_targets_show_beside_the_raw_baseline_when_the_phase_ran():
    results = _results(320.0, 120.0, 0, 150.0)
    results["overload"] = {
        "offered_rate": 600.0,
        "seconds": 30.0,
        "not_answered_within_budget": 0,
        "burst_accepted_p99_ms": 1500.0,
        "never_visible": 0,
        "recovered_after_s": 12.0,
        "p99_under_target_from_s": 4.0,
    }
    table = {row.metric.split(":")[-1].strip(): row for row in report.rows(results)}
    assert table["accepted submission->visible p99"].met is False
    assert table["accepted submission->visible p99"].raw is not None
    assert table["accepted never visible"].met is True
    assert table["s after the burst until the p99 from then on < 150 ms"].met is True


def test_issue_15_judges_the_sustained_rate_against_the_raw_consume_rate_of_the_run():
    results = _results(visible_per_s=1250.0, p99_ms=149.0, errors=0, rss=100.0)
    rows = _by_metric(results)
    assert rows["that rate's share of the raw consume rate"].careflow == 1250.0 / 6000.0
    assert rows["that rate's share of the raw consume rate"].result == MET
    assert rows["that rate"].result == MET  # raw 6,000 >= 3,000: the 450/s floor applies
    assert rows["submission->visible p99 @200/s"].result == MET  # < 150

    results["raw"]["consume_events_per_s"] = 2_999.0
    rows = _by_metric(results)
    assert rows["that rate"].result == NOT_MEASURED  # a slow hour's baseline: not judged
    results["sustained"]["visible_per_s"] = 440.0
    results["raw"]["consume_events_per_s"] = 3_000.0
    assert _by_metric(results)["that rate"].result == NOT_MET
    assert _by_metric(results)["submission->visible p99 @200/s"].target.value == 150


@pytest.mark.parametrize(
    ("raw", "offer"),
    [
        (None, 330.0),  # no baseline: the plan's rate
        (1_000.0, 330.0),  # 0.2x = 200: the plan's 330 is more
        (2_733.0, 602.0),  # 0.2x = 546.6, x1.1
        (3_000.0, 660.0),  # 0.2x = 600 > 450
        (3_100.0, 682.0),
    ],
)
def test_the_sustained_phase_offers_what_the_targets_need_on_the_runs_baseline(raw, offer):
    assert report.Plan().sustained_offer(raw) == offer


def test_a_fixed_sustained_rate_is_offered_whatever_the_baseline():
    plan = report.Plan(sustained_rate=250.0, sustained_rate_fixed=True)
    assert plan.sustained_offer(6_000.0) == 250.0
