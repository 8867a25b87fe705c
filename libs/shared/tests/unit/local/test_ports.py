"""Ports for servers that bind later stay out of the range outgoing connections use."""

from __future__ import annotations

from pathlib import Path

from careflow.local.ports import listen_port, port_is_free


def test_listen_port_is_free_with_its_span_and_below_the_ephemeral_range() -> None:
    first_ephemeral = int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    for _ in range(20):
        base = listen_port(span=3)
        assert base >= 10_000
        assert base + 2 < first_ephemeral
        assert all(port_is_free("127.0.0.1", base + i) for i in range(3))
