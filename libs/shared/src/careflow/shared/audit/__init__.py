"""One audit contract for every service: why a professional read a resident's data,
who may read the audit log, and how it is paged.

Every service keeps its own audit records (in its own database, written in the
read's transaction) but answers `GET /audit-records` with the same query
(`AuditQuery`: a time range, a limit and an opaque cursor) and the same page
(`AuditPage`: records newest first, each with its own cursor). So a gateway can
ask every service the same question and merge the pages by time: order by
(`at` descending, `service`, `id` descending) and, per service, continue from the
cursor of the last record it took from that service.

Reading the audit log is not itself recorded as a read of residents' data: a
record shows pseudonymous ids, who read, when, what and why, never a name,
contact or health content. Whoever follows a record up by opening the case
reads resident data there, and that read is audited.

FastAPI pieces (the query dependency, the auditor dependency) are in
`careflow.shared.audit.dependencies`, SQL paging in `careflow.shared.audit.sql`;
neither is imported here.
"""

from careflow.shared.audit.paging import (
    CURSOR_PATTERN,
    DEFAULT_LIMIT,
    MAX_LIMIT,
    AuditCursor,
    AuditPage,
    AuditQuery,
    AuditRecordOut,
    InvalidCursor,
    page_of,
)
from careflow.shared.audit.purposes import AUDITOR_ROLES, Purpose

__all__ = [
    "AUDITOR_ROLES",
    "CURSOR_PATTERN",
    "DEFAULT_LIMIT",
    "MAX_LIMIT",
    "AuditCursor",
    "AuditPage",
    "AuditQuery",
    "AuditRecordOut",
    "InvalidCursor",
    "Purpose",
    "page_of",
]
