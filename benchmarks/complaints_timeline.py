"""Where a complaint's time went when a phase of the complaints bench stalls.

Measurement only (nothing here changes the load): per complaint the stages (due ->
written by the generator -> answered -> stamped by the relay's producer -> seen by the
watcher), per 100 ms the CPU of every process and of the whole machine (other work on
this shared machine shows as `others`), the service's own stall log (event-loop lag and
GC pauses, careflow.shared.service.stalls), PostgreSQL's log (checkpoints, autovacuum,
statements over 100 ms) and its checkpointer / WAL statistics per phase.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import math
import re
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import asyncpg
import psutil
from case_flow_load import ServiceUsage
from complaints_load import Sent, Watcher

#: PostgreSQL settings for the diagnosis (logging and timing only; none changes a plan,
#: a commit or a checkpoint).
PG_DIAGNOSTICS = {
    "log_checkpoints": "on",
    "log_autovacuum_min_duration": "0",
    "log_min_duration_statement": "100",
    "track_io_timing": "on",
    "track_wal_io_timing": "on",
}
STATS_SQL = {
    "checkpointer": "SELECT num_timed, num_requested, write_time, sync_time, buffers_written "
    "FROM pg_stat_checkpointer",
    "wal": "SELECT wal_records, wal_bytes, wal_buffers_full FROM pg_stat_wal",
    "wal_io": "SELECT coalesce(sum(writes), 0) AS writes, coalesce(sum(fsyncs), 0) AS fsyncs, "
    "coalesce(sum(write_time), 0) AS write_ms, coalesce(sum(fsync_time), 0) AS fsync_ms "
    "FROM pg_stat_io WHERE object = 'wal'",
    # Sessions opened (every connection a pool opens beyond the ones it keeps is one
    # more: connect, authentication, a backend started, statements prepared again).
    "database": "SELECT coalesce(sum(sessions), 0) AS sessions FROM pg_stat_database",
    "autovacuum": "SELECT coalesce(sum(autovacuum_count), 0) AS vacuums, "
    "coalesce(sum(autoanalyze_count), 0) AS analyzes FROM pg_stat_all_tables",
}
_WALL_TO_MONO = time.time() - time.monotonic()


def mono(wall: float) -> float:
    return wall - _WALL_TO_MONO


async def enable_pg_diagnostics(admin_url: str) -> None:
    conn = await asyncpg.connect(admin_url)
    try:
        for name, value in PG_DIAGNOSTICS.items():
            await conn.execute(f"ALTER SYSTEM SET {name} = '{value}'")
        await conn.execute("SELECT pg_reload_conf()")
    finally:
        await conn.close()


async def pg_stats(admin_url: str) -> dict[str, float]:
    conn = await asyncpg.connect(admin_url)
    try:
        stats: dict[str, float] = {}
        for group, sql in STATS_SQL.items():
            row = await conn.fetchrow(sql)
            if row is not None:
                stats |= {f"{group}.{k}": float(v or 0) for k, v in row.items()}
        return stats
    finally:
        await conn.close()


class Timeline:
    """CPU seconds of every process (and the machine) every 100 ms, with PostgreSQL's
    backend count and the machine's disk busy time."""

    def __init__(self, usage: ServiceUsage, postgres_pid: int | None, every: float = 0.1) -> None:
        self.usage, self.every = usage, every
        self.samples: list[tuple[float, dict[str, float]]] = []
        self.gauges: list[tuple[float, dict[str, float]]] = []
        self._me = psutil.Process()
        self._postgres = psutil.Process(postgres_pid) if postgres_pid else None
        #: Once a second, the three busiest processes that are none of ours (the
        #: `others` column by name): [(monotonic s, [(% of a core, pid, command)])].
        self.foreign: list[tuple[float, list[tuple[float, int, str]]]] = []
        self._seen: dict[int, float] = {}
        self._seen_at = 0.0

    def _ours(self) -> set[int]:
        pids = {self._me.pid}
        for proc in [*self.usage._procs.values(), *self.usage._servers.values()]:
            pids.add(proc.pid)
            with contextlib.suppress(psutil.Error):
                pids.update(c.pid for c in proc.children(recursive=True))
        return pids

    def _busiest_others(self, now: float) -> None:
        ours, cpu = self._ours(), {}
        names: dict[int, str] = {}
        for proc in psutil.process_iter(["pid", "cpu_times", "cmdline", "name"]):
            info = proc.info
            if info["pid"] in ours or info["cpu_times"] is None:
                continue
            times = info["cpu_times"]
            cpu[info["pid"]] = times.user + times.system
            names[info["pid"]] = " ".join(info["cmdline"] or [info["name"] or "?"])[:100]
        span = now - self._seen_at
        if self._seen and span > 0:
            busy = sorted(
                ((cpu[p] - self._seen.get(p, 0.0)) * 100 / span, p, names[p]) for p in cpu
            )[-3:]
            self.foreign.append((now, [(round(pct), p, n) for pct, p, n in reversed(busy)]))
        self._seen, self._seen_at = cpu, now

    async def run(self) -> None:
        while True:
            own = self._me.cpu_times()
            used = self.usage.all_cpu_seconds() | {"generator": own.user + own.system}
            # Time the hypervisor gave this VM's cores to someone else (counted in
            # `machine`'s busy time, not any process's).
            used["steal"] = getattr(psutil.cpu_times(), "steal", 0.0)
            disk = psutil.disk_io_counters()
            if disk is not None:
                used["disk_busy"] = getattr(disk, "busy_time", 0) / 1000
            now = time.monotonic()
            self.samples.append((now, used))
            if self._postgres is not None:
                with contextlib.suppress(psutil.Error):
                    backends = len(self._postgres.children())
                    self.gauges.append((now, {"postgres_processes": backends}))
            if now - self._seen_at >= 1.0:
                self._busiest_others(now)
            await asyncio.sleep(self.every)

    def percent(self, start: float, end: float) -> list[tuple[float, dict[str, float]]]:
        """Per sample interval in [start, end]: % of one core per process, `others` the
        rest of the machine."""
        out = []
        for (t0, a), (t1, b) in zip(self.samples, self.samples[1:], strict=False):
            if t1 < start or t0 > end:
                continue
            span = t1 - t0
            pct = {n: (b[n] - a[n]) * 100 / span for n in b if n in a}
            ours = sum(v for n, v in pct.items() if n not in ("machine", "disk_busy"))
            pct["others"] = pct.pop("machine", math.nan) - ours
            out.append((t1, pct))
        return out


_SERVICE_STALL = re.compile(r"event loop stalled|garbage collection paused")
_PG_LINE = re.compile(r"^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d+) UTC \[\d+\] (\w+):\s+(.*)$")


def service_stalls(log_path: Path, start: float, end: float) -> list[dict[str, Any]]:
    events = []
    for line in log_path.read_text(errors="replace").splitlines():
        if not _SERVICE_STALL.search(line):
            continue
        try:
            entry = json.loads(line)
        except ValueError:
            continue
        wall = datetime.strptime(entry["time"], "%Y-%m-%d %H:%M:%S,%f").replace(tzinfo=UTC)
        at = mono(wall.timestamp())
        if start <= at <= end:
            keep = ("message", "lag_ms", "pause_ms", "generation", "collected")
            events.append({"at": at} | {k: entry[k] for k in keep if k in entry})
    return events


def pg_events(log_path: Path | None, start: float, end: float) -> list[dict[str, Any]]:
    if log_path is None or not log_path.exists():
        return []
    events = []
    for line in log_path.read_text(errors="replace").splitlines():
        match = _PG_LINE.match(line)
        if not match:
            continue
        wall = datetime.strptime(match[1], "%Y-%m-%d %H:%M:%S.%f").replace(tzinfo=UTC)
        at = mono(wall.timestamp())
        if start <= at <= end:
            events.append({"at": at, "level": match[2], "text": match[3][:300]})
    return events


def _q(values: Sequence[float], q: float) -> float:
    if not values:
        return math.nan
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, math.ceil(q * len(ordered)) - 1)]


def stages(s: Sent, watcher: Watcher) -> dict[str, float]:
    """Milliseconds spent in each stage of one complaint (missing stages left out)."""
    out: dict[str, float] = {}
    if s.sent_at is not None:
        out["generator"] = (s.sent_at - s.due) * 1000
        if s.answered_at is not None:
            out["http"] = (s.answered_at - s.sent_at) * 1000
    if s.case_id and s.answered_at is not None and (p := watcher.published.get(s.case_id)):
        out["relay"] = (p - s.answered_at) * 1000
        if (seen := watcher.seen.get(s.case_id)) is not None:
            out["broker+watcher"] = (seen - p) * 1000
    return out


def per_second(sent: list[Sent], watcher: Watcher, start: float) -> list[dict[str, Any]]:
    """One row per second of the phase (by due time): sends, 503s, latency and stages."""
    buckets: dict[int, list[Sent]] = {}
    for s in sent:
        buckets.setdefault(int(s.due - start), []).append(s)
    rows = []
    for second, group in sorted(buckets.items()):
        routed = [
            (watcher.seen[s.case_id] - s.due) * 1000
            for s in group
            if s.case_id and s.case_id in watcher.seen
        ]
        per_stage: dict[str, list[float]] = {}
        for s in group:
            for name, ms in stages(s, watcher).items():
                per_stage.setdefault(name, []).append(ms)
        rows.append(
            {
                "second": second,
                "sends": len(group),
                "refused": sum(1 for s in group if s.status == 503),
                "failed": sum(1 for s in group if s.status not in (201, 503)),
                "p99_ms": _q(routed, 0.99),
                "max_ms": max(routed, default=math.nan),
                "max_stage_ms": {n: max(v) for n, v in per_stage.items()},
            }
        )
    return rows


def _in_flight(sent: list[Sent], at: float) -> int:
    """Requests the generator had written and not yet had answered at `at`."""
    return sum(
        1
        for s in sent
        if s.sent_at is not None and s.sent_at <= at and (s.answered_at or math.inf) > at
    )


def _gauge(timeline: Timeline, at: float) -> dict[str, float]:
    before = [g for t, g in timeline.gauges if t <= at]
    return before[-1] if before else {}


def diagnose(
    sent: list[Sent],
    watcher: Watcher,
    timeline: Timeline,
    service_log: Path,
    pg_log: Path | None,
    *,
    slow_ms: float = 250.0,
) -> dict[str, Any]:
    """The phase per second, and around each second with a complaint slower than
    `slow_ms` or a refusal: stages of its slowest complaints, CPU per 100 ms, the
    service's stall log and PostgreSQL's log."""
    if not sent:
        return {}
    start, end = sent[0].due, max(s.answered_at or s.due for s in sent) + 1.0
    seconds = per_second(sent, watcher, start)
    slow = [r for r in seconds if r["max_ms"] > slow_ms or r["refused"] or r["failed"]]
    windows = []
    for row in slow[:5]:
        w0 = start + row["second"] - 1.0
        w1 = w0 + 3.0
        group = [s for s in sent if int(s.due - start) == row["second"]]
        slowest = sorted(
            group,
            key=lambda s: watcher.seen.get(s.case_id or "", math.inf) - s.due,
            reverse=True,
        )[:5]
        windows.append(
            {
                "second": row["second"],
                "slowest": [
                    {"due": round(s.due - start, 3), "status": s.status} | stages(s, watcher)
                    for s in slowest
                ],
                "cpu_percent": [
                    {"at": round(t - start, 2), "in_flight": _in_flight(sent, t)}
                    | {n: round(v) for n, v in pct.items()}
                    | _gauge(timeline, t)
                    for t, pct in timeline.percent(w0, w1)
                ],
                "service_stalls": [
                    e | {"at": round(e["at"] - start, 3)}
                    for e in service_stalls(service_log, w0, w1)
                ],
                "postgres_log": [
                    e | {"at": round(e["at"] - start, 3)} for e in pg_events(pg_log, w0, w1)
                ],
            }
        )
    return {
        "per_second": seconds,
        # The busiest processes none of ours, per second of the phase.
        "foreign_processes": [
            {"at": round(t - start, 1), "top": top}
            for t, top in timeline.foreign
            if start <= t <= end
        ],
        "slow_seconds": [r["second"] for r in slow],
        "windows": windows,
        "service_stalls": [
            e | {"at": round(e["at"] - start, 3)} for e in service_stalls(service_log, start, end)
        ],
        "postgres_log": [
            e | {"at": round(e["at"] - start, 3)} for e in pg_events(pg_log, start, end)
        ],
    }
