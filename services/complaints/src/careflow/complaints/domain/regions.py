"""Regions and their one patient board (patientnämnd)."""

from __future__ import annotations

from dataclasses import dataclass

from careflow.complaints.domain.errors import ServiceClosed

#: What residents and the regional admin view are told while no board is set.
NO_BOARD = (
    "The region's patient board is not set yet, so residents of the region cannot send "
    "feedback or complaints. Platform support sets it as the last step of onboarding."
)


@dataclass(frozen=True)
class PatientBoard:
    hsa_id: str
    name: str


@dataclass(frozen=True)
class Region:
    code: str
    name: str
    board: PatientBoard | None = None

    @property
    def is_open(self) -> bool:
        """The service opens to the region's residents once its patient board is set."""
        return self.board is not None

    @property
    def closed_reason(self) -> str | None:
        return None if self.is_open else NO_BOARD

    def require_open(self) -> PatientBoard:
        if self.board is None:
            raise ServiceClosed(NO_BOARD)
        return self.board
