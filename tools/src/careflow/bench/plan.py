"""How much load each benchmark phase applies."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Plan:
    """How much load each phase applies (`--quick` shrinks everything)."""

    backlog: int = 20_000  # relay drain and raw publish
    batch_sizes: tuple[int, ...] = (500, 1000)  # the first one is judged
    consumer_backlog: int = 2_000  # consume throughput
    latency_runs: tuple[tuple[float, float], ...] = ((100.0, 8.0), (500.0, 20.0))  # (rate, s)
    judged_rate: float = 500.0  # the p99 target applies at this offered rate
    warmup_seconds: float = 1.0
    idle_seconds: float = 20.0
    quick: bool = False

    @classmethod
    def quick_plan(cls) -> Plan:
        return cls(
            backlog=2_000,
            batch_sizes=(500,),
            consumer_backlog=300,
            latency_runs=((500.0, 2.0),),
            warmup_seconds=0.3,
            idle_seconds=3.0,
            quick=True,
        )
