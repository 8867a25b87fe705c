"""Pure parts of the case-flow benchmark: the send schedule, per-run figures, table rows.

Nothing here touches a server or a clock, so tests cover it without timing anything.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from careflow.bench.report import Row, Target, latency_summary

SUSTAINED_TARGET = Target(">=", 300)  # submissions/s, for 60 s
# Issue 15: the sustained rate as a share of the raw FastStream consume rate of the same run
# (the machine's speed that hour), and a floor in a run whose baseline is a fast hour's.
RAW_SHARE_TARGET = Target(">=", 0.2)
FAST_HOUR_RAW = 3000.0  # events/s: raw baselines at or above this judge the floor
FAST_HOUR_TARGET = Target(">=", 450)  # submissions/s
# The sustained phase offers this much above what the targets need: offered exactly at a
# target, a run fails on scheduling jitter alone.
OFFER_MARGIN = 1.1
P99_TARGET = Target("<", 150)  # ms, submission -> visible in the work queue, at 200/s offered
RSS_TARGET = Target("<", 200)  # MB, each service process
NO_ERRORS = Target("<", 1)  # non-201 answers, failed requests, submissions never visible


# Overload (issue 15): offered OVERLOAD_FACTOR x the sustained run's rate for the
# plan's overload seconds, then the latency rate again right after the burst.
OVERLOAD_FACTOR = 3.0
ANSWER_BUDGET_S = 1.0  # every request answered (2xx or 503) within this, from when it was due
OVERLOAD_P99_TARGET = Target("<", 1000)  # ms, accepted submission -> visible, in the burst
RECOVERED_P99_MS = 150.0
RECOVERY_TARGET = Target("<", 10)  # s after the burst until the p99 from then on < 150 ms
RECOVERY_WINDOW_S = 0.5
# The p99 "from then on" covers at least this much of the after-burst phase: over less, a
# p99 is the worst of a handful.
RECOVERY_TAIL_S = 5.0


@dataclass(frozen=True)
class Plan:
    """How much load each phase applies (`--quick` shrinks the durations only)."""

    latency_rate: float = 200.0
    latency_seconds: float = 30.0
    # Offered above the target: offered exactly at 300/s, a run could never show more than
    # the offered rate and would fail on scheduling jitter alone.
    sustained_rate: float = 330.0
    sustained_seconds: float = 60.0
    warmup_seconds: float = 3.0
    visible_within: float = 60.0  # after the last send; later counts as never visible
    overload_seconds: float = 30.0
    after_overload_seconds: float = 15.0  # at latency_rate, right after the burst
    # The overload phase's connections opened by its first requests (a storm of new
    # connections at intake) instead of before the burst (see benchmarks/case_flow.py).
    cold_connections: bool = False
    # --sustained-rate given: offer exactly that, whatever the raw baseline.
    sustained_rate_fixed: bool = False
    quick: bool = False

    def sustained_offer(self, raw_consume: float | None) -> float:
        """What the sustained phase offers: a run can show no more than it is offered, so
        at least what issue 15's targets need on this run's raw baseline, with a margin."""
        if self.sustained_rate_fixed or not raw_consume:
            return self.sustained_rate
        needed = RAW_SHARE_TARGET.value * raw_consume
        if raw_consume >= FAST_HOUR_RAW:
            needed = max(needed, FAST_HOUR_TARGET.value)
        return max(self.sustained_rate, math.ceil(needed * OFFER_MARGIN))

    @classmethod
    def quick_plan(cls) -> Plan:
        return cls(
            latency_seconds=3.0,
            sustained_seconds=3.0,
            warmup_seconds=1.0,
            overload_seconds=3.0,
            after_overload_seconds=3.0,
            quick=True,
        )


def overload_offsets(burst_rate: float, burst_s: float, after_rate: float, after_s: float):
    """The burst's send offsets, then the normal rate's, starting where the burst ends."""
    return schedule(burst_rate, burst_s) + [burst_s + o for o in schedule(after_rate, after_s)]


def overload_summary(submissions: Sequence[Submission], burst_s: float) -> dict[str, Any]:
    """The overload targets' figures: answers within the budget, accepted p99 in the burst,
    accepted never visible, and the seconds after the burst until the p99 stays low."""
    if not submissions:
        raise ValueError("no submissions")
    t0 = min(s.due for s in submissions)
    burst = [s for s in submissions if s.due - t0 < burst_s]
    accepted = [s for s in submissions if s.status == 201 and s.case_id]
    refused = sum(1 for s in submissions if s.status == 503)
    unanswered = sum(
        1
        for s in submissions
        if s.status not in (201, 503) or s.answered is None or s.answered - s.due > ANSWER_BUDGET_S
    )
    # Where an answer's time went beyond the budget: waiting in the load generator for a
    # free connection (intake holding all of them), or at intake once sent.
    late = [
        s
        for s in submissions
        if s.answered is not None and s.answered - s.due > ANSWER_BUDGET_S and s.sent is not None
    ]
    late_at_intake = sum(1 for s in late if s.answered - s.sent > ANSWER_BUDGET_S)  # type: ignore[operator]
    # Late answers per second of the run (by due time): spread over the burst they point at
    # queueing, a few seconds of them at a stall.
    late_by_second: dict[int, int] = {}
    for s in late:
        second = int(s.due - t0)
        late_by_second[second] = late_by_second.get(second, 0) + 1
    waits = [s.sent - s.due for s in submissions if s.sent is not None]
    burst_accepted = [s for s in burst if s.status == 201 and s.case_id]
    lost = sum(1 for s in accepted if s.visible is None)
    in_burst = [s.visible - s.due for s in burst_accepted if s.visible is not None]
    burst_summary = latency_summary(in_burst, sum(1 for s in burst_accepted if s.visible is None))
    # Windows of the time after the burst, by due time; a window with nothing accepted
    # (all refused) or any accepted submission lost has not recovered.
    after = [s for s in submissions if s.due - t0 >= burst_s]
    end = max((s.due - t0 for s in after), default=burst_s)
    windows = max(1, math.ceil((end - burst_s) / RECOVERY_WINDOW_S))
    recovered_from = 0.0
    window_p99s: list[float | None] = []
    for w in range(windows):
        lo = burst_s + w * RECOVERY_WINDOW_S
        p99 = _visible_p99([s for s in after if lo <= s.due - t0 < lo + RECOVERY_WINDOW_S])
        window_p99s.append(p99)
        if p99 is None or p99 >= RECOVERED_P99_MS:
            recovered_from = (w + 1) * RECOVERY_WINDOW_S
    # The target's reading: the first window start from which the p99 of every submission
    # due after it is under the bound. The per-window figure above asks every 0.5 s window's
    # p99 (about the worst of 100 at 200/s) to be under it, so one slow moment anywhere in
    # the phase (a checkpoint, a collection) moves it to the phase's end.
    p99_under_from = end - burst_s  # not within what was watched
    for w in range(windows):
        lo = burst_s + w * RECOVERY_WINDOW_S
        if end - lo < RECOVERY_TAIL_S:
            break
        p99 = _visible_p99([s for s in after if s.due - t0 >= lo])
        if p99 is not None and p99 < RECOVERED_P99_MS:
            p99_under_from = w * RECOVERY_WINDOW_S
            break
    return {
        "offered_rate": len(burst) / burst_s,
        "seconds": burst_s,
        "submissions": len(submissions),
        "accepted_in_burst": len(burst_accepted),
        "refused_503": refused,
        "not_answered_within_budget": unanswered,
        "late_answers_over_budget_at_intake": late_at_intake,
        "late_answers_over_budget_waiting_to_send": len(late) - late_at_intake,
        "failed_or_not_sent": sum(1 for s in submissions if s.answered is None),
        "waited_for_a_connection_ms": latency_summary(waits, 0),
        "late_answers_by_second": dict(sorted(late_by_second.items())),
        "never_visible": lost,
        "burst_accepted_p99_ms": burst_summary["p99_ms"],
        "burst_accepted_max_ms": burst_summary["max_ms"],
        # The whole after-burst phase still bad: "recovered" only past its end, if ever.
        "recovered_after_s": recovered_from,
        "p99_under_target_from_s": p99_under_from,
        "after_burst_window_p99_ms": window_p99s,
        "observed_after_s": end - burst_s,
    }


def _visible_p99(submissions: Sequence[Submission]) -> float | None:
    """p99 ms from due to visible; a refused or never visible submission counts as
    infinitely late."""
    ok = [s.visible - s.due for s in submissions if s.status == 201 and s.visible is not None]
    return latency_summary(ok, len(submissions) - len(ok))["p99_ms"]


@dataclass
class Submission:
    """One POST /forms: when it was due (monotonic s), its answer, when its item showed."""

    due: float
    status: int | None = None  # None: the request itself failed (timeout, connection)
    case_id: str | None = None
    visible: float | None = None
    answered: float | None = None
    error: str | None = None  # why the request failed (the exception's type, or NotSent)
    sent: float | None = None


# Where a submission's time goes, from the bench's own stamps and the databases'
# (PostgreSQL now() is the transaction's start; the relay's published_at is its pass's).
STAGES = (
    ("answered", "POST /forms due -> answered (waiting at intake, handling, commit)"),
    ("relay", "intake's transaction start -> relay pass that published the event"),
    ("to_handler", "relay pass -> workqueue's handler ran (publish, broker, fetch)"),
    ("seen", "workqueue's handler -> the bench saw the committed item"),
)
#: Per case id, monotonic seconds: (intake tx start, relay pass start, workqueue handler).
Stamps = dict[str, tuple[float, float, float]]


def stage_breakdown(
    submissions: Sequence[Submission], stamps: Stamps
) -> dict[str, dict[str, float | None]]:
    """p50/p99/max ms of each stage over the submissions seen end to end."""
    spans: dict[str, list[float]] = {name: [] for name, _ in STAGES}
    for s in submissions:
        if s.case_id not in stamps or s.answered is None or s.visible is None:
            continue
        started, relayed, handled = stamps[s.case_id]
        spans["answered"].append(s.answered - s.due)
        spans["relay"].append(relayed - started)
        spans["to_handler"].append(handled - relayed)
        spans["seen"].append(s.visible - handled)
    return {name: latency_summary(values) for name, values in spans.items()}


def schedule(rate: float, seconds: float) -> list[float]:
    """Send offsets (s) of an open-loop load: one every 1/rate s, whatever came back."""
    if rate <= 0 or seconds <= 0:
        raise ValueError("rate and duration must be positive")
    return [i / rate for i in range(max(1, round(rate * seconds)))]


def spread_rate(times: Sequence[float]) -> float:
    """Events per second between the first and the last of `times`; nan for fewer than two."""
    if len(times) < 2:
        return math.nan
    span = max(times) - min(times)
    return (len(times) - 1) / span if span > 0 else math.nan


def summarise(submissions: Sequence[Submission], rate: float, seconds: float) -> dict[str, Any]:
    """Figures of one run. Latency runs from the moment a submission was due, so a
    backed-up load generator or API shows as latency rather than hiding it."""
    accepted = [s for s in submissions if s.status == 201 and s.case_id]
    rejected = sum(1 for s in submissions if s.status is not None and s.status != 201)
    failed = sum(1 for s in submissions if s.status is None)
    failures: dict[str, int] = {}
    for s in submissions:
        if s.status is None:
            failures[s.error or "unknown"] = failures.get(s.error or "unknown", 0) + 1
    visible = [s for s in accepted if s.visible is not None]
    lost = len(accepted) - len(visible)
    latencies = [s.visible - s.due for s in visible if s.visible is not None]
    return {
        "offered_rate": rate,
        "seconds": seconds,
        "submissions": len(submissions),
        "accepted": len(accepted),
        "rejected": rejected,
        "failed_requests": failed,
        "failures": failures,
        "never_visible": lost,
        "errors": rejected + failed + lost,
        "visible_per_s": spread_rate([s.visible for s in visible if s.visible is not None]),
        **latency_summary(latencies, lost),
    }


def rows(results: dict[str, Any]) -> list[Row]:
    latency, sustained = results["latency"], results["sustained"]
    raw = results.get("raw") or {}
    raw_run = (raw.get("latency") or [{}])[0]
    rss = results["rss_mb"]
    rate = sustained["offered_rate"]
    table = [
        Row(
            f"submissions visible/s, {rate:.0f}/s offered for {sustained['seconds']:.0f} s",
            "sub/s",
            sustained["visible_per_s"],
            raw.get("consume_events_per_s"),
            SUSTAINED_TARGET,
        ),
        Row(
            "that rate's share of the raw consume rate",
            "x",
            _share(sustained["visible_per_s"], raw.get("consume_events_per_s")),
            None,
            RAW_SHARE_TARGET,
            decimals=2,
        ),
        Row(
            f"that rate, judged when raw >= {FAST_HOUR_RAW:,.0f} ev/s",
            "sub/s",
            sustained["visible_per_s"]
            if (raw.get("consume_events_per_s") or 0) >= FAST_HOUR_RAW
            else None,
            None,
            FAST_HOUR_TARGET,
        ),
        Row(
            f"errors in that run (of {sustained['submissions']:,})",
            "",
            sustained["errors"],
            None,
            NO_ERRORS,
        ),
        Row(
            f"submission->visible p50 @{latency['offered_rate']:.0f}/s",
            "ms",
            latency["p50_ms"],
            raw_run.get("p50_ms"),
            decimals=1,
        ),
        Row(
            f"submission->visible p99 @{latency['offered_rate']:.0f}/s",
            "ms",
            latency["p99_ms"],
            raw_run.get("p99_ms"),
            P99_TARGET,
            decimals=1,
        ),
        Row(f"submission->visible p99 @{rate:.0f}/s", "ms", sustained["p99_ms"], decimals=1),
    ]
    if overload := results.get("overload"):
        rate = overload["offered_rate"]
        table += [
            Row(
                f"overload {rate:.0f}/s for {overload['seconds']:.0f} s: not answered "
                f"(2xx/503) within {ANSWER_BUDGET_S:.0f} s",
                "",
                overload["not_answered_within_budget"],
                None,
                NO_ERRORS,
            ),
            Row(
                "overload: accepted submission->visible p99",
                "ms",
                overload["burst_accepted_p99_ms"],
                raw_run.get("p99_ms"),
                OVERLOAD_P99_TARGET,
                decimals=1,
            ),
            Row("overload: accepted never visible", "", overload["never_visible"], None, NO_ERRORS),
            Row(
                f"overload: s after the burst until the p99 from then on < "
                f"{RECOVERED_P99_MS:.0f} ms",
                "s",
                overload.get("p99_under_target_from_s"),
                None,
                RECOVERY_TARGET,
                decimals=1,
            ),
        ]
    table += [
        Row(f"{name} RSS (peak)", "MB", rss.get(name), None, RSS_TARGET, decimals=1)
        for name in ("intake", "workqueue")
    ]
    return table


def _share(rate: float | None, raw: float | None) -> float | None:
    return None if rate is None or not raw else rate / raw


def details(results: dict[str, Any]) -> list[str]:
    lines = []
    for name in ("latency", "sustained"):
        run = results[name]
        lines.append(
            f"{name} run: {run['submissions']:,} submissions offered at "
            f"{run['offered_rate']:.0f}/s "
            f"(sent at {run.get('sent_rate', math.nan):.0f}/s), {run['accepted']:,} accepted, "
            f"{run['rejected']} rejected, {run['failed_requests']} failed requests, "
            f"{run['never_visible']} never visible; max {_ms(run['max_ms'])} ms; "
            f"CPU (% of one core, the machine has {results.get('cpus', '?')}): load generator "
            f"{run.get('generator_cpu_percent', math.nan):.0f}%"
            + "".join(f", {name} {pct:.0f}%" for name, pct in run.get("cpu_percent", {}).items())
            + "".join(f"; {n} x {kind}" for kind, n in run.get("failures", {}).items())
        )
        if per := run.get("cpu_ms_per_accepted"):
            lines.append(
                f"{name} run CPU-ms per accepted submission: "
                + ", ".join(f"{n} {ms:.2f}" for n, ms in per.items())
            )
    if overload := results.get("overload"):
        lines.append(
            f"overload run: {overload['submissions']:,} submissions ({overload['seconds']:.0f} s "
            f"at {overload['offered_rate']:.0f}/s = {OVERLOAD_FACTOR:.0f}x the sustained run's "
            f"rate, then {overload['observed_after_s']:.0f} s at the latency rate), "
            f"{overload['accepted_in_burst']:,} accepted in the burst, "
            f"{overload['refused_503']:,} refused with 503; accepted max "
            f"{_ms(overload['burst_accepted_max_ms'])} ms; its "
            + (
                "connections opened before the burst"
                if overload.get("connections_opened_first", False)
                else "connections opened by the burst's first requests"
            )
        )
        if (waited := overload.get("waited_for_a_connection_ms")) is not None:
            lines.append(
                "overload answers over 1 s: "
                f"{overload['late_answers_over_budget_at_intake']:,} slow at intake once sent, "
                f"{overload['late_answers_over_budget_waiting_to_send']:,} late from waiting in "
                f"the load generator for a free connection (wait p50/p99 "
                f"{_ms(waited['p50_ms'])}/{_ms(waited['p99_ms'])} ms), "
                f"{overload['failed_or_not_sent']:,} failed or never sent"
            )
        if (windows := overload.get("after_burst_window_p99_ms")) is not None:
            lines.append(
                f"overload recovery, stricter reading: every later {RECOVERY_WINDOW_S} s "
                f"window's p99 < {RECOVERED_P99_MS:.0f} ms from "
                f"{overload['recovered_after_s']:.1f} s after the burst; window p99s (ms): "
                + " ".join(_ms(p99) for p99 in windows)
            )
        if by_second := overload.get("late_answers_by_second"):
            lines.append(
                "overload answers over 1 s by second of the run (due time): "
                + ", ".join(f"{second}s {count}" for second, count in by_second.items())
            )
    for name in ("latency", "sustained"):
        stages = results[name].get("stages")
        if stages:
            parts = ", ".join(
                f"{stage} {_ms(stages[stage]['p50_ms'])}/{_ms(stages[stage]['p99_ms'])}"
                for stage, _ in STAGES
                if stages[stage]["p50_ms"] is not None
            )
            lines.append(f"{name} run stages p50/p99 ms: {parts}")
    if sampling := results.get("trace_sampling"):
        lines.append(
            "trace sampling (parent-based ratio, TELEMETRY__SAMPLE_RATIO): "
            + ", ".join(f"{n} {ratio:g}" for n, ratio in sampling.items())
        )
    lines.append("stages: " + "; ".join(f"{name} = {text}" for name, text in STAGES))
    raw = results.get("raw")
    if raw:
        run = (raw.get("latency") or [{}])[0]
        lines.append(
            f"raw FastStream baseline (same broker, no services): publish "
            f"{raw['publish_events_per_s']:,.0f} ev/s, consume {raw['consume_events_per_s']:,.0f}"
            f" ev/s (backlog); publish->consume p50/p99 {_ms(run.get('p50_ms'))}/"
            f"{_ms(run.get('p99_ms'))} ms at {run.get('rate', math.nan):.0f}/s"
        )
    else:
        lines.append(f"raw FastStream baseline not measured: {results.get('raw_error', '?')}")
    lines.append(
        "latency = item visible in workqueue's database (seen by a poll every 20 ms) minus the "
        "moment the POST /forms was due; everything (PostgreSQL, Tansu, both services, the load "
        "generator) on this one machine."
    )
    return lines


def _ms(value: float | None) -> str:
    if value is None or math.isnan(value):
        return "-"
    return "never" if math.isinf(value) else f"{value:,.1f}"
