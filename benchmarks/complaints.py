"""Complaints benchmark: residents' complaints submitted over HTTP until routed (their
ComplaintSubmitted on complaints.cases.v1), and a 100,000-row clinic import.

    .venv/bin/python benchmarks/complaints.py [--quick] [--output .bench/complaints.json]

Starts embedded PostgreSQL and Tansu as `python -m careflow.bench` does (or uses
DATABASE_URL / KAFKA_BOOTSTRAP_SERVERS), measures the raw FastStream baseline on that
broker (the platform bench's, at the latency rate), then starts complaints as its own
process (`python -m careflow.complaints`, settings from the environment, as `make run`
does) with a real local HTTP server as the e-services directory, and:

- latency: POST /complaints due -> its event consumed from the topic, p50/p99 at 100/s;
- throughput: complaints routed per second, 230/s offered (target >= 200/s);
- CPU-ms per routed complaint of the service, PostgreSQL, the broker and this load
  generator (psutil user + sys, from the first send until all were routed): the
  figure to compare between runs on a machine other work shares;
- import: a 100,000-row txt file (90 % valid, the rest unknown, not activated, other
  region, duplicate, malformed), dry run, then applied; the applied run must take < 30 s.

Prints a table (targets met or not) beside the raw baseline and writes JSON.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import dataclasses
import math
import os
import random
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import psutil

from careflow.bench.harness import run_on_servers, wait_for
from careflow.bench.logs import quiet_logs
from careflow.bench.report import latency_summary, render_table, summary, write_report
from careflow.local.dev_token import local_token
from careflow.local.ports import free_port
from careflow.local.supervisor import ServiceProcess, service_env, stop_services
from careflow.shared.auth.claims import AuthLevel, ProfessionalPrincipal, ResidentPrincipal
from careflow.shared.auth.signing import JWKS_FILE, generate_keypair
from careflow.testing.servers import BrokerForTests, PostgresForTests

sys.path.insert(0, str(Path(__file__).resolve().parent))
from case_flow import _healthy, _server_pids, raw_baseline
from case_flow_load import ServiceUsage
from case_flow_report import spread_rate
from complaints_load import Directory, Watcher, hsa_id, offer
from complaints_report import rows
from complaints_timeline import Timeline, diagnose, enable_pg_diagnostics, pg_stats

REGION, CLINICS, RESIDENTS = "14", 200, 300
_STARTED = time.monotonic()


def phase(text: str) -> None:
    print(f"[complaints {time.monotonic() - _STARTED:5.1f}s] {text}", file=sys.stderr, flush=True)


@dataclass(frozen=True)
class Plan:
    latency_rate: float = 100.0
    latency_seconds: float = 30.0
    throughput_rate: float = 230.0
    throughput_seconds: float = 30.0
    import_rows: int = 100_000
    routed_within: float = 30.0
    quick: bool = False
    phases: tuple[str, ...] = ("latency", "throughput", "import")

    @classmethod
    def quick_plan(cls) -> Plan:
        return cls(latency_seconds=3, throughput_seconds=3, import_rows=10_000, quick=True)


def _own_cpu() -> float:
    times = psutil.Process().cpu_times()
    return float(times.user + times.system)


def pro(keys: Path, subject: str, unit: str, role: str) -> dict[str, str]:
    principal = ProfessionalPrincipal(subject=subject, organisation=REGION, unit=unit, roles=[role])
    return {"Authorization": f"Bearer {local_token(keys, principal)}"}


async def onboard(client: httpx.AsyncClient, directory: Directory, keys: Path) -> None:
    """The region with its board and CLINICS clinics, as support and its admin set them up."""
    support = pro(keys, "bench-support", "support", "platform_support")
    admin = pro(keys, "bench-admin", "office", "regional_admin")
    (
        await client.put(f"/support/regions/{REGION}", json={"name": "VG"}, headers=support)
    ).raise_for_status()
    board = {"hsa_id": hsa_id(1, "P"), "name": "Patientnämnden"}
    r = await client.put(f"/support/regions/{REGION}/patient-board", json=board, headers=support)
    r.raise_for_status()
    for n in range(CLINICS):
        directory.units[hsa_id(n)] = (REGION, True)
    content = "\n".join(hsa_id(n) for n in range(CLINICS))
    body = {"format": "txt", "content": content, "apply": True}
    r = await client.post(
        f"/admin/regions/{REGION}/clinic-imports", json=body, headers=admin, timeout=120
    )
    r.raise_for_status()


def complaint(i: int) -> dict[str, Any]:
    return {
        "region_code": REGION,
        "kind": "complaint" if i % 3 else "feedback",
        "clinic_hsa_id": hsa_id(i % CLINICS),
        "where": "Väntrummet",
        "description": "Jag fick vänta länge utan besked.",
        "answer_channel": "message",
    }


@dataclass
class Probes:
    """What the diagnosis of a phase reads (complaints_timeline)."""

    timeline: Timeline
    admin_url: str
    service_log: Path
    pg_log: Path | None


async def run_load(
    url: str,
    tokens: list[str],
    watcher: Watcher,
    rate: float,
    seconds: float,
    plan: Plan,
    usage: ServiceUsage,
    probes: Probes,
) -> dict[str, Any]:
    stats0 = await pg_stats(probes.admin_url)
    used0, generator0 = usage.all_cpu_seconds(), _own_cpu()
    sent = await offer(url, tokens, complaint, rate, seconds)
    accepted = [s for s in sent if s.case_id]
    with contextlib.suppress(TimeoutError):  # the late ones count as errors below
        await wait_for(
            lambda: all(s.case_id in watcher.seen for s in accepted),
            plan.routed_within,
            "complaints routed",
            poll=0.1,
        )
    used, generator = usage.all_cpu_seconds(), _own_cpu()
    stats = await pg_stats(probes.admin_url)
    routed = [watcher.seen[s.case_id] - s.due for s in accepted if s.case_id in watcher.seen]
    lost = len(accepted) - len(routed)
    cpu = {n: used[n] - used0[n] for n in used if n in used0} | {
        "generator": generator - generator0
    }
    return {
        "cpu_ms_per_routed": {n: s * 1000 / len(routed) for n, s in cpu.items()} if routed else {},
        "offered_rate": rate,
        "seconds": seconds,
        "submissions": len(sent),
        "errors": len(sent) - len(accepted) + lost,
        # What the errors were: answers by status, failed sends by cause, lost ones.
        "answers": dict(Counter(str(s.status or s.error) for s in sent)) | {"lost": lost},
        "routed_per_s": spread_rate(
            [watcher.seen[s.case_id] for s in accepted if s.case_id in watcher.seen]
        ),
        **latency_summary(routed, lost),
        "postgres_stats": {k: v - stats0.get(k, 0.0) for k, v in stats.items()},
        "timeline": [
            {"at": round(t - sent[0].due, 2)} | {n: round(v) for n, v in pct.items()}
            for t, pct in probes.timeline.percent(sent[0].due - 1, sent[-1].due + 2)
        ]
        if sent
        else [],
        "diagnosis": diagnose(sent, watcher, probes.timeline, probes.service_log, probes.pg_log),
    }


async def import_run(
    client: httpx.AsyncClient, directory: Directory, keys: Path, rows: int
) -> dict[str, Any]:
    rng = random.Random(14)
    lines = []
    for n in range(rows):
        roll, hid = rng.random(), hsa_id(1_000_000 + n)
        if roll < 0.90:
            directory.units[hid] = (REGION, True)
        elif roll < 0.92:
            directory.units[hid] = (REGION, False)
        elif roll < 0.94:
            directory.units[hid] = ("01", True)
        elif roll < 0.96:
            hid = lines[-1] if lines else hid
        elif roll < 0.98:
            hid = f"bad-{n}"
        lines.append(hid)  # the rest: unknown to the directory
    admin = pro(keys, "bench-admin", "office", "regional_admin")
    content = "\n".join(lines)
    url = f"/admin/regions/{REGION}/clinic-imports"
    timings = {}
    for name, apply in (("dry_run", False), ("apply", True), ("second_run", True)):
        started = time.monotonic()
        r = await client.post(
            url,
            json={"format": "txt", "content": content, "apply": apply},
            headers=admin,
            timeout=600,
        )
        r.raise_for_status()
        timings[f"{name}_s"] = time.monotonic() - started
        timings[f"{name}_applied"] = r.json()["applied"]
    return {"rows": rows, "bytes": len(content), **timings}


async def measure(
    postgres: PostgresForTests, broker: BrokerForTests, plan: Plan, work: Path
) -> dict[str, Any]:
    bootstrap = broker.bootstrap_servers
    results: dict[str, Any] = {"cpus": os.cpu_count()}
    phase("raw FastStream baseline (platform bench's, on this broker)")
    try:
        from case_flow_report import Plan as CaseFlowPlan

        results["raw"] = await raw_baseline(
            postgres, bootstrap, CaseFlowPlan(latency_rate=plan.latency_rate, quick=plan.quick)
        )
    except Exception as exc:  # reported in the table, never hides the complaints figures
        results["raw"], results["raw_error"] = None, f"{type(exc).__name__}: {exc}"
    await enable_pg_diagnostics(postgres.admin_url)
    keys = work / "keys"
    generate_keypair(keys)
    directory = Directory()
    await directory.start()
    service = ServiceProcess("complaints", free_port(), work / "complaints.log")
    env = service_env(
        service,
        database_url=await postgres.create_database("complaints"),
        bootstrap_servers=bootstrap,
        jwks_path=keys / JWKS_FILE,
    )
    service.start(
        env
        | {
            "COMPLAINTS_DIRECTORY__URL": directory.url,
            "COMPLAINTS_TELEMETRY__LOG_JSON": "true",
            # Diagnosis: every stall over 20 ms in the log (the default is 100 ms).
            "COMPLAINTS_TELEMETRY__STALL_REPORT_SECONDS": "0.02",
        }
    )
    watcher = Watcher(bootstrap)
    usage: ServiceUsage | None = None
    sampler: asyncio.Task[None] | None = None
    try:
        phase("starting complaints")
        await _healthy(service, within=600)
        usage = ServiceUsage(
            {"complaints": service.process.pid},  # type: ignore[union-attr]
            _server_pids(postgres, broker),
        )
        timeline = Timeline(usage, _server_pids(postgres, broker).get("postgres"))
        sampler = asyncio.create_task(timeline.run())
        pg_log = postgres.embedded.data_dir / "server.log" if postgres.embedded else None
        probes = Probes(timeline, postgres.admin_url, service.log_path, pg_log)
        await watcher.start()
        tokens = [
            local_token(keys, ResidentPrincipal(subject=f"bench-{i}", auth_level=AuthLevel.STRONG))
            for i in range(RESIDENTS)
        ]
        async with httpx.AsyncClient(base_url=service.address, timeout=60) as client:
            phase("onboarding the region and its clinics")
            await onboard(client, directory, keys)
            phase("warm-up: until submissions show on the topic")
            warm = await run_load(service.address, tokens, watcher, 20, 3, plan, usage, probes)
            if warm["errors"]:
                raise RuntimeError(f"warm-up complaints were not routed: {warm}")
            results["warm_up"] = warm
            for name, rate, seconds in (
                ("latency", plan.latency_rate, plan.latency_seconds),
                ("throughput", plan.throughput_rate, plan.throughput_seconds),
            ):
                if name not in plan.phases:
                    continue
                phase(f"{name}: {rate:.0f}/s offered for {seconds:.0f} s")
                results[name] = await run_load(
                    service.address, tokens, watcher, rate, seconds, plan, usage, probes
                )
                _print_diagnosis(name, results[name])
            if "import" in plan.phases:
                phase(f"import of {plan.import_rows:,} rows: dry run, apply, second run")
                results["import"] = await import_run(client, directory, keys, plan.import_rows)
    finally:
        if sampler is not None:
            sampler.cancel()
        await watcher.stop()
        await asyncio.to_thread(stop_services, [service])
        await directory.stop()
    return results


def _print_diagnosis(name: str, result: dict[str, Any]) -> None:
    """The phase's slow seconds, their slowest complaints' stages, and what the
    service's and PostgreSQL's logs said meanwhile (stderr; the JSON has it all)."""
    found = result.get("diagnosis") or {}
    phase(
        f"{name}: answers {result['answers']}; p99 {result.get('p99_ms', math.nan):.1f} ms; "
        f"slow or refused seconds {found.get('slow_seconds')}; "
        f"service stalls {found.get('service_stalls')}; PostgreSQL {result['postgres_stats']}"
    )
    busy = [f for f in found.get("foreign_processes", []) if f["top"] and f["top"][0][0] >= 20]
    if busy:
        phase(f"  other processes using >= 20 % of a core: {busy}")
    for window in found.get("windows", []):
        phase(f"  second {window['second']}: slowest {window['slowest']}")
        for sample in window["cpu_percent"]:
            phase(f"    cpu % {sample}")
        for event in window["postgres_log"]:
            phase(f"    postgres {event}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="benchmarks/complaints.py", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="seconds per phase, 10,000-row import")
    parser.add_argument("--output", type=Path, default=Path(".bench/complaints.json"))
    parser.add_argument(
        "--phases",
        default="latency,throughput,import",
        help="comma-separated subset of latency,throughput,import (iterating; a full "
        "`make bench` run has all three)",
    )
    args = parser.parse_args(argv)
    plan = Plan.quick_plan() if args.quick else Plan()
    plan = dataclasses.replace(plan, phases=tuple(args.phases.split(",")))
    quiet_logs()
    work = Path(tempfile.mkdtemp(prefix="careflow-complaints-"))
    phase(f"starting PostgreSQL and the broker (service log in {work})")
    results = run_on_servers(
        lambda postgres, broker: measure(postgres, broker, plan, work), broker_log_dir=work
    )
    table = rows(results)
    print()
    print(render_table(table))
    print()
    raw = results.get("raw")
    if raw:
        run = (raw.get("latency") or [{}])[0]
        print(
            f"  raw FastStream baseline (same broker, no service): consume "
            f"{raw['consume_events_per_s']:,.0f} ev/s (backlog); publish->consume p50/p99 "
            f"{run.get('p50_ms', math.nan):.1f}/{run.get('p99_ms', math.nan):.1f} ms "
            f"at {run.get('rate', math.nan):.0f}/s"
        )
    else:
        print(f"  raw FastStream baseline not measured: {results.get('raw_error', '?')}")
    print(
        "  routed = the case stored at its clinic and its ComplaintSubmitted consumed from "
        "complaints.cases.v1; latency from the moment the POST was due; everything on this "
        "one machine."
    )
    for name in ("latency", "throughput"):
        if per := results.get(name, {}).get("cpu_ms_per_routed"):
            print(
                f"  {name} run CPU-ms per routed complaint: "
                + ", ".join(f"{n} {ms:.2f}" for n, ms in per.items())
            )
    elapsed = time.monotonic() - _STARTED
    print(f"  {summary(table)}; total run {elapsed:.0f} s{' (--quick)' if plan.quick else ''}")
    write_report(
        args.output,
        quick=plan.quick,
        elapsed=elapsed,
        plan=plan.__dict__,
        rows=table,
        details=results,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
