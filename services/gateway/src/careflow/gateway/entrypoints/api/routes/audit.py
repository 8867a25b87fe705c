"""`GET /audit-records`: one paged answer over every service's audit records."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request

from careflow.gateway.application.audit import (
    MERGED_CURSOR_MAX_LENGTH,
    MERGED_CURSOR_PATTERN,
    query_audit_records,
)
from careflow.gateway.entrypoints.api.deps import RateLimited, Wiring
from careflow.gateway.entrypoints.api.schemas import MergedAuditPage
from careflow.shared.audit import DEFAULT_LIMIT, MAX_LIMIT, AuditQuery
from careflow.shared.audit.dependencies import Auditor
from careflow.shared.http.params import Instant

router = APIRouter(tags=["audit"], dependencies=[RateLimited])


@router.get("/audit-records", response_model=MergedAuditPage)
async def audit_records(
    request: Request,
    auditor: Auditor,
    wiring: Wiring,
    from_: Annotated[
        Instant | None,
        Query(alias="from", description="Records at or after this time (with a time zone)."),
    ] = None,
    to: Annotated[
        Instant | None, Query(description="Records before this time (with a time zone).")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = DEFAULT_LIMIT,
    cursor: Annotated[
        str | None,
        Query(
            max_length=MERGED_CURSOR_MAX_LENGTH,
            pattern=MERGED_CURSOR_PATTERN,
            description="`next_cursor` of the previous page.",
        ),
    ] = None,
) -> MergedAuditPage:
    """Who read which resident's data, when and why, in every service, newest first
    (role `admin` or `auditor`; own organisation, as each service decides). One service
    that cannot answer fails the page (503/504/502): a page missing a service would
    mislead. Not itself audited."""
    query = AuditQuery.model_validate({"from": from_, "to": to, "limit": limit})
    upstreams = [u for u in wiring.routes.upstreams if u.audit_path]
    page = await query_audit_records(
        upstreams, wiring.audit, query, cursor, request.headers["authorization"]
    )
    return MergedAuditPage(items=page.items, next_cursor=page.next_cursor)
