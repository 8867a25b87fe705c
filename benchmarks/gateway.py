"""Gateway benchmark: the latency the gateway adds at 500 requests/s, and its CPU per
proxied request, beside direct calls measured in the same run.

    .venv/bin/python benchmarks/gateway.py [--quick] [--output .bench/gateway.json]

Starts embedded PostgreSQL (or uses DATABASE_URL) for the gateway's rate-limit store,
a tiny upstream (`gateway_upstream.py`: one JSON endpoint) and the gateway as
`make run` starts it (`python -m careflow.gateway`, settings from the environment),
each its own process. Then, open loop at a fixed rate (a request is due every 2 ms
whether or not the previous ones have answered; latency counts from when it was due):
direct calls to the upstream, then the same calls through the gateway (token checked,
rate limits counted in PostgreSQL, route check, pooled connection to the upstream),
then direct again, so drift of the machine shows. Added latency = gateway percentile
minus the direct one (both direct phases together). CPU per proxied request = the
gateway process's CPU time over its phase / requests.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import httpx
import psutil

from careflow.bench.report import MET, NOT_MET, Target, json_safe, percentile
from careflow.local.ports import free_port, wait_for_port
from careflow.local.supervisor import ServiceProcess, service_env, stop_services
from careflow.shared.auth.claims import ProfessionalPrincipal
from careflow.shared.auth.signing import JWKS_FILE, generate_keypair, load_signing_key, mint_token
from careflow.shared.settings import AuthSettings
from careflow.testing.servers import start_postgres

RATE = 500
TARGETS = {"p50": Target("<", 3.0), "p99": Target("<", 10.0)}
HERE = Path(__file__).resolve().parent
_STARTED = time.monotonic()


@dataclass
class Phase:
    name: str
    latencies: list[float] = field(default_factory=list)
    errors: int = 0
    cpu_seconds: float | None = None

    def p(self, q: float) -> float:
        return percentile(self.latencies, q) * 1000


def phase_line(text: str) -> None:
    print(f"[{time.monotonic() - _STARTED:6.1f}s] {text}", flush=True)


async def drive(url: str, headers: dict[str, str], seconds: float, warmup: float) -> Phase:
    """Open loop at RATE/s; requests during the warm-up are sent but not counted."""
    result = Phase(url)
    interval = 1 / RATE
    connector = aiohttp.TCPConnector(limit=256, keepalive_timeout=30)
    async with aiohttp.ClientSession(connector=connector, headers=headers) as session:
        loop = asyncio.get_running_loop()
        start = loop.time()
        total = int((seconds + warmup) * RATE)
        pending: set[asyncio.Task[None]] = set()

        async def one(due: float, counted: bool) -> None:
            try:
                async with session.get(url) as response:
                    await response.read()
                    ok = response.status == 200
            except aiohttp.ClientError:
                ok = False
            if counted:
                if ok:
                    result.latencies.append(loop.time() - due)
                else:
                    result.errors += 1

        for i in range(total):
            due = start + i * interval
            delay = due - loop.time()
            if delay > 0:
                await asyncio.sleep(delay)
            task = asyncio.create_task(one(due, i >= warmup * RATE))
            pending.add(task)
            task.add_done_callback(pending.discard)
        await asyncio.gather(*pending)
    return result


def start_upstream(port: int, log_path: Path) -> subprocess.Popen[bytes]:
    with open(log_path, "ab") as log:
        return subprocess.Popen(
            [sys.executable, str(HERE / "gateway_upstream.py"), str(port)],
            stdout=log,
            stderr=subprocess.STDOUT,
        )


def cpu(pid: int) -> float:
    times = psutil.Process(pid).cpu_times()
    return times.user + times.system


async def measure(quick: bool, work: Path) -> dict[str, Any]:
    seconds, warmup = (5.0, 1.0) if quick else (30.0, 3.0)
    postgres = start_postgres()
    processes: list[subprocess.Popen[bytes]] = []
    gateway: ServiceProcess | None = None
    try:
        keys = work / "keys"
        kid, key = load_signing_key(keys, generate_keypair(keys))
        auth = AuthSettings()
        token = mint_token(
            key,
            kid,
            ProfessionalPrincipal(subject="bench", organisation="o", unit="u", roles=["nurse"]),
            issuer=auth.issuer,
            audience=auth.audience,
        )
        headers = {"Authorization": f"Bearer {token}"}
        upstream_port = free_port()
        processes.append(start_upstream(upstream_port, work / "upstream.log"))
        wait_for_port("127.0.0.1", upstream_port)
        gateway = ServiceProcess("gateway", free_port(), work / "gateway.log")
        env = service_env(
            gateway,
            database_url=await postgres.create_database("gateway"),
            bootstrap_servers="unused:9092",
            jwks_path=keys / JWKS_FILE,
        )
        upstreams = {n: {"enabled": False} for n in ("intake", "workqueue", "messaging")}
        upstreams |= {n: {"enabled": False} for n in ("notification", "reminders", "complaints")}
        upstreams["bench"] = {
            "base_url": f"http://127.0.0.1:{upstream_port}",
            "openapi_path": None,
            "audit_path": None,
        }
        env |= {
            "GATEWAY_UPSTREAMS": json.dumps(upstreams),
            # Counted as always, but high enough never to refuse the benchmark's caller.
            "GATEWAY_RATE_LIMIT__PER_SUBJECT": "100000000",
            "GATEWAY_RATE_LIMIT__PER_ADDRESS": "100000000",
            "GATEWAY_TELEMETRY__LOG_LEVEL": "WARNING",
        }
        gateway.start(env)
        problem = await asyncio.to_thread(gateway.wait_healthy, 120)
        if problem:
            raise RuntimeError(f"gateway {problem}:\n{gateway.log_tail()}")
        async with httpx.AsyncClient() as client:
            check = await client.get(f"{gateway.address}/bench/ping", headers=headers)
            if check.status_code != 200:
                raise RuntimeError(f"gateway answered {check.status_code}: {check.text}")
        direct_url = f"http://127.0.0.1:{upstream_port}/ping"
        gateway_url = f"{gateway.address}/bench/ping"
        assert gateway.process is not None
        phase_line(f"direct, {RATE}/s for {seconds:.0f} s")
        direct = await drive(direct_url, headers, seconds, warmup)
        phase_line(f"through the gateway, {RATE}/s for {seconds:.0f} s")
        before = cpu(gateway.process.pid)
        proxied = await drive(gateway_url, headers, seconds, warmup)
        proxied.cpu_seconds = cpu(gateway.process.pid) - before
        phase_line(f"direct again, {RATE}/s for {seconds:.0f} s")
        direct_again = await drive(direct_url, headers, seconds, warmup)
    finally:
        if gateway is not None:
            stop_services([gateway])
        for process in processes:
            process.terminate()
            process.wait(10)
        postgres.stop()
    both = Phase(
        "direct", direct.latencies + direct_again.latencies, direct.errors + direct_again.errors
    )
    counted = len(proxied.latencies) + proxied.errors
    return {
        "rate": RATE,
        "seconds": seconds,
        "cpus": os.cpu_count(),
        "direct": {"p50_ms": both.p(50), "p99_ms": both.p(99), "errors": both.errors},
        "direct_first": {"p50_ms": direct.p(50), "p99_ms": direct.p(99)},
        "direct_last": {"p50_ms": direct_again.p(50), "p99_ms": direct_again.p(99)},
        "gateway": {"p50_ms": proxied.p(50), "p99_ms": proxied.p(99), "errors": proxied.errors},
        "gateway_cpu_ms_per_request": (proxied.cpu_seconds or 0) * 1000 / max(counted, 1),
    }


def table(results: dict[str, Any]) -> list[tuple[str, ...]]:
    rows = [("metric", "through gateway", "direct", "added", "target", "result")]
    for q in ("p50", "p99"):
        gateway, direct = results["gateway"][f"{q}_ms"], results["direct"][f"{q}_ms"]
        added = gateway - direct
        target = TARGETS[q]
        rows.append(
            (
                f"latency {q} at {results['rate']}/s",
                f"{gateway:.2f} ms",
                f"{direct:.2f} ms",
                f"{added:.2f} ms",
                f"< {target.value:g} ms",
                MET if target.met(added) else NOT_MET,
            )
        )
    rows.append(
        (
            "gateway CPU per proxied request",
            f"{results['gateway_cpu_ms_per_request']:.2f} ms",
            "-",
            "-",
            "-",
            "-",
        )
    )
    errors = results["gateway"]["errors"], results["direct"]["errors"]
    rows.append(
        ("errors", str(errors[0]), str(errors[1]), "-", "0", MET if not any(errors) else NOT_MET)
    )
    return rows


def render(rows: list[tuple[str, ...]]) -> str:
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    lines = [" | ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in rows]
    lines.insert(1, "-+-".join("-" * w for w in widths))
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="benchmarks/gateway.py", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="5 s per phase (smoke test)")
    parser.add_argument("--output", type=Path, default=Path(".bench/gateway.json"))
    args = parser.parse_args(argv)
    work = Path(tempfile.mkdtemp(prefix="careflow-gateway-bench-"))
    phase_line(f"starting PostgreSQL, the upstream and the gateway (logs in {work})")
    results = asyncio.run(measure(args.quick, work))
    rows = table(results)
    print()
    print(render(rows))
    print()
    print(
        f"  direct p50/p99 first {results['direct_first']['p50_ms']:.2f}/"
        f"{results['direct_first']['p99_ms']:.2f} ms, last {results['direct_last']['p50_ms']:.2f}/"
        f"{results['direct_last']['p99_ms']:.2f} ms; {results['cpus']} CPUs; "
        f"total run {time.monotonic() - _STARTED:.0f} s{' (--quick)' if args.quick else ''}"
    )
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(json_safe({"quick": args.quick, **results}), indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
