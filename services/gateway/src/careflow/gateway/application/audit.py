"""`query_audit_records`: one page of every service's audit records, merged by time.

Each service is asked the same `AuditQuery` with its own position; the pages are
merged by (`at` descending, `service`, record id descending) — the id is in each
record's cursor — and the first `limit` records are the page. The next cursor holds
every service's position: after the last record taken from it, unchanged if none was
taken, or done once its records are all shown. A service that cannot answer fails the
whole page (503/504/502): an audit answer silently missing a service would mislead.

Cursor text: `<service>.<position>` joined by `~`, where a position is the service's
own audit cursor or `-` (done); a service not named starts from its newest record.
Every text the pattern admits names positions: unknown services are ignored (one may
have been taken out of the table) and the first mention of a service wins.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from careflow.gateway.application.ports import AuditSource
from careflow.gateway.domain.routing import Upstream
from careflow.shared.audit import CURSOR_PATTERN, AuditCursor, AuditQuery, AuditRecordOut

_SERVICE = r"[a-z][a-z0-9_]{0,31}"
_POSITION = CURSOR_PATTERN.strip("^$")
_ENTRY = rf"{_SERVICE}\.(?:{_POSITION}|-)"
#: The merged page's cursor; at most 40 services (cursor texts of 58 characters each).
MERGED_CURSOR_PATTERN = rf"^{_ENTRY}(?:~{_ENTRY}){{0,39}}$"
MERGED_CURSOR_MAX_LENGTH = 40 * 59
_CURSOR = re.compile(MERGED_CURSOR_PATTERN)
DONE = "-"


@dataclass(frozen=True)
class MergedPage:
    items: list[AuditRecordOut]
    next_cursor: str | None


def decode_positions(text: str | None) -> dict[str, str]:
    """Service -> its audit cursor or DONE; services not named start at the newest."""
    if text is None:
        return {}
    if not _CURSOR.fullmatch(text):
        raise ValueError("not a merged audit cursor")
    positions: dict[str, str] = {}
    for entry in text.split("~"):
        service, _, position = entry.partition(".")
        positions.setdefault(service, position)
    return positions


def encode_positions(positions: Mapping[str, str]) -> str:
    return "~".join(f"{service}.{positions[service]}" for service in sorted(positions))


def _order(record: AuditRecordOut) -> tuple[float, str, int]:
    position = AuditCursor.decode(record.cursor)
    return (-position.at.timestamp(), record.service, -position.id)


async def query_audit_records(
    upstreams: Sequence[Upstream],
    source: AuditSource,
    query: AuditQuery,
    cursor: str | None,
    authorization: str,
) -> MergedPage:
    """A merged page (query.cursor is ignored: `cursor` holds the services' positions)."""
    known = {u.name for u in upstreams}
    positions = {s: p for s, p in decode_positions(cursor).items() if s in known}
    asking = [u for u in upstreams if positions.get(u.name) != DONE]
    pages = await asyncio.gather(
        *(
            source.page(
                u,
                query.model_copy(
                    update={"cursor": AuditCursor.decode(positions[u.name])}
                    if u.name in positions
                    else {"cursor": None}
                ),
                authorization,
            )
            for u in asking
        )
    )
    candidates = sorted(
        (
            (_order(record), upstream.name, record)
            for upstream, page in zip(asking, pages, strict=True)
            for record in page.items
        ),
        key=lambda c: c[0],
    )
    taken = [record for _, _, record in candidates[: query.limit]]
    for upstream, page in zip(asking, pages, strict=True):
        mine = [r for r in taken if r.service == upstream.name]
        all_shown = len(mine) == len(page.items)
        if mine:
            positions[upstream.name] = mine[-1].cursor
        if all_shown and page.next_cursor is None:
            positions[upstream.name] = DONE
    finished = all(positions.get(u.name) == DONE for u in upstreams)
    return MergedPage(taken, None if finished else encode_positions(positions))
