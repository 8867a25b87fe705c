"""Free-port lookup on the loopback interface."""

from __future__ import annotations

import random
import socket
import time
from pathlib import Path

_EPHEMERAL_RANGE = Path("/proc/sys/net/ipv4/ip_local_port_range")


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def wait_for_port(host: str, port: int, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            with socket.create_connection((host, port), timeout=0.5):
                return
        except OSError:
            if time.monotonic() > deadline:
                raise TimeoutError(f"nothing listens on {host}:{port} after {timeout}s") from None
            time.sleep(0.05)


def port_is_free(host: str, port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return False
        return True


def listen_port(span: int = 1, host: str = "127.0.0.1") -> int:
    """A free port, with the `span - 1` after it free too, below the ephemeral range.

    For a server that binds seconds later (a service starting up): a port from
    `free_port` lies in the ephemeral range, where any outgoing connection on the
    machine may take it first ("address already in use", seen in CI).
    """
    try:
        first_ephemeral = int(_EPHEMERAL_RANGE.read_text().split()[0])
    except (OSError, ValueError, IndexError):
        first_ephemeral = 32768
    low, high = 10_000, max(10_001, first_ephemeral - span)
    for _ in range(1_000):
        base = random.randrange(low, high)
        if all(port_is_free(host, base + i) for i in range(span)):
            return base
    raise RuntimeError(f"no {span} free port(s) in a row below {first_ephemeral}")
