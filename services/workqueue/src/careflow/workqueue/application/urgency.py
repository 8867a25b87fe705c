"""The domain's UrgencyPolicy, read from an organisation's urgency scale in contracts."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from careflow.contracts.urgency import (
    DEFAULT_SCALE,
    IMMEDIATE_CODE,
    URGENCY_CODES,
    OrganisationScales,
    UrgencyScale,
)


@dataclass(frozen=True)
class ScalePolicy:
    """Ranks, enabled classes and targets of one scale (CareFlow's default if none)."""

    scale: UrgencyScale = DEFAULT_SCALE

    def rank(self, code: str | None) -> int:
        return self.scale.sort_key(code)

    def selectable(self, code: str) -> bool:
        return code in URGENCY_CODES and code in self.scale.enabled_codes()

    def immediate(self, code: str | None) -> bool:
        return code == IMMEDIATE_CODE

    def target(self, code: str | None) -> timedelta | None:
        return self.scale.target(code)


@dataclass(frozen=True)
class ScalePolicies:
    """The policy of each organisation's scale; built once at start-up from the settings."""

    scales: OrganisationScales = field(default_factory=OrganisationScales)

    def for_organisation(self, organisation_id: str) -> ScalePolicy:
        return ScalePolicy(self.scales.for_organisation(organisation_id))
