"""Several writes as one statement: each a data-modifying WITH query.

PostgreSQL runs every part of such a statement to completion, in one snapshot, and
checks foreign keys at its end, so a child row may sit beside the parent it
references; outside a transaction the statement is atomic on its own. No part sees
another part's rows, and no row may be changed by two parts. Each part is a fixed SQL
text with asyncpg's positional parameters ($1, $2, ...), numbered from 1 within the
part; no `$` may appear in it otherwise.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache
from typing import Any

_PARAMETER = re.compile(r"\$(\d+)")


def one_statement(parts: Sequence[tuple[str, Sequence[Any]]]) -> tuple[str, list[Any]]:
    """The parts as one statement with its arguments (a single part stays as it is)."""
    if len(parts) == 1:
        sql, args = parts[0]
        return sql, list(args)
    texts = tuple(sql for sql, _ in parts)
    counts = tuple(len(args) for _, args in parts)
    return _compose(texts, counts), [value for _, args in parts for value in args]


@lru_cache(maxsize=256)
def _compose(texts: tuple[str, ...], counts: tuple[int, ...]) -> str:
    queries = []
    offset = 0
    for number, (sql, count) in enumerate(zip(texts, counts, strict=True)):
        used = {int(n) for n in _PARAMETER.findall(sql)}
        if used != set(range(1, count + 1)):
            raise ValueError(f"part {number} uses parameters {sorted(used)} for {count} values")
        renumbered = _PARAMETER.sub(lambda m, o=offset: f"${int(m.group(1)) + o}", sql)
        queries.append(f"w{number} AS ({renumbered})")
        offset += count
    # The parts run whether or not the final SELECT reads them.
    return "WITH " + ", ".join(queries) + " SELECT 1"
