"""Sliding-window rate limits: the rule, given the counts the store keeps.

A key's row holds the count of the current fixed window and of the one before. The
estimate of the last `length` seconds weighs the previous window by the part of it
still inside that span (the approximation Cloudflare describes; it assumes requests
were spread evenly over the previous window). Refused requests count too, so a client
that keeps hammering stays refused.
"""

from __future__ import annotations

import math
from dataclasses import dataclass


def window_start(now: float, length: int) -> int:
    return int(now // length) * length


@dataclass(frozen=True)
class Counts:
    """What the store answered for one key, the current request included."""

    started: int
    count: int
    previous: int


def estimate(counts: Counts, now: float, length: int) -> float:
    elapsed = min(max(now - counts.started, 0.0), float(length))
    return counts.previous * (1 - elapsed / length) + counts.count


def retry_after(counts: Counts, limit: int, now: float, length: int) -> int | None:
    """None while within `limit`; else whole seconds until one more request would be
    admitted, if none is sent meanwhile."""
    if estimate(counts, now, length) <= limit:
        return None
    elapsed = min(max(now - counts.started, 0.0), float(length))
    current, previous = counts.count, counts.previous
    if current + 1 <= limit and previous > 0:
        # Within this window: previous * (1 - (elapsed + x) / length) + current + 1 <= limit.
        wait = length * (1 - (limit - current - 1) / previous) - elapsed
        if wait < length - elapsed:
            return max(1, math.ceil(wait))
    # In the next window this one is the previous: current * (1 - x / length) + 1 <= limit.
    into_next = max(0.0, length * (1 - (limit - 1) / current)) if current else 0.0
    return max(1, math.ceil(length - elapsed + into_next))
