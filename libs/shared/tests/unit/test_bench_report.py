"""The benchmark's pure parts: percentiles, ratios, target decisions, the table."""

from __future__ import annotations

import json
import math

import pytest

from careflow.bench.plan import Plan
from careflow.bench.report import (
    MET,
    NO_TARGET,
    NOT_MEASURED,
    NOT_MET,
    Row,
    Target,
    json_safe,
    latency_summary,
    pair_latencies,
    percentile,
    ratio,
    render_table,
    stage_breakdown,
    summary,
)
from careflow.bench.results import details, table_rows


class TestPercentile:
    def test_interpolates_between_closest_ranks(self):
        values = list(range(1, 101))  # 1..100
        assert percentile(values, 50) == pytest.approx(50.5)
        assert percentile(values, 99) == pytest.approx(99.01)
        assert percentile(values, 90) == pytest.approx(90.1)

    def test_extremes_are_min_and_max(self):
        values = [7.0, 3.0, 9.0]
        assert percentile(values, 0) == 3.0
        assert percentile(values, 100) == 9.0

    def test_order_of_input_does_not_matter(self):
        assert percentile([5, 1, 4, 2, 3], 50) == 3
        assert percentile([10, 0], 25) == pytest.approx(2.5)

    def test_single_value(self):
        assert percentile([42.0], 99) == 42.0

    def test_no_values_is_an_error(self):
        with pytest.raises(ValueError, match="no values"):
            percentile([], 50)

    @pytest.mark.parametrize("q", [-1, 100.5])
    def test_out_of_range_is_an_error(self, q):
        with pytest.raises(ValueError, match=r"within 0\.\.100"):
            percentile([1, 2], q)

    def test_lost_events_count_as_infinitely_late(self):
        values = [0.01] * 98 + [math.inf] * 2
        assert percentile(values, 50) == 0.01
        assert math.isinf(percentile(values, 99))
        assert percentile([math.inf, math.inf], 50) == math.inf  # not nan


class TestRatio:
    def test_careflow_over_raw(self):
        assert ratio(3_000, 12_000) == pytest.approx(0.25)
        assert ratio(150.0, 50.0) == pytest.approx(3.0)

    @pytest.mark.parametrize(("careflow", "raw"), [(None, 1.0), (1.0, None), (1.0, 0.0)])
    def test_missing_or_zero_side_gives_none(self, careflow, raw):
        assert ratio(careflow, raw) is None


class TestTargets:
    def test_at_least_includes_the_threshold(self):
        target = Target(">=", 3_000)
        assert target.met(3_000) is True
        assert target.met(2_999.9) is False
        assert target.met(10_000) is True

    def test_below_excludes_the_threshold(self):
        target = Target("<", 100)
        assert target.met(99.9) is True
        assert target.met(100) is False
        assert target.met(math.inf) is False

    def test_nothing_measured_is_undecided(self):
        assert Target("<", 2).met(None) is None
        assert Target("<", 2).met(math.nan) is None

    def test_row_result_labels(self):
        assert Row("x", "ev/s", 5_000, target=Target(">=", 3_000)).result == MET
        assert Row("x", "ev/s", 2_000, target=Target(">=", 3_000)).result == NOT_MET
        assert Row("x", "ev/s", 2_000).result == NO_TARGET
        assert Row("x", "ms", None, target=Target("<", 100)).result == NOT_MEASURED

    def test_summary_counts_only_rows_with_targets(self):
        rows = [
            Row("a", "ev/s", 5_000, target=Target(">=", 3_000)),
            Row("b", "ms", 250.0, target=Target("<", 100)),
            Row("c", "ms", 1.0),
        ]
        assert summary(rows) == "1/2 targets met"


class TestTable:
    ROWS = (
        Row("publish throughput", "ev/s", 7_116.4, 24_701.2, Target(">=", 3_000)),
        Row("commit->consume p99 @500/s", "ms", 312.25, 104.1, Target("<", 100), decimals=1),
        Row("idle relay CPU", "% core", 0.1, None, Target("<", 2), decimals=2),
        Row("consume throughput", "ev/s", 298.0, 6_284.0),
    )

    def test_columns_line_up(self):
        lines = render_table(self.ROWS).splitlines()
        header, rule, *body = lines
        assert header.split(" | ")[0].strip() == "metric"
        separators = [i for i, ch in enumerate(header) if ch == "|"]
        assert len(separators) == 5
        assert [i for i, ch in enumerate(rule) if ch == "+"] == separators
        for line in body:
            assert [i for i, ch in enumerate(line) if ch == "|"] == separators
            metric, careflow, *_ = line.split(" | ")
            assert not metric.startswith(" ")  # names left-aligned
            assert not careflow.endswith(" ")  # figures right-aligned

    def test_cells_show_values_ratio_target_and_decision(self):
        table = render_table(self.ROWS)
        cells = {
            line.split("|")[0].strip(): [c.strip() for c in line.split("|")[1:]]
            for line in table.splitlines()[2:]
        }
        assert cells["publish throughput"] == [
            "7,116 ev/s",
            "24,701 ev/s",
            "0.29x",
            ">= 3,000 ev/s",
            MET,
        ]
        assert cells["commit->consume p99 @500/s"] == [
            "312.2 ms",
            "104.1 ms",
            "3.00x",
            "< 100 ms",
            NOT_MET,
        ]
        assert cells["idle relay CPU"] == ["0.10 % core", "-", "-", "< 2 % core", MET]
        assert cells["consume throughput"][-2:] == ["-", NO_TARGET]

    def test_lost_events_show_and_fail(self):
        row = Row("p99", "ms", math.inf, 20.0, Target("<", 100), decimals=1)
        line = render_table([row]).splitlines()[-1]
        assert "never (lost)" in line
        assert line.rstrip().endswith(NOT_MET)


class TestLatencies:
    def test_pairs_only_keys_seen_on_both_sides(self):
        sent = {("a", 0): 10.0, ("a", 1): 10.5, ("b", 0): 11.0}
        received = {("a", 0): 10.02, ("b", 0): 11.5, ("c", 9): 1.0}
        assert sorted(pair_latencies(sent, received)) == pytest.approx([0.02, 0.5])

    def test_summary_in_milliseconds(self):
        result = latency_summary([0.010, 0.020, 0.030])
        assert result["p50_ms"] == pytest.approx(20.0)
        assert result["max_ms"] == pytest.approx(30.0)

    def test_summary_counts_lost_events(self):
        result = latency_summary([0.01] * 9, lost=1)
        assert math.isinf(result["p99_ms"])
        assert result["p50_ms"] == pytest.approx(10.0)

    def test_json_safe_turns_infinity_into_null(self):
        data = {"p99_ms": math.inf, "runs": ({"x": math.nan}, 1.5)}
        assert json.loads(json.dumps(json_safe(data), allow_nan=False)) == {
            "p99_ms": None,
            "runs": [{"x": None}, 1.5],
        }


def _results(p99_at_500: float) -> dict:
    def run(rate: float, p99: float) -> dict:
        return {"rate": rate, "p50_ms": p99 / 2, "p99_ms": p99}

    return {
        "relay": {
            "runs": [
                {"batch_size": 500, "events_per_s": 2_500.0},
                {"batch_size": 1000, "events_per_s": 4_000.0},
            ]
        },
        "idle": {"percent_of_core": 0.5},
        "careflow": {
            "consume_events_per_s": 300.0,
            "latency": [run(100.0, 300.0), run(500.0, p99_at_500)],
        },
        "raw": {
            "publish_events_per_s": 20_000.0,
            "consume_events_per_s": 6_000.0,
            "latency": [run(100.0, 250.0), run(500.0, 50.0)],
        },
    }


class TestTableRows:
    def test_targets_apply_to_the_configured_batch_and_judged_rate_only(self):
        rows = {row.metric: row for row in table_rows(_results(80.0), Plan())}
        assert rows["publish throughput (relay batch 500)"].result == NOT_MET
        assert rows["publish throughput (relay batch 1000)"].result == NO_TARGET
        assert rows["commit->consume p99 @100/s"].result == NO_TARGET
        assert rows["commit->consume p99 @500/s"].result == MET
        assert rows["commit->consume p99 @500/s"].ratio == pytest.approx(80.0 / 50.0)
        assert rows["idle relay CPU"].result == MET

    def test_slow_p99_at_the_judged_rate_is_not_met(self):
        rows = {row.metric: row for row in table_rows(_results(150.0), Plan())}
        assert rows["commit->consume p99 @500/s"].result == NOT_MET


class TestStageBreakdown:
    def test_splits_each_trip_into_stages(self):
        sent = {("a", 1): 10.000, ("b", 2): 20.000}
        # handled, arrived, done, created
        stamps = {
            ("a", 1): (10.060, 10.050, 10.070, 10.010),
            ("b", 2): (20.060, 20.050, 20.070, 20.010),
        }
        stages = stage_breakdown(sent, stamps)
        assert stages["send_to_broker"]["p50_ms"] == pytest.approx(10.0)
        assert stages["broker_to_consumer"]["p99_ms"] == pytest.approx(40.0)
        assert stages["to_handler"]["max_ms"] == pytest.approx(10.0)
        assert stages["handler_to_done"]["p50_ms"] == pytest.approx(10.0)

    def test_ignores_events_the_consumer_never_reported(self):
        stages = stage_breakdown({("a", 1): 1.0}, {("b", 1): (2.0, 2.0, 2.0, 2.0)})
        assert stages["send_to_broker"] == {"p50_ms": None, "p99_ms": None, "max_ms": None}


class TestDetails:
    def test_reports_the_consumer_process_relay_passes_and_stages(self):
        results = _results(80.0)
        results["relay"]["runs"] = [
            {
                **run,
                "events": 100,
                "seconds": 1.0,
                "cpu_ms_per_1000_events": 100.0,
                "backlog_write_events_per_s": 9_000.0,
            }
            for run in results["relay"]["runs"]
        ]
        results["idle"].update(cpu_s=0.01, seconds=20.0)
        stage = {"p50_ms": 1.0, "p99_ms": 2.0, "max_ms": 3.0}
        for side in ("careflow", "raw"):
            results[side]["consumer_process"] = {"backlog_events": 2_000, "cpu_ms_per_event": 2.5}
            for run in results[side]["latency"]:
                run.update(events=800, achieved_rate=run["rate"], max_ms=5.0, lost=0)
                run["consumer_process"] = {
                    "cpu_ms_per_event": 2.0,
                    "percent_of_core": 90.0,
                    "consumed_events_per_s": 450.0,
                }
                run["stages"] = dict.fromkeys(
                    ("send_to_broker", "broker_to_consumer", "to_handler", "handler_to_done"), stage
                )
        results["careflow"]["latency"][1]["relay"] = {
            "passes": 40,
            "rows_per_pass": 12.5,
            "pass_ms": {"p50_ms": 8.0, "p99_ms": 30.0},
        }
        text = "\n".join(details(results))
        assert "CareFlow consumer process, backlog of 2,000: 300 events/s, 2.50 ms CPU" in text
        assert "CareFlow @500/s relay: 40 passes, 12.5 rows per pass" in text
        assert "broker_to_consumer 1.0/2.0" in text
