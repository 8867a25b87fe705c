"""`careflow-local run` (what `make run` starts) as a subprocess on free ports, for tests."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

from careflow.local.ports import listen_port
from careflow.local.postgres import EmbeddedPostgres

READY = "Ctrl-C stops everything."


def _command() -> list[str]:
    script = Path(sys.executable).parent / "careflow-local"
    return [str(script)] if script.exists() else [sys.executable, "-m", "careflow.local.cli"]


class LocalRun:
    """One `careflow-local run` subprocess on free ports, its output in a file."""

    def __init__(self, var: Path, *extra: str) -> None:
        self.var = var
        self.pg_port, self.kafka_port, self.smtp_port = listen_port(), listen_port(), listen_port()
        self.issuer_port = listen_port()
        self.out = var.parent / f"run-{uuid.uuid4().hex[:6]}.out"
        args = ["run", "--var", str(var), "--pg-port", str(self.pg_port)]
        args += ["--kafka-port", str(self.kafka_port), "--smtp-port", str(self.smtp_port)]
        args += ["--issuer-port", str(self.issuer_port), *extra]
        with open(self.out, "wb") as out:
            self.process = subprocess.Popen(
                [*_command(), *args], stdout=out, stderr=subprocess.STDOUT
            )

    @property
    def output(self) -> str:
        return self.out.read_text(errors="replace")

    async def ready(self, timeout: float = 180.0) -> str:
        deadline = time.monotonic() + timeout
        while READY not in self.output:
            assert self.process.poll() is None, f"careflow-local exited early:\n{self.output}"
            assert time.monotonic() < deadline, f"no table after {timeout}s:\n{self.output}"
            await asyncio.sleep(0.2)
        return self.output

    def pid_of(self, component: str) -> int | None:
        match = re.search(rf"^{re.escape(component)}\s.*\s(\d+)\s*$", self.output, re.MULTILINE)
        return int(match.group(1)) if match else None

    @property
    def issuer_url(self) -> str:
        return f"http://127.0.0.1:{self.issuer_port}"

    def stop(self) -> int:
        """Ctrl-C; whatever is still running afterwards is recorded in `leaked` and killed."""
        pids = {
            "PostgreSQL": self.pid_of("PostgreSQL"),
            "Tansu": self.pid_of("Tansu (Kafka API)"),
            "OIDC issuer": self.pid_of("OIDC issuer"),
        }
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
        try:
            return self.process.wait(90)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(10)
            return -1
        finally:
            self.leaked = [name for name, pid in pids.items() if pid and _alive(pid)]
            if pids["PostgreSQL"] and "PostgreSQL" in self.leaked:
                EmbeddedPostgres(self.var / "postgres", port=self.pg_port).stop()
            for name in ("Tansu", "OIDC issuer"):
                if pids[name] and name in self.leaked:
                    os.kill(pids[name], signal.SIGKILL)  # type: ignore[arg-type]


def _alive(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"  # a zombie has exited
