"""The domain's UrgencyPolicy, read from the one urgency scale in contracts."""

from __future__ import annotations

from dataclasses import dataclass

from careflow.contracts.urgency import DEFAULT_SCALE, IMMEDIATE_CODE, URGENCY_CODES, UrgencyScale


@dataclass(frozen=True)
class ScalePolicy:
    """Ranks and enabled classes of an organisation's scale (CareFlow's default if none)."""

    scale: UrgencyScale = DEFAULT_SCALE

    def rank(self, code: str | None) -> int:
        return self.scale.sort_key(code)

    def selectable(self, code: str) -> bool:
        return code in URGENCY_CODES and code in self.scale.enabled_codes()

    def immediate(self, code: str | None) -> bool:
        return code == IMMEDIATE_CODE
