"""Rate-limit counters in PostgreSQL: one atomic upsert per request for all its keys.

The statement moves a key's row to the current window (the old count becomes
`previous` when the windows are adjacent, else 0), adds one, and returns the counts,
in one round trip and one row lock per key. Keys are sorted so two requests never lock
the same rows in opposite orders. A replica whose clock is behind counts into the
newer window it finds rather than resetting it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from careflow.gateway.domain.limits import Counts

_UPSERT = """
INSERT INTO rate_limit_windows AS w (key, window_start, count, previous)
VALUES {values}
ON CONFLICT (key) DO UPDATE SET
  previous = CASE
    WHEN w.window_start >= EXCLUDED.window_start THEN w.previous
    WHEN w.window_start = EXCLUDED.window_start - :length THEN w.count
    ELSE 0 END,
  count = CASE WHEN w.window_start >= EXCLUDED.window_start THEN w.count + 1 ELSE 1 END,
  window_start = GREATEST(w.window_start, EXCLUDED.window_start)
RETURNING key, window_start, count, previous
"""
# Built once per number of keys (one or two): text() statements are cached by
# SQLAlchemy, an upsert construct would be compiled on every request.
_STATEMENTS = {
    n: text(_UPSERT.format(values=", ".join(f"(:k{i}, :started, 1, 0)" for i in range(n))))
    for n in (1, 2, 3)
}
_SWEEP = text("DELETE FROM rate_limit_windows WHERE window_start < :before")


class PostgresRateCounter:
    def __init__(self, engine: Callable[[], AsyncEngine]) -> None:
        # The runtime's engine exists once the runtime has started.
        self._engine = engine

    async def count(
        self, keys: Sequence[bytes], started: int, length: int
    ) -> Mapping[bytes, Counts]:
        params: dict[str, object] = {"started": started, "length": length}
        params.update({f"k{i}": key for i, key in enumerate(keys)})
        # One statement is its own transaction: AUTOCOMMIT spares the BEGIN and COMMIT
        # round trips (three round trips per request became one).
        async with self._engine().connect() as conn:
            conn = await conn.execution_options(isolation_level="AUTOCOMMIT")
            rows = await conn.execute(_STATEMENTS[len(keys)], params)
            return {bytes(r.key): Counts(r.window_start, r.count, r.previous) for r in rows}

    async def sweep(self, before: int) -> int:
        """Forget windows that can no longer count (older than the previous one)."""
        async with self._engine().begin() as conn:
            return (await conn.execute(_SWEEP, {"before": before})).rowcount
