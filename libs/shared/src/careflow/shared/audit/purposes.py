"""Why a professional read a resident's data, and who may read the audit log."""

from __future__ import annotations

from enum import StrEnum


class Purpose(StrEnum):
    """The purpose each audit record states (domain.md: "who, when, which resident,
    which case, why/what"). Set by the use case that shows the data, never by the
    caller: a route serves one purpose.

    A new member is an additive change for auditors; renaming or removing one is a
    breaking change (stored rows and other services' pages carry the value).
    """

    #: Working on the resident's case: reading the case page, its sections, its tasks.
    CARE = "care"
    #: Working the organisation's queue: listing, opening, taking, transferring and
    #: re-prioritising queue items, which show residents' names and urgencies.
    QUEUE_WORK = "queue_work"
    #: Reviewing what the resident was told and how it reached them (the
    #: communication history) — e.g. checking a notification arrived.
    COMMUNICATION_REVIEW = "communication_review"
    #: Handling residents' feedback and complaints (complaints' staff view): listing a
    #: place's cases, opening one, replying.
    COMPLAINT_HANDLING = "complaint_handling"
    #: An auditor looking at resident data to check access. No audit page records it
    #: (the pages show no resident data, see the package docstring); it is here for
    #: a review view that does show resident data.
    AUDIT_REVIEW = "audit_review"


#: The roles that may read an organisation's audit log, in every service: the
#: organisation's admin (broad rights, domain.md) and its auditor (reviews access
#: logs). One constant, so services cannot drift apart.
AUDITOR_ROLES: frozenset[str] = frozenset({"admin", "auditor"})

__all__ = ["AUDITOR_ROLES", "Purpose"]
