"""CPU-ms per accepted submission, intake and workqueue (and the servers), several repetitions.

    .venv/bin/python benchmarks/cpu_per_submission.py [--reps 5] [--rate 60] [--seconds 5]
        [--profile intake|workqueue]   # that service runs under pyinstrument (pip install it)

On a machine other work shares, latency and throughput say little; the CPU time a
service process spends per accepted submission says much more (it is the user+sys
time psutil reads, whatever the machine's load). Each repetition offers a modest
rate (well below saturation, so no queueing work inflates it), waits until every
item is visible and the services are idle, and divides each process's CPU time by
the submissions accepted. Prints each repetition and the median with min-max.
The services run with the environment's settings, e.g. INTAKE_TELEMETRY__SAMPLE_RATIO.
With --profile the named service's pyinstrument report goes to <work dir>/<name>.profile.txt
(profiling slows it: its CPU figures are then not comparable).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
import case_flow
from case_flow_load import Load, ServiceUsage, Visibility

from careflow.bench.harness import run_on_servers
from careflow.local.dev_token import resident_token
from careflow.local.supervisor import ServiceProcess, stop_services

# The report is written at exit: `pyinstrument -m` wrote an empty one, as uvicorn ends
# the process with the SIGTERM it was stopped by.
_PROFILED = """
import atexit, runpy, signal, sys
from pyinstrument import Profiler
out, name = sys.argv[1], sys.argv[2]
sys.argv = [name]
profiler = Profiler(interval=0.001)
def report():
    profiler.stop()
    with open(out, "w") as f:
        f.write(profiler.output_text(show_all=False))
atexit.register(report)
# uvicorn re-raises the SIGTERM it handled once it has shut down: exit normally instead.
signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
profiler.start()
runpy.run_module(f"careflow.{name}", run_name="__main__")
"""


def _profiled(name: str, work: Path) -> None:
    """Makes `name` start under pyinstrument (its report is written when it stops)."""
    original = ServiceProcess.start

    def start(self: ServiceProcess, env: dict[str, str]) -> None:
        if self.name != name:
            return original(self, env)
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-c", _PROFILED, str(work / f"{name}.profile.txt"), name],
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                env={**os.environ, **env},
                start_new_session=True,
            )

    ServiceProcess.start = start  # type: ignore[method-assign]


async def measure(postgres: Any, broker: Any, args: argparse.Namespace, work: Path) -> list[dict]:
    services, urls = await case_flow.start_services(postgres, broker.bootstrap_servers, work)
    intake = next(s for s in services if s.name == "intake")
    usage = ServiceUsage(
        {s.name: s.process.pid for s in services},  # type: ignore[union-attr]
        case_flow._server_pids(postgres, broker),
    )
    seen = Visibility(urls["workqueue"])
    await seen.start()
    runs = []
    try:
        tokens = [resident_token(work / "keys", f"bench-{i}") for i in range(case_flow.RESIDENTS)]
        load = Load((intake.host, intake.port), tokens, seen, usage, connections=50, timeout=30)
        first, _ = await load.run(1.0, 5.0, visible_within=600)
        if first["never_visible"] or first["errors"]:
            raise RuntimeError(f"warm-up submissions did not reach the queue: {first}")
        await load.run(args.rate, 3.0, 60)  # warm caches, pools, statement caches
        await usage.settle(within=120)
        for rep in range(args.reps):
            result, _ = await load.run(args.rate, args.seconds, 60)
            # What is still worked off after the last item showed (relay passes, commits
            # of consumed offsets) belongs to these submissions too.
            before = usage.all_cpu_seconds()
            await usage.settle(within=120)
            after = usage.all_cpu_seconds()
            for name, ms in result["cpu_ms_per_accepted"].items():
                tail = (after[name] - before[name]) * 1000 / max(1, result["accepted"])
                result["cpu_ms_per_accepted"][name] = ms + tail
            per = result["cpu_ms_per_accepted"]
            print(
                f"rep {rep + 1}: {result['accepted']} accepted, {result['errors']} errors; "
                + ", ".join(f"{n} {ms:.2f}" for n, ms in per.items()),
                flush=True,
            )
            runs.append(result)
    finally:
        await seen.stop()
        # A profiled service writes its report at exit: that takes a while.
        await asyncio.to_thread(stop_services, services, 180 if args.profile else 10)
    return runs


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--reps", type=int, default=5)
    parser.add_argument("--rate", type=float, default=60.0)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--profile", choices=("intake", "workqueue"))
    args = parser.parse_args()
    case_flow._quiet_logs()
    work = Path(tempfile.mkdtemp(prefix="careflow-cpu-"))
    if args.profile:
        _profiled(args.profile, work)
    sampling = {
        name: os.environ.get(f"{name.upper()}_TELEMETRY__SAMPLE_RATIO", "default")
        for name in ("intake", "workqueue")
    }
    runs = run_on_servers(lambda pg, br: measure(pg, br, args, work), broker_log_dir=work)
    print(
        f"CPU-ms per accepted submission, {len(runs)} x {args.rate:.0f}/s for "
        f"{args.seconds:.0f} s; trace sampling {sampling}; median (min-max):"
    )
    for name in runs[0]["cpu_ms_per_accepted"]:
        values = [r["cpu_ms_per_accepted"][name] for r in runs]
        print(f"  {name:10} {statistics.median(values):7.2f} ({min(values):.2f}-{max(values):.2f})")
    if args.profile:
        print(f"  profile: {work / (args.profile + '.profile.txt')}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
