"""The case-flow benchmark's instruments: the load generator, the queue watcher, RSS, stamps."""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from typing import Any

import asyncpg
import psutil
from case_flow_http import HttpError, KeepAliveConnection
from case_flow_report import Stamps, Submission, schedule, spread_rate, summarise

ORG, GROUP = "org-bench", "nurses"
FORM = json.dumps(
    {
        "kind": "symptom_assessment",
        "language": "fi",
        "organisation_id": ORG,
        "group_id": GROUP,
        "phone": "+358401234567",
        # No red flag, fever for two days: intake computes P3 (symptoms-1).
        "answers": {
            **dict.fromkeys(
                (
                    "unconscious_or_confused",
                    "severe_breathing_difficulty",
                    "chest_pain",
                    "stroke_signs",
                    "heavy_bleeding",
                ),
                False,
            ),
            "fever": True,
            "symptom_days": 2,
        },
    }
).encode()


#: The event workqueue's outbox holds, in the transaction that adds a case's item.
ITEM_ADDED = "careflow.queue_item.added.v1"


class NewRows:
    """Which outbox ids the next poll must read: every id above the highest one seen,
    and the ids below it not seen yet. Ids are taken in order but committed in any order
    (two of workqueue's transactions at once), so an id passed over may still appear;
    one that has not within `forget_after` seconds belonged to a rolled-back
    transaction and is dropped."""

    def __init__(self, highest: int, forget_after: float = 30.0) -> None:
        self.highest = highest
        self.missing: dict[int, float] = {}
        self._forget_after = forget_after

    def saw(self, ids: list[int], now: float) -> None:
        for passed in set(range(self.highest + 1, max(ids, default=0))) - set(ids):
            self.missing[passed] = now
        self.highest = max([self.highest, *ids])
        for found in ids:
            self.missing.pop(found, None)
        for gone in [i for i, since in self.missing.items() if now - since > self._forget_after]:
            del self.missing[gone]


class Visibility:
    """Notes when each accepted submission's item shows in workqueue's database.

    Polls every 20 ms, and at once when a submission is answered (its item may have
    shown already); checks at most every 2 ms. Workqueue's commits no longer NOTIFY
    (the relay wakes in process), so a time noted is when the bench saw the row: up to
    about 22 ms after the commit, which the latency figures carry.

    A poll reads workqueue's outbox rows committed since the last one (`NewRows`), not
    the outstanding cases' items: an item and its QueueItemAdded row commit together,
    and the outbox's key is the case id. Asking for every outstanding case's item cost
    the watcher's backend 0.6-1.2 ms of CPU per poll, 0.3-0.5 ms per submission at
    500/s, a load the suite itself never carries; reading what is new costs about
    0.08 ms, whatever is outstanding. The outbox grows faster than autovacuum's
    statistics follow it, and with them the planner took a sequential scan of the
    whole table for a poll's few new rows: the poll is the only query on this
    connection, so the planner is told to keep to the index.
    """

    def __init__(self, url: str) -> None:
        self._url = _libpq(url)
        self.outstanding: dict[str, Submission] = {}
        # Items read before their submission was answered, with the time they were read.
        self._early: dict[str, float] = {}
        self._wake = asyncio.Event()
        self._empty = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        self._conn = await asyncpg.connect(self._url, server_settings={"enable_seqscan": "off"})
        self._rows = NewRows(await self._conn.fetchval("SELECT coalesce(max(id), 0) FROM outbox"))
        self._task = asyncio.create_task(self._run())

    def watch(self, submission: Submission) -> None:
        assert submission.case_id is not None
        if (seen := self._early.pop(submission.case_id, None)) is not None:
            submission.visible = seen
            return
        self.outstanding[submission.case_id] = submission
        self._wake.set()  # it may have become visible before the answer arrived

    async def _run(self) -> None:
        while True:
            # asyncio.timeout, not wait_for: on 3.11 wait_for can swallow the cancel of stop().
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(0.02):
                    await self._wake.wait()
            self._wake.clear()
            if self.outstanding:
                await self._poll()
            if not self.outstanding:
                self._empty.set()
            await asyncio.sleep(0.002)

    async def _poll(self) -> None:
        found = await self._conn.fetch(
            "SELECT id, event_type, key FROM outbox WHERE id > $1 OR id = ANY($2::bigint[])",
            self._rows.highest,
            list(self._rows.missing),
        )
        seen = time.monotonic()
        self._rows.saw([row["id"] for row in found], seen)
        for _, event_type, key in found:
            if event_type != ITEM_ADDED:
                continue
            if (submission := self.outstanding.pop(key, None)) is not None:
                submission.visible = seen
            else:
                self._early[key] = seen
        if len(self._early) > 10_000:  # not this run's: a case answered long ago, or none
            for key in [k for k, at in self._early.items() if seen - at > 60]:
                del self._early[key]

    async def drained(self, within: float) -> None:
        """Waits (after the last answer) until every accepted submission showed."""
        if self.outstanding:
            self._empty.clear()
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(within):
                    await self._empty.wait()
        self.outstanding.clear()  # what is left counts as never visible

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
        await self._conn.close()


class ServiceUsage:
    """Peak RSS of each service (sampled every 250 ms); CPU time of the services, of the
    servers under them (a server's child processes included: PostgreSQL's backends) and
    of the whole machine, which other work on it may share."""

    def __init__(self, services: dict[str, int], servers: dict[str, int]) -> None:
        self._procs = {name: psutil.Process(pid) for name, pid in services.items()}
        self._servers = {name: psutil.Process(pid) for name, pid in servers.items()}
        self.peak_mb: dict[str, float | None] = dict.fromkeys(services)  # None: never sampled

    async def run(self) -> None:
        while True:
            for name, proc in self._procs.items():
                try:
                    mb = proc.memory_info().rss / 1024 / 1024
                except psutil.Error:
                    continue
                self.peak_mb[name] = max(self.peak_mb[name] or 0.0, mb)
            await asyncio.sleep(0.25)

    def cpu_seconds(self) -> dict[str, float]:
        """Services only (what `settle` watches)."""
        return {name: _cpu(proc) for name, proc in self._procs.items()}

    def all_cpu_seconds(self) -> dict[str, float]:
        """Services, servers (with their children) and `machine` (busy time of all cores)."""
        used = self.cpu_seconds()
        for name, proc in self._servers.items():
            with contextlib.suppress(psutil.Error):
                used[name] = _cpu(proc) + sum(_cpu(c) for c in proc.children(recursive=True))
        machine = psutil.cpu_times()
        used["machine"] = sum(machine) - machine.idle - getattr(machine, "iowait", 0.0)
        return used

    async def settle(self, within: float, below_percent: float = 20.0) -> float:
        """Waits until every service used less than `below_percent` of a core over a second:
        requests a timed-out client abandoned are still being worked off, and would load the
        next phase. Returns the seconds waited (at most `within`)."""
        started = time.monotonic()
        while time.monotonic() - started < within:
            before = self.cpu_seconds()
            await asyncio.sleep(1.0)
            after = self.cpu_seconds()
            if all((after[n] - before[n]) * 100 < below_percent for n in after):
                break
        return time.monotonic() - started


def _cpu(proc: psutil.Process) -> float:
    try:
        times = proc.cpu_times()
    except psutil.Error:  # a child that has just exited
        return 0.0
    return float(times.user + times.system)


class Load:
    """Open-loop POST /forms at a fixed rate, sent over `connections` keep-alive connections.

    Every submission is due at its slot whatever came back before; the connections
    send them in due order. Latency counts from the due time, so a submission that
    waited for a free connection (intake falling behind) shows as latency instead of
    slowing the offered rate down. Never more requests in flight than connections.
    What still waits `timeout` s after the last slot is not sent.
    """

    def __init__(
        self,
        address: tuple[str, int],
        tokens: list[str],
        seen: Visibility,
        usage: ServiceUsage,
        *,
        connections: int,
        timeout: float,
        open_first: bool = False,
    ) -> None:
        self._address, self._tokens, self._seen, self._usage = address, tokens, seen, usage
        self._connections, self._timeout = connections, timeout
        # Every connection opened before the first submission is due, instead of by it.
        self._open_first = open_first
        self._next = 0

    async def _submit(self, connection: KeepAliveConnection, submission: Submission) -> None:
        token = self._tokens[self._next % len(self._tokens)]
        self._next += 1
        submission.sent = time.monotonic()
        try:
            status, answer = await connection.post_json("/forms", FORM, token)
        except HttpError as exc:
            submission.error = str(exc)  # status None: a failed request
            return
        submission.answered = time.monotonic()
        submission.status = status
        if status == 201:
            submission.case_id = json.loads(answer)["case_id"]
            self._seen.watch(submission)

    async def run(
        self,
        rate: float,
        seconds: float,
        visible_within: float,
        *,
        offsets: list[float] | None = None,
    ) -> tuple[dict[str, Any], list[Submission]]:
        """`offsets` (s from the start) replace the even schedule of `rate` for `seconds`
        (the overload phase: a burst, then the normal rate right after it)."""
        conns = [
            KeepAliveConnection(*self._address, timeout=self._timeout)
            for _ in range(self._connections)
        ]
        if self._open_first:
            await asyncio.gather(*(conn.connect() for conn in conns))
        start = time.monotonic() + 0.05
        if offsets is None:
            offsets = schedule(rate, seconds)
        submissions = [Submission(start + offset) for offset in offsets]
        give_up_at = submissions[-1].due + self._timeout
        due: asyncio.Queue[Submission | None] = asyncio.Queue()

        async def release() -> None:
            for submission in submissions:
                if (delay := submission.due - time.monotonic()) > 0:
                    await asyncio.sleep(delay)
                due.put_nowait(submission)
            for _ in range(self._connections):
                due.put_nowait(None)

        async def connection(conn: KeepAliveConnection) -> None:
            try:
                while (submission := await due.get()) is not None:
                    if time.monotonic() > give_up_at:
                        submission.error = "NotSent"
                    else:
                        await self._submit(conn, submission)
            finally:
                conn.close()

        cpu0, used0 = time.process_time(), self._usage.all_cpu_seconds()
        await asyncio.gather(release(), *(connection(conn) for conn in conns))
        await self._seen.drained(visible_within)
        wall = time.monotonic() - start
        result = summarise(submissions, rate, seconds)
        result["sent_rate"] = spread_rate([s.sent for s in submissions if s.sent is not None])
        result["generator_cpu_percent"] = (time.process_time() - cpu0) / wall * 100
        used = self._usage.all_cpu_seconds()
        result["cpu_percent"] = {
            name: (used[name] - used0[name]) / wall * 100 for name in used if name in used0
        }
        # CPU time does not depend on how busy the machine is the way latency does:
        # the figure to compare between runs (and to halve) on a shared machine.
        result["cpu_ms_per_accepted"] = {
            name: (used[name] - used0[name]) * 1000 / result["accepted"]
            for name in used
            if name in used0 and result["accepted"]
        }
        return result, submissions


async def stamps(urls: dict[str, str], submissions: list[Submission]) -> Stamps:
    """The databases' timestamps of each submission's trip, on this process's monotonic clock."""
    ids = [s.case_id for s in submissions if s.case_id]
    to_monotonic = time.time() - time.monotonic()
    intake = await asyncpg.connect(_libpq(urls["intake"]))
    workqueue = await asyncpg.connect(_libpq(urls["workqueue"]))
    try:
        relayed = await intake.fetch(
            "SELECT key, created_at, published_at FROM outbox "
            "WHERE event_type = 'careflow.case.submitted.v1' AND key = ANY($1::text[])",
            ids,
        )
        handled = dict(
            await workqueue.fetch(
                "SELECT case_id::text, added_at FROM queue_items WHERE case_id = ANY($1::uuid[])",
                ids,
            )
        )
    finally:
        await intake.close()
        await workqueue.close()
    return {
        key: (
            created.timestamp() - to_monotonic,
            published.timestamp() - to_monotonic,
            handled[key].timestamp() - to_monotonic,
        )
        for key, created, published in relayed
        if published is not None and key in handled
    }


def _libpq(url: str) -> str:
    return url.replace("postgresql+asyncpg://", "postgresql://")
