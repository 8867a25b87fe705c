"""The moving parts of the notification benchmark: the providers' process, the service's
process, the events published to the broker, and the figures computed from the receipts.

Used by `benchmarks/notifications.py`; nothing here prints a table.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import subprocess
import sys
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psutil

from careflow.bench.harness import Recorder
from careflow.contracts.base import ContractEvent
from careflow.contracts.cases import ClosingProposed, CoachingAttached, TaskAssigned
from careflow.contracts.cases import objection_deadline as deadline_of
from careflow.contracts.envelope import Envelope
from careflow.contracts.notifications import NotificationRequested
from careflow.contracts.registry import TOPICS
from careflow.contracts.residents import ResidentContactDetailsChanged, ResidentContactUpdated
from careflow.contracts.workqueue import QueueItemMarkedIncomplete
from careflow.local.ports import free_port
from careflow.local.supervisor import ServiceProcess, service_env, stop_services
from careflow.shared.messaging.producer import create_producer
from careflow.shared.settings import BrokerSettings

SINKS = Path(__file__).with_name("notification_sinks.py")
CHANNELS = ("email", "sms")
LANGUAGES = ("fi", "sv", "en")
#: What residents are notified of, in turn: every topic and purpose the service reads.
KINDS = ("new_message", "action_instruction", "coaching", "closing_proposed", "incomplete")


# --- the providers ---------------------------------------------------------------


@dataclass
class Providers:
    """Parent side of the providers' process: every receipt, per channel and per case."""

    smtp_port: int = field(default_factory=free_port)
    sms_port: int = field(default_factory=free_port)
    #: (received_at, case_id) per channel, in arrival order.
    stamps: dict[str, list[tuple[float, str | None]]] = field(
        default_factory=lambda: {c: [] for c in CHANNELS}
    )
    by_case: dict[str, dict[str, float]] = field(default_factory=dict)
    duplicates: Counter[str] = field(default_factory=Counter)
    #: Notifications whose every channel arrived, at the last channel's receipt.
    complete: Recorder = field(default_factory=Recorder)
    _child: asyncio.subprocess.Process | None = None
    _reader: asyncio.Task[None] | None = None

    async def start(self) -> None:
        env = {
            **os.environ,
            "BENCH_SMTP_PORT": str(self.smtp_port),
            "BENCH_SMS_PORT": str(self.sms_port),
        }
        self._child = await asyncio.create_subprocess_exec(
            sys.executable,
            str(SINKS),
            env=env,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            limit=16 * 1024 * 1024,
        )
        ready = asyncio.get_running_loop().create_future()
        self._reader = asyncio.create_task(self._read(ready))
        await asyncio.wait_for(ready, 30)

    @property
    def pid(self) -> int:
        assert self._child is not None
        return self._child.pid

    async def _read(self, ready: asyncio.Future[None]) -> None:
        assert self._child is not None
        assert self._child.stdout is not None
        while line := await self._child.stdout.readline():
            text = line.decode()
            if text.startswith("R "):
                for channel, case_id, at, duplicate in json.loads(text[2:]):
                    self._receive(channel, case_id, at, duplicate)
            elif text.strip() == "ready" and not ready.done():
                ready.set_result(None)
            else:
                sys.stderr.write(text)
        if not ready.done():
            ready.set_exception(RuntimeError("the providers' process exited early"))

    def _receive(self, channel: str, case_id: str | None, at: float, duplicate: bool) -> None:
        self.stamps[channel].append((at, case_id))
        if duplicate:
            self.duplicates[channel] += 1
            return
        if case_id is None:
            return
        arrived = self.by_case.setdefault(case_id, {})
        arrived.setdefault(channel, at)
        if len(arrived) == len(CHANNELS):
            self.complete.record(case_id, max(arrived.values()))

    def mark(self) -> dict[str, int]:
        """Where each channel's receipts stand now (a phase starts here)."""
        return {c: len(s) for c, s in self.stamps.items()}

    def since(self, mark: dict[str, int], channel: str) -> list[float]:
        return [at for at, _case in self.stamps[channel][mark[channel] :]]

    async def stop(self) -> None:
        if self._child is not None and self._child.returncode is None:
            self._child.terminate()
            try:
                await asyncio.wait_for(self._child.wait(), 10)
            except TimeoutError:
                self._child.kill()
                await self._child.wait()
        if self._reader is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._reader, 5)


def busiest_second(stamps: list[float]) -> int:
    """The most receipts within any 1-s window (t-1, t], sliding: stricter than clock seconds."""
    ordered = sorted(stamps)
    best, start = 0, 0
    for end, at in enumerate(ordered):
        while ordered[start] <= at - 1.0:
            start += 1
        best = max(best, end - start + 1)
    return best


def busiest_clock_second(stamps: list[float]) -> int:
    """The most receipts within one wall-clock second (fixed windows, as providers often count)."""
    return max(Counter(int(at) for at in stamps).values(), default=0)


# --- the service -------------------------------------------------------------------


@dataclass
class ProfiledService(ServiceProcess):
    """The service under cProfile (`--profile`); the stats are written when it stops."""

    profile: Path | None = None

    def start(self, env: dict[str, str]) -> None:
        if self.profile is None:
            super().start(env)
            return
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        command = ["-m", "cProfile", "-o", str(self.profile), "-m", f"careflow.{self.name}"]
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, *command],
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                env={**os.environ, **env},
                start_new_session=True,
            )


def service_process(
    *,
    log_dir: Path,
    log_name: str = "notification.log",
    database_url: str,
    bootstrap: str,
    jwks: Path,
    providers: Providers,
    email_limit: float,
    sms_limit: float,
    overrides: dict[str, str] | None = None,
    profile: Path | None = None,
) -> tuple[ServiceProcess, dict[str, str]]:
    """`python -m careflow.notification` with its settings in the environment (as `make run`)."""
    service = ProfiledService("notification", free_port(), log_dir / log_name, profile=profile)
    env = service_env(
        service, database_url=database_url, bootstrap_servers=bootstrap, jwks_path=jwks
    )
    env |= {
        "NOTIFICATION_SMTP__PORT": str(providers.smtp_port),
        "NOTIFICATION_SMS__PROVIDER_URL": f"http://127.0.0.1:{providers.sms_port}",
        "NOTIFICATION_SENDER__EMAIL_PER_SECOND": str(email_limit),
        "NOTIFICATION_SENDER__SMS_PER_SECOND": str(sms_limit),
    }
    return service, env | (overrides or {})


def start_service(service: ServiceProcess, env: dict[str, str], timeout: float = 300) -> None:
    service.start(env)
    problem = service.wait_healthy(timeout)
    if problem is not None:
        raise RuntimeError(f"notification {problem}:\n{service.log_tail(40)}")


def stop_service(service: ServiceProcess) -> None:
    process = service.process
    if isinstance(service, ProfiledService) and service.profile and process is not None:
        # uvicorn re-raises the signal it stopped on: SIGTERM would end the process
        # before cProfile writes its stats, SIGINT lets them be written.
        process.send_signal(signal.SIGINT)
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(60)
    stop_services([service], timeout=20)


# --- events --------------------------------------------------------------------------


def resident_events(resident_id: uuid.UUID, n: int) -> list[ContractEvent]:
    """What intake publishes for a resident who opted in to email and SMS."""
    now = datetime.now(UTC)
    language = LANGUAGES[n % len(LANGUAGES)]
    return [
        ResidentContactUpdated(
            resident_id=resident_id,
            anonymous=False,
            email_notifications=True,
            sms_notifications=True,
            phone_contact_allowed=True,
            communication_language=language,  # type: ignore[arg-type]
            has_email=True,
            has_phone=True,
            updated_at=now,
            time_zone="Europe/Helsinki" if language != "sv" else "Europe/Stockholm",
        ),
        ResidentContactDetailsChanged(
            resident_id=resident_id,
            email=f"resident{n}@bench.example",
            phone=f"+35840{n:07d}",
            communication_language=language,  # type: ignore[arg-type]
            changed_at=now,
        ),
    ]


def notifying_event(i: int, resident_id: uuid.UUID, case_id: uuid.UUID) -> ContractEvent:
    """Event number i: the kinds in turn, each about a case of its own (its link names it)."""
    now = datetime.now(UTC)
    kind = KINDS[i % len(KINDS)]
    if kind == "new_message":
        return NotificationRequested(
            notification_id=uuid.uuid4(),
            requested_by="messaging",
            requested_at=now,
            resident_id=resident_id,
            purpose="new_message",
            channels=["email", "sms"],
            link_target="case",
            case_id=case_id,
        )
    if kind == "action_instruction":
        return TaskAssigned(
            case_id=case_id,
            resident_id=resident_id,
            task_id=uuid.uuid4(),
            task_kind="action_instruction",
            assigned_by="pro-bench",
            start_date=now.date(),
            assigned_at=now,
        )
    if kind == "coaching":
        return CoachingAttached(
            case_id=case_id,
            resident_id=resident_id,
            coaching_id=uuid.uuid4(),
            attached_by="pro-bench",
            attached_at=now,
        )
    if kind == "closing_proposed":
        return ClosingProposed(
            case_id=case_id,
            resident_id=resident_id,
            proposal_id=uuid.uuid4(),
            proposed_by="professional",
            professional_id="pro-bench",
            proposed_at=now,
            objection_deadline=deadline_of(now),
        )
    return QueueItemMarkedIncomplete(
        case_id=case_id, resident_id=resident_id, marked_by="pro-bench", marked_at=now
    )


class Publisher:
    """Publishes contract events as their owners' relays would (CloudEvents headers, keys)."""

    def __init__(self, bootstrap: str) -> None:
        self._producer = create_producer(
            BrokerSettings(bootstrap_servers=bootstrap, idempotent_producer=False),
            client_id="bench-publisher",
        )

    async def start(self) -> None:
        await self._producer.start()

    async def stop(self) -> None:
        await self._producer.stop()

    async def send(self, event: ContractEvent) -> asyncio.Future[Any]:
        """Queues the event; the future resolves when the broker acknowledged it."""
        headers = Envelope(
            id=str(uuid.uuid4()),
            type=event.event_type,
            source="/careflow/bench",
            subject=event.key(),
        ).to_headers()
        return await self._producer.send(
            TOPICS.for_event(event).name,
            value=event.model_dump_json().encode(),
            key=event.key().encode(),
            headers=headers,
        )

    async def publish(self, event: ContractEvent) -> float:
        """Sends and waits for the acknowledgement; returns when it came (wall clock)."""
        await (await self.send(event))
        return time.time()


# --- CPU -----------------------------------------------------------------------------


class CpuMeter:
    """CPU seconds of the processes taking part, per role, between two readings.

    A role is (pid, with its child processes): PostgreSQL's backends are the
    postmaster's children; this process's children are the other roles.
    """

    def __init__(self, roles: dict[str, tuple[int, bool]]) -> None:
        self._roles = roles

    def read(self) -> dict[str, float]:
        totals: dict[str, float] = {}
        for role, (pid, children) in self._roles.items():
            seconds = 0.0
            with contextlib.suppress(psutil.Error):
                process = psutil.Process(pid)
                for p in [process, *(process.children(recursive=True) if children else [])]:
                    with contextlib.suppress(psutil.Error):
                        times = p.cpu_times()
                        seconds += times.user + times.system
            totals[role] = seconds
        return totals

    @staticmethod
    def share(before: dict[str, float], after: dict[str, float], wall: float) -> dict[str, float]:
        """Per role: percent of one core over `wall` seconds."""
        return {role: (after[role] - before.get(role, 0.0)) / wall * 100 for role in after}
