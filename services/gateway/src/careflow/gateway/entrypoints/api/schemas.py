"""HTTP schemas of the gateway's own routes."""

from __future__ import annotations

from pydantic import BaseModel, Field

from careflow.gateway.application.audit import MERGED_CURSOR_PATTERN
from careflow.shared.audit import AuditRecordOut


class MergedAuditPage(BaseModel):
    """Every service's audit records, newest first (`at`, then service, then record)."""

    items: list[AuditRecordOut]
    next_cursor: str | None = Field(
        description="Continue with this cursor; null on the last page.",
        pattern=MERGED_CURSOR_PATTERN,
    )
