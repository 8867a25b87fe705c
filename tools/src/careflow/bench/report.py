"""Pure parts of the benchmark: percentiles, targets, ratios, the table and JSON.

Nothing here touches a server, so the unit tests cover it without timing anything.
"""

from __future__ import annotations

import json
import math
import os
import platform
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

Op = Literal[">=", "<"]
MET, NOT_MET, NO_TARGET, NOT_MEASURED = "met", "NOT MET", "-", "not measured"
HEADERS = ("metric", "CareFlow", "raw FastStream", "ratio", "target", "result")


def percentile(values: Iterable[float], q: float) -> float:
    """The q-th percentile (0..100), linear between closest ranks (as numpy's default)."""
    if not 0 <= q <= 100:
        raise ValueError(f"percentile must be within 0..100, not {q}")
    ordered = sorted(values)
    if not ordered:
        raise ValueError("percentile of no values")
    position = (len(ordered) - 1) * q / 100
    low = math.floor(position)
    high = min(low + 1, len(ordered) - 1)
    if position == low or ordered[high] == ordered[low]:
        return ordered[low]  # also keeps inf (an undelivered event) from turning into nan
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def ratio(careflow: float | None, raw: float | None) -> float | None:
    """CareFlow / raw FastStream; None when either side is missing or raw is zero."""
    if careflow is None or raw is None or raw == 0:
        return None
    return careflow / raw


@dataclass(frozen=True)
class Target:
    op: Op
    value: float

    def met(self, measured: float | None) -> bool | None:
        if measured is None or math.isnan(measured):
            return None
        if self.op == ">=":
            return measured >= self.value
        return measured < self.value


@dataclass(frozen=True)
class Row:
    metric: str
    unit: str
    careflow: float | None
    raw: float | None = None
    target: Target | None = None
    decimals: int = 0

    @property
    def ratio(self) -> float | None:
        return ratio(self.careflow, self.raw)

    @property
    def met(self) -> bool | None:
        return None if self.target is None else self.target.met(self.careflow)

    @property
    def result(self) -> str:
        if self.target is None:
            return NO_TARGET
        met = self.met
        if met is None:
            return NOT_MEASURED
        return MET if met else NOT_MET


def format_value(value: float | None, unit: str, decimals: int) -> str:
    if value is None or math.isnan(value):
        return "-"
    if math.isinf(value):
        return "never (lost)"
    return f"{value:,.{decimals}f} {unit}".rstrip()


def format_ratio(value: float | None) -> str:
    return "-" if value is None or not math.isfinite(value) else f"{value:.2f}x"


def format_target(target: Target | None, unit: str) -> str:
    if target is None:
        return "-"
    number = f"{target.value:,g}"
    return f"{target.op} {number} {unit}".rstrip()


def cells(row: Row) -> tuple[str, ...]:
    return (
        f"{row.metric}",
        format_value(row.careflow, row.unit, row.decimals),
        format_value(row.raw, row.unit, row.decimals),
        format_ratio(row.ratio),
        format_target(row.target, row.unit),
        row.result,
    )


def render_table(rows: Sequence[Row]) -> str:
    """Aligned plain text: metric left-aligned, figures right-aligned."""
    body = [cells(row) for row in rows]
    widths = [max(len(line[i]) for line in [HEADERS, *body]) for i in range(len(HEADERS))]

    def line(values: Sequence[str]) -> str:
        parts = [
            value.ljust(width) if i in (0, len(widths) - 1) else value.rjust(width)
            for i, (value, width) in enumerate(zip(values, widths, strict=True))
        ]
        return " | ".join(parts).rstrip()

    rule = "-+-".join("-" * width for width in widths)
    return "\n".join([line(HEADERS), rule, *(line(cells_) for cells_ in body)])


def summary(rows: Sequence[Row]) -> str:
    judged = [row for row in rows if row.target is not None]
    met = sum(1 for row in judged if row.met)
    return f"{met}/{len(judged)} targets met"


def rows_as_json(rows: Sequence[Row]) -> list[dict[str, Any]]:
    return [
        {
            "metric": row.metric,
            "unit": row.unit,
            "careflow": row.careflow,
            "raw_faststream": row.raw,
            "ratio": row.ratio,
            "target": None
            if row.target is None
            else {"op": row.target.op, "value": row.target.value},
            "met": row.met,
        }
        for row in rows
    ]


def latency_summary(latencies_s: Sequence[float], lost: int = 0) -> dict[str, float | None]:
    """p50 / p99 / max in ms of latencies in seconds; a lost event counts as infinitely late."""
    values = [*latencies_s, *([math.inf] * lost)]
    if not values:
        return {"p50_ms": None, "p99_ms": None, "max_ms": None}
    return {
        "p50_ms": percentile(values, 50) * 1000,
        "p99_ms": percentile(values, 99) * 1000,
        "max_ms": max(values) * 1000,
    }


def json_safe(value: Any) -> Any:
    """Strict JSON: infinities and NaN become null, tuples lists, recursively."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {str(k): json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [json_safe(v) for v in value]
    return value


def pair_latencies(sent: dict[Any, float], received: dict[Any, float]) -> list[float]:
    """Receive minus send for every key seen on both sides (seconds)."""
    return [received[key] - at for key, at in sent.items() if key in received]


# Stages of one event's trip, from the stamps the consumer process reports per event
# (handled, arrived, done, created) and the time its commit/publish returned (sent).
STAGES = (
    ("send_to_broker", "commit/publish returned -> producer send() (Kafka timestamp)"),
    ("broker_to_consumer", "Kafka timestamp -> consumer process() (broker, fetch wait, queue)"),
    ("to_handler", "process() -> handler (decode, span, inbox claim)"),
    ("handler_to_done", "handler -> process() returned (effect, commit)"),
)


def stage_breakdown(
    sent: dict[Any, float], stamps: dict[Any, tuple[float, float, float, float]]
) -> dict[str, dict[str, float | None]]:
    """p50 / p99 / max in ms of each stage, over the keys present on both sides.

    Kafka timestamps have millisecond resolution, so stages next to them may
    come out a fraction of a millisecond negative.
    """
    spans: dict[str, list[float]] = {name: [] for name, _ in STAGES}
    for key, at in sent.items():
        if key not in stamps:
            continue
        handled, arrived, done, created = stamps[key]
        spans["send_to_broker"].append(created - at)
        spans["broker_to_consumer"].append(arrived - created)
        spans["to_handler"].append(handled - arrived)
        spans["handler_to_done"].append(done - handled)
    return {name: latency_summary(values) for name, values in spans.items()}


def write_report(
    output: Path,
    *,
    quick: bool,
    elapsed: float,
    plan: dict[str, Any],
    rows: Sequence[Row],
    details: dict[str, Any],
    **extra: Any,
) -> None:
    """Writes a run's figures (the printed table's rows and their details) as JSON."""
    report = {
        "generated_at": datetime.now(UTC).isoformat(),
        "quick": quick,
        "elapsed_s": elapsed,
        "host": {"python": platform.python_version(), "cpus": os.cpu_count()},
        **extra,
        "plan": plan,
        "metrics": rows_as_json(rows),
        "details": details,
    }
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(json.dumps(json_safe(report), indent=2, default=str) + "\n")
    print(f"  written to {output}")
