"""`make bench`: platform benchmarks against embedded PostgreSQL + Tansu, one run.

    python -m careflow.bench [--quick] [--output .bench/platform.json]

Honours DATABASE_URL / KAFKA_BOOTSTRAP_SERVERS (external servers instead of
embedded ones). Prints a table (CareFlow vs raw FastStream, targets met or
not) and writes the same figures, with details, as JSON.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from dataclasses import asdict
from pathlib import Path
from typing import Any

from careflow.bench.baseline import raw_faststream
from careflow.bench.harness import run_on_servers
from careflow.bench.idle_relay import measure_idle_cpu
from careflow.bench.latency_bench import careflow_latency
from careflow.bench.logs import quiet_logs
from careflow.bench.plan import Plan
from careflow.bench.relay_bench import relay_throughput
from careflow.bench.report import render_table, summary, write_report
from careflow.bench.results import details, table_rows
from careflow.testing.probe_service import prepare_database
from careflow.testing.servers import PostgresForTests

_STARTED = time.monotonic()


def _phase(name: str) -> None:
    print(f"[bench {time.monotonic() - _STARTED:5.1f}s] {name}", file=sys.stderr, flush=True)


async def measure(postgres: PostgresForTests, bootstrap: str, plan: Plan) -> dict[str, Any]:
    url = await postgres.create_database("bench")
    await prepare_database(url)
    rates = ", ".join(f"{rate:.0f}/s for {s:.0f} s" for rate, s in plan.latency_runs)
    _phase(f"relay throughput: {plan.backlog:,} events, batch sizes {plan.batch_sizes}")
    relay = await relay_throughput(url, bootstrap, plan)
    _phase(f"idle relay CPU: {plan.idle_seconds:.0f} s in a child process")
    idle = await measure_idle_cpu(url, bootstrap, plan.idle_seconds)
    _phase(
        f"CareFlow (consumer in a child process): consume {plan.consumer_backlog:,} events; "
        f"latency at {rates}"
    )
    # A database of its own, as another service would have: a runtime starting on the
    # relay phase's outbox re-publishes the tail of what that phase marked published
    # (ServiceRuntime._republish_tail), all 40,000 events of it, which then went out in
    # the middle of the latency runs and fed the consumer its 40,000 events beside them.
    latency_url = await postgres.create_database("bench_latency")
    await prepare_database(latency_url)
    careflow = await careflow_latency(latency_url, bootstrap, plan)
    _phase(
        f"raw FastStream (subscriber in a child process): publish + consume "
        f"{plan.backlog:,} events; latency at {rates}"
    )
    raw = await raw_faststream(url, bootstrap, plan)
    return {"relay": relay, "idle": idle, "careflow": careflow, "raw": raw}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m careflow.bench", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="smaller numbers (~30 s smoke test)")
    parser.add_argument("--output", type=Path, default=Path(".bench/platform.json"))
    args = parser.parse_args(argv)
    plan = Plan.quick_plan() if args.quick else Plan()

    quiet_logs()
    started = time.monotonic()
    _phase("starting PostgreSQL and the broker")
    results = run_on_servers(
        lambda postgres, broker: measure(postgres, broker.bootstrap_servers, plan)
    )
    elapsed = time.monotonic() - started

    rows = table_rows(results, plan)
    print()
    print(render_table(rows))
    print()
    for line in details(results):
        print(f"  {line}")
    print(f"  {summary(rows)}; total run {elapsed:.0f} s{' (--quick)' if plan.quick else ''}")
    write_report(
        args.output,
        quick=plan.quick,
        elapsed=elapsed,
        plan=asdict(plan),
        rows=rows,
        details=results,
        external={
            "database": bool(os.environ.get("DATABASE_URL")),
            "broker": bool(os.environ.get("KAFKA_BOOTSTRAP_SERVERS")),
        },
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
