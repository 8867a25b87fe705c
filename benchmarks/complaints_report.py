"""The complaints benchmark's table: targets judged from a run's figures, beside the raw
FastStream baseline of the same run. Pure: tests cover it without timing anything."""

from __future__ import annotations

from typing import Any

from careflow.bench.report import Row, Target

ROUTED_TARGET = Target(">=", 200)  # complaints/s
P99_TARGET = Target("<", 250)  # ms at 100/s
IMPORT_TARGET = Target("<", 30)  # s for 100,000 rows
NONE = Target("<", 1)  # errors; clinics a second run adds


def rows(results: dict[str, Any]) -> list[Row]:
    """The table of the phases the run had (all three in a full run)."""
    table = []
    if "throughput" in results:
        table += _throughput(results)
    if "latency" in results:
        table += _latency(results)
    if "import" in results:
        table += _import(results["import"])
    return table


def _throughput(results: dict[str, Any]) -> list[Row]:
    throughput = results["throughput"]
    raw = results.get("raw") or {}
    return [
        Row(
            f"complaints routed/s, {throughput['offered_rate']:.0f}/s offered",
            "/s",
            throughput["routed_per_s"],
            raw.get("consume_events_per_s"),
            ROUTED_TARGET,
        ),
        Row(
            f"errors in that run (of {throughput['submissions']:,})",
            "",
            throughput["errors"],
            None,
            NONE,
        ),
    ]


def _latency(results: dict[str, Any]) -> list[Row]:
    latency = results["latency"]
    raw_run = ((results.get("raw") or {}).get("latency") or [{}])[0]
    return [
        Row(
            f"submitted->routed p50 @{latency['offered_rate']:.0f}/s",
            "ms",
            latency["p50_ms"],
            raw_run.get("p50_ms"),
            decimals=1,
        ),
        Row(
            f"submitted->routed p99 @{latency['offered_rate']:.0f}/s",
            "ms",
            latency["p99_ms"],
            raw_run.get("p99_ms"),
            P99_TARGET,
            decimals=1,
        ),
    ]


def _import(imported: dict[str, Any]) -> list[Row]:
    return [
        Row(
            f"import of {imported['rows']:,} rows, dry run", "s", imported["dry_run_s"], decimals=1
        ),
        Row(
            f"import of {imported['rows']:,} rows, applied",
            "s",
            imported["apply_s"],
            None,
            IMPORT_TARGET,
            decimals=1,
        ),
        Row(
            "second run of the same file: clinics added",
            "",
            imported["second_run_applied"],
            None,
            NONE,
        ),
    ]
