"""Who on the staff may see and do what with a case: region, place, group, assignment."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from uuid import UUID

from careflow.complaints.domain.cases import Case
from careflow.complaints.domain.errors import NotAllowed, NotFound

RECEIVER = "case_receiver"
HANDLER = "case_handler"
LOCAL_ADMIN = "local_admin"
REGIONAL_ADMIN = "regional_admin"
PLATFORM_SUPPORT = "platform_support"
#: Administers the service addressing catalogue (TAK), kept apart from the admin API.
ADDRESSING_ADMIN = "addressing_admin"


@dataclass(frozen=True)
class Staff:
    """A professional of a region (`org`) working at one clinic or board (`unit`, its HSA-id)."""

    subject: str
    region_code: str
    place_hsa_id: str
    roles: frozenset[str]

    @property
    def receiver(self) -> bool:
        return RECEIVER in self.roles

    def may_see(self, case: Case, groups: Collection[UUID]) -> bool:
        """Receivers see their place's cases; handlers the cases given to them or to a
        group they belong to; nobody another region's or place's."""
        if case.region_code != self.region_code or case.place_hsa_id != self.place_hsa_id:
            return False
        if self.receiver:
            return True
        if HANDLER in self.roles:
            return case.handler_id == self.subject or (
                case.group_id is not None and case.group_id in groups
            )
        return False

    def require_sees(self, case: Case | None, groups: Collection[UUID]) -> Case:
        if case is None or not self.may_see(case, groups):
            raise NotFound("No such case here.")
        return case

    def require_receiver(self) -> None:
        if not self.receiver:
            raise NotAllowed("Only the place's case receivers may do this.")

    def require_group_admin(self) -> None:
        if not (self.receiver or LOCAL_ADMIN in self.roles):
            raise NotAllowed("Only case receivers and local admins manage groups.")

    def require_may_reply(self, case: Case, groups: Collection[UUID], *, final: bool) -> None:
        """Receivers may send a partial reply; the answer is sent by a handler the case
        was given to (directly or through a group)."""
        if not final:
            return
        given = case.handler_id == self.subject or (
            case.group_id is not None and case.group_id in groups
        )
        if HANDLER not in self.roles or not given:
            raise NotAllowed("Only a handler the case was given to sends the answer.")
