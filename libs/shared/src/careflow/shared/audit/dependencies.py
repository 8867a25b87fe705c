"""FastAPI dependencies of every service's `GET /audit-records`: who may call it and
the query it takes, so both are the same everywhere."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Query
from fastapi.exceptions import RequestValidationError
from pydantic import ValidationError

from careflow.shared.audit.paging import (
    CURSOR_PATTERN,
    DEFAULT_LIMIT,
    MAX_CURSOR_LENGTH,
    MAX_LIMIT,
    AuditQuery,
)
from careflow.shared.audit.purposes import AUDITOR_ROLES
from careflow.shared.auth.claims import ProfessionalPrincipal
from careflow.shared.auth.dependencies import require_professional
from careflow.shared.http.params import Instant


async def audit_query(
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
            max_length=MAX_CURSOR_LENGTH,
            pattern=CURSOR_PATTERN,
            description="`next_cursor` of the previous page.",
        ),
    ] = None,
) -> AuditQuery:
    """The query from the request; 422 (problem details) for a naive time or text that
    is not a cursor of this contract. Clients send an offset's `+`
    as `%2B` (a bare `+` in a query string is a space) or write UTC as `Z`."""
    try:
        fields = {"from": from_, "to": to, "limit": limit, "cursor": cursor}
        return AuditQuery.model_validate(fields)
    except ValidationError as error:
        raise RequestValidationError(
            [
                {**e, "loc": ("query", *e["loc"])}
                for e in error.errors(include_input=False, include_url=False)
            ]
        ) from None


AuditQueryParams = Annotated[AuditQuery, Depends(audit_query)]
#: A professional holding one of `AUDITOR_ROLES`; 401/403 problems otherwise.
Auditor = Annotated[ProfessionalPrincipal, Depends(require_professional(roles=AUDITOR_ROLES))]

__all__ = ["AuditQueryParams", "Auditor", "audit_query"]
