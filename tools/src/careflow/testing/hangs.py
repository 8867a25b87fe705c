"""Diagnostics for a test that hangs: the stacks of every asyncio task.

pytest-timeout's thread dump shows the event loop idling in `select`, which
says nothing about which task is stuck. A test running longer than
`CAREFLOW_HANG_DUMP_SECONDS` (default 180) gets the stack of every pending
task printed to stderr once; SIGUSR1 prints it on demand.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import threading
from types import FrameType

DEFAULT_SECONDS = 180.0


def dump_tasks(_signum: int | None = None, _frame: FrameType | None = None) -> None:
    # The handler runs in the loop's own thread, between two steps of the loop.
    loop = asyncio._get_running_loop()
    if loop is None:
        print("careflow hang dump: no running event loop", file=sys.stderr, flush=True)
        return
    tasks = asyncio.all_tasks(loop)
    print(f"careflow hang dump: {len(tasks)} pending tasks", file=sys.stderr, flush=True)
    for task in tasks:
        print(f"--- {task.get_name()}: {task.get_coro()!r}", file=sys.stderr)
        task.print_stack(file=sys.stderr)
    sys.stderr.flush()


def install() -> None:
    if hasattr(signal, "SIGUSR1") and threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGUSR1, dump_tasks)


class Watchdog:
    """Sends SIGUSR1 to this process if the current test outlives its allowance."""

    def __init__(self) -> None:
        self.seconds = float(os.environ.get("CAREFLOW_HANG_DUMP_SECONDS", DEFAULT_SECONDS))
        self._timer: threading.Timer | None = None

    def arm(self) -> None:
        if not hasattr(signal, "SIGUSR1"):
            return
        self._timer = threading.Timer(self.seconds, os.kill, (os.getpid(), signal.SIGUSR1))
        self._timer.daemon = True
        self._timer.start()

    def disarm(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
