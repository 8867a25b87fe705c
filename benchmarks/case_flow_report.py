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
P99_TARGET = Target("<", 250)  # ms, submission -> visible in the work queue, at 200/s offered
RSS_TARGET = Target("<", 200)  # MB, each service process
NO_ERRORS = Target("<", 1)  # non-201 answers, failed requests, submissions never visible


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
    quick: bool = False

    @classmethod
    def quick_plan(cls) -> Plan:
        return cls(latency_seconds=3.0, sustained_seconds=3.0, warmup_seconds=1.0, quick=True)


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
    table += [
        Row(f"{name} RSS (peak)", "MB", rss.get(name), None, RSS_TARGET, decimals=1)
        for name in ("intake", "workqueue")
    ]
    return table


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
    for name in ("latency", "sustained"):
        stages = results[name].get("stages")
        if stages:
            parts = ", ".join(
                f"{stage} {_ms(stages[stage]['p50_ms'])}/{_ms(stages[stage]['p99_ms'])}"
                for stage, _ in STAGES
                if stages[stage]["p50_ms"] is not None
            )
            lines.append(f"{name} run stages p50/p99 ms: {parts}")
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
        "latency = item visible in workqueue's database (seen by a LISTEN-woken poll) minus the "
        "moment the POST /forms was due; everything (PostgreSQL, Tansu, both services, the load "
        "generator) on this one machine."
    )
    return lines


def _ms(value: float | None) -> str:
    if value is None or math.isnan(value):
        return "-"
    return "never" if math.isinf(value) else f"{value:,.1f}"
