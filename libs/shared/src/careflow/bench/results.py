"""From measured figures to table rows (with targets) and detail lines."""

from __future__ import annotations

from typing import Any

from careflow.bench.plan import Plan
from careflow.bench.report import Row, Target

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
            "consume throughput (backlog)",
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
    lines += [
        f"idle relay: {idle['cpu_s'] * 1000:.0f} ms CPU in {idle['seconds']:.1f} s "
        "(production RelaySettings: 2 s fallback poll)",
        "ratio = CareFlow / raw FastStream. CareFlow latency runs from COMMIT returning to the "
        "consumer handler; raw from publish() to the subscriber. Producer, relay and consumer "
        "share one process (one core).",
    ]
    return lines
