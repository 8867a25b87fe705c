"""From measured figures to table rows (with targets) and detail lines."""

from __future__ import annotations

from typing import Any

from careflow.bench.plan import Plan
from careflow.bench.report import STAGES, Row, Target

PUBLISH_TARGET = Target(">=", 3_000)  # events/s, relay batch as configured
P99_TARGET = Target("<", 100)  # ms, at the judged offered rate
IDLE_CPU_TARGET = Target("<", 2)  # % of one core


def _run_at(runs: list[dict[str, Any]], rate: float) -> dict[str, Any]:
    return next((run for run in runs if run["rate"] == rate), {})


def table_rows(results: dict[str, Any], plan: Plan) -> list[Row]:
    relay, idle, cf, raw = (results[k] for k in ("relay", "idle", "careflow", "raw"))
    raw_publish = raw["publish_events_per_s"]
    rows = [
        Row(
            f"publish throughput (relay batch {run['batch_size']})",
            "ev/s",
            run["events_per_s"],
            raw_publish,
            PUBLISH_TARGET if i == 0 else None,
        )
        for i, run in enumerate(relay["runs"])
    ]
    rows.append(
        Row(
            "consume throughput (consumer process, backlog)",
            "ev/s",
            cf["consume_events_per_s"],
            raw["consume_events_per_s"],
        )
    )
    for run in cf["latency"]:
        rate = run["rate"]
        baseline = _run_at(raw["latency"], rate)
        for q in ("p50", "p99"):
            judged = q == "p99" and rate == plan.judged_rate
            rows.append(
                Row(
                    f"commit->consume {q} @{rate:.0f}/s",
                    "ms",
                    run[f"{q}_ms"],
                    baseline.get(f"{q}_ms"),
                    P99_TARGET if judged else None,
                    decimals=1,
                )
            )
    rows.append(
        Row("idle relay CPU", "% core", idle["percent_of_core"], None, IDLE_CPU_TARGET, decimals=2)
    )
    return rows


def details(results: dict[str, Any]) -> list[str]:
    relay, idle, cf, raw = (results[k] for k in ("relay", "idle", "careflow", "raw"))
    lines = [
        f"relay batch {r['batch_size']}: {r['events']:,} events in {r['seconds']:.2f} s, "
        f"{r['cpu_ms_per_1000_events']:.0f} ms CPU (bench process) per 1,000 events; "
        f"backlog written at {r['backlog_write_events_per_s']:,.0f} events/s"
        for r in relay["runs"]
    ]
    for name, side in (("CareFlow", cf), ("raw FastStream", raw)):
        for run in side["latency"]:
            lines.append(
                f"{name} @{run['rate']:.0f}/s: {run['events']:,} events offered "
                f"(achieved {run['achieved_rate']:.0f}/s), max {run['max_ms']:,.1f} ms, "
                f"{run['lost']} not delivered within 60 s of the last send"
            )
    lines += _process_lines(cf, raw)
    lines += [
        f"idle relay: {idle['cpu_s'] * 1000:.0f} ms CPU in {idle['seconds']:.1f} s "
        "(production RelaySettings: 2 s fallback poll)",
        "ratio = CareFlow / raw FastStream. CareFlow latency runs from COMMIT returning to the "
        "consumer handler; raw from publish() to the subscriber (wall clock, one machine). "
        "Writer + relay (or publisher) in the bench process, consumer in its own child process.",
    ]
    return lines


def _ms(summary: dict[str, Any], q: str = "p99_ms") -> str:
    value = summary.get(q)
    return "-" if value is None else f"{value:,.1f}"


def _process_lines(cf: dict[str, Any], raw: dict[str, Any]) -> list[str]:
    """Consumer process CPU, relay passes and each stage's p50/p99, per latency run."""
    lines = []
    for name, side in (("CareFlow", cf), ("raw FastStream", raw)):
        backlog = side.get("consumer_process")
        if backlog:
            lines.append(
                f"{name} consumer process, backlog of {backlog['backlog_events']:,}: "
                f"{side['consume_events_per_s']:,.0f} events/s, "
                f"{backlog['cpu_ms_per_event']:.2f} ms CPU per event"
            )
        for run in side["latency"]:
            proc = run.get("consumer_process")
            if proc:
                line = (
                    f"{name} @{run['rate']:.0f}/s consumer process: "
                    f"{proc['cpu_ms_per_event']:.2f} ms CPU per event, "
                    f"{proc['percent_of_core']:.0f}% of a core, "
                    f"consumed {proc['consumed_events_per_s']:,.0f} events/s"
                )
                writer = run.get("writer_relay_process")
                if writer:
                    line += (
                        f"; writer + relay process {writer['cpu_ms_per_event']:.2f} ms CPU "
                        f"per event, {writer['percent_of_core']:.0f}% of a core"
                    )
                lines.append(line)
            relay = run.get("relay")
            if relay and relay["passes"]:
                lines.append(
                    f"{name} @{run['rate']:.0f}/s relay: {relay['passes']:,} passes, "
                    f"{relay['rows_per_pass']:.1f} rows per pass, pass p50 "
                    f"{_ms(relay['pass_ms'], 'p50_ms')} ms / p99 {_ms(relay['pass_ms'])} ms"
                )
            stages = run.get("stages")
            if stages:
                parts = ", ".join(
                    f"{stage} {_ms(stages[stage], 'p50_ms')}/{_ms(stages[stage])}"
                    for stage, _ in STAGES
                    if stages[stage].get("p50_ms") is not None
                )
                lines.append(f"{name} @{run['rate']:.0f}/s stages p50/p99 ms: {parts}")
    return lines
