"""The urgency scale ("brådskandeklass", "kiireellisyysluokka"), defined once as data.

Classes P0-P8; a lower number is more urgent. The symptom assessment sets
P0-P5 and P8 automatically; P6 and P7 are optional classes an organisation
defines and enables. P0 means "treat immediately, call the emergency number":
the resident is told so at once and the submission never waits in a queue.

Events carry only the code (`UrgencyClass`). What a code means for an
organisation — its target response time, its label, whether P6/P7 are in use —
is an `UrgencyScale`: `DEFAULT_SCALE` below, or an organisation's override
loaded with `load_scale`. The defaults are CareFlow's choice (documented in
contracts/docs/urgency.md, which `render_markdown` produces) and every target
time is configurable per organisation.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Annotated, Any, Literal, get_args

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

#: The code carried in events. Closed set: adding a code is a breaking contract change.
UrgencyClass = Literal["P0", "P1", "P2", "P3", "P4", "P5", "P6", "P7", "P8"]
URGENCY_CODES: tuple[str, ...] = get_args(UrgencyClass)
#: Version of the rule set intake computed a symptom assessment's class with, e.g. symptoms-1.
UrgencyRulesVersion = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9._-]{0,63}$")]
#: Classes the assessment sets by itself; the rest (P6, P7) are organisation-defined.
AUTOMATIC_CODES: frozenset[str] = frozenset({"P0", "P1", "P2", "P3", "P4", "P5", "P8"})
#: The class whose submissions are treated at once and never queued.
IMMEDIATE_CODE = "P0"


def rank_of(code: str) -> int:
    """The sort rank of a code: 0 for P0 … 8 for P8; lower sorts first (more urgent)."""
    if code not in URGENCY_CODES:
        raise ValueError(f"unknown urgency class {code!r}")
    return int(code[1:])


class UrgencyLevel(BaseModel):
    """One class of the scale as an organisation uses it."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    code: UrgencyClass = Field(description="The class code carried in events, P0-P8.")
    rank: int = Field(ge=0, le=8, description="Sort rank; lower is more urgent. Equals the digit.")
    label: str = Field(min_length=1, max_length=80, description="Short name shown in the queue.")
    automatic: bool = Field(
        description="True when the assessment sets this class (P0-P5, P8); "
        "False for organisation-defined classes (P6, P7)."
    )
    enabled: bool = Field(
        default=True,
        description="Whether the organisation uses the class; automatic classes are always on.",
    )
    target_response: timedelta | None = Field(
        description="Time within which a professional should respond; "
        "0 = immediately; None = no professional contact needed."
    )
    treat_immediately: bool = Field(
        default=False,
        description="Tell the resident at once to call the emergency number; never queue. P0 only.",
    )

    @model_validator(mode="after")
    def _consistent(self) -> UrgencyLevel:
        if self.rank != rank_of(self.code):
            raise ValueError(f"{self.code}: rank must be {rank_of(self.code)}, not {self.rank}")
        if self.automatic != (self.code in AUTOMATIC_CODES):
            kind = "set by the assessment" if self.code in AUTOMATIC_CODES else "optional"
            raise ValueError(f"{self.code}: the class is {kind}; `automatic` cannot change")
        if self.automatic and not self.enabled:
            raise ValueError(f"{self.code}: a class the assessment sets cannot be disabled")
        if self.treat_immediately != (self.code == IMMEDIATE_CODE):
            raise ValueError(f"{self.code}: only {IMMEDIATE_CODE} is treated immediately")
        if self.code == IMMEDIATE_CODE and self.target_response != timedelta(0):
            raise ValueError(f"{IMMEDIATE_CODE}: target response must be 0 (immediately)")
        if self.target_response is not None and self.target_response < timedelta(0):
            raise ValueError(f"{self.code}: target response cannot be negative")
        return self


class UrgencyScale(BaseModel):
    """The nine classes in rank order, with an organisation's settings."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    organisation_id: str | None = Field(
        default=None,
        pattern=r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$",
        description="Organisation the scale belongs to; None for CareFlow's default.",
    )
    levels: tuple[UrgencyLevel, ...] = Field(description="P0 … P8, exactly once each, in order.")

    @model_validator(mode="after")
    def _complete_and_ordered(self) -> UrgencyScale:
        codes = tuple(level.code for level in self.levels)
        if codes != URGENCY_CODES:
            raise ValueError(f"levels must be exactly {', '.join(URGENCY_CODES)} in order")
        previous: timedelta = timedelta(0)
        for level in self.levels:
            if not level.enabled:
                continue
            target = level.target_response
            if target is None:
                previous = timedelta.max
                continue
            if target < previous:
                raise ValueError(
                    f"{level.code}: target response {target} is shorter than that of a "
                    "more urgent class"
                )
            previous = target
        return self

    def __iter__(self) -> Iterator[UrgencyLevel]:  # type: ignore[override]
        return iter(self.levels)

    def level(self, code: str) -> UrgencyLevel:
        return self.levels[rank_of(code)]

    def enabled_codes(self) -> tuple[str, ...]:
        return tuple(level.code for level in self.levels if level.enabled)

    def sort_key(self, code: str | None) -> int:
        """Queue sort key: most urgent first; a case without a class sorts after P8."""
        return len(URGENCY_CODES) if code is None else rank_of(code)

    def target(self, code: str | None) -> timedelta | None:
        """The class's target response time; None without a class or without one (P8)."""
        return None if code is None else self.level(code).target_response


def _level(
    code: str, label: str, target: timedelta | None, *, enabled: bool = True
) -> UrgencyLevel:
    return UrgencyLevel(
        code=code,  # type: ignore[arg-type]
        rank=rank_of(code),
        label=label,
        automatic=code in AUTOMATIC_CODES,
        enabled=enabled,
        target_response=target,
        treat_immediately=code == IMMEDIATE_CODE,
    )


#: CareFlow's defaults. Target times are a choice, configurable per organisation.
DEFAULT_SCALE = UrgencyScale(
    levels=(
        _level("P0", "Emergency: call the emergency number (112) now", timedelta(0)),
        _level("P1", "Very urgent: within 2 hours", timedelta(hours=2)),
        _level("P2", "Urgent: within 24 hours", timedelta(hours=24)),
        _level("P3", "Soon: within 3 days", timedelta(days=3)),
        _level("P4", "Non-urgent: within 1 week", timedelta(days=7)),
        _level("P5", "Non-urgent: within 2 weeks", timedelta(days=14)),
        _level("P6", "Organisation-defined: within 4 weeks", timedelta(days=28), enabled=False),
        _level("P7", "Organisation-defined: within 3 months", timedelta(days=90), enabled=False),
        _level("P8", "Self-care: no professional contact needed", None),
    )
)

_OVERRIDABLE = {"label", "enabled", "target_response"}


def load_scale(override: Mapping[str, Any] | str | bytes | None = None) -> UrgencyScale:
    """The default scale with an organisation's override applied, validated.

    `override` is a mapping or its JSON text:
    `{"organisation_id": "org-1", "levels": {"P6": {"enabled": true,
    "target_response": "P21D"}, "P1": {"target_response": "PT3H"}}}`.
    Only `label`, `enabled` and `target_response` of a level can change; codes,
    ranks, the automatic flag and P0's immediate treatment are fixed.
    Durations are ISO 8601 (`PT2H`), seconds, or null (no contact needed).
    """
    if override is None:
        return DEFAULT_SCALE
    data = json.loads(override) if isinstance(override, str | bytes) else dict(override)
    unknown = set(data) - {"organisation_id", "levels"}
    if unknown:
        raise ValueError(f"unknown keys in urgency scale override: {sorted(unknown)}")
    changes = data.get("levels") or {}
    if not isinstance(changes, Mapping):
        raise ValueError("`levels` must map codes (P0-P8) to settings")
    levels = []
    for code in changes:
        if code not in URGENCY_CODES:
            raise ValueError(f"unknown urgency class {code!r}; codes are P0-P8")
    for level in DEFAULT_SCALE.levels:
        change = changes.get(level.code) or {}
        fixed = set(change) - _OVERRIDABLE
        if fixed:
            raise ValueError(f"{level.code}: {sorted(fixed)} cannot be overridden")
        levels.append({**level.model_dump(), **change})
    return UrgencyScale.model_validate(
        {"organisation_id": data.get("organisation_id"), "levels": levels}
    )


@dataclass(frozen=True)
class OrganisationScales:
    """Which scale each organisation uses: its own if it configured one, else the default."""

    default: UrgencyScale = DEFAULT_SCALE
    by_organisation: Mapping[str, UrgencyScale] = field(default_factory=dict)

    def for_organisation(self, organisation_id: str) -> UrgencyScale:
        return self.by_organisation.get(organisation_id, self.default)


def load_scales(
    overrides: Mapping[str, Mapping[str, Any] | str | bytes],
    *,
    default: Mapping[str, Any] | str | bytes | None = None,
) -> OrganisationScales:
    """Each organisation's override (`load_scale` format, e.g. a file's text) by its id.

    An override naming another organisation than the one it is configured for is
    refused: a scale filed under the wrong organisation would silently set another
    organisation's targets.
    """
    scales: dict[str, UrgencyScale] = {}
    for organisation_id, override in overrides.items():
        scale = load_scale(override)
        if scale.organisation_id not in (None, organisation_id):
            raise ValueError(
                f"the scale configured for {organisation_id!r} names {scale.organisation_id!r}"
            )
        scales[organisation_id] = scale.model_copy(update={"organisation_id": organisation_id})
    return OrganisationScales(load_scale(default), scales)


def describe_target(target: timedelta | None) -> str:
    if target is None:
        return "no professional contact needed"
    if target == timedelta(0):
        return "immediately"
    hours = target.total_seconds() / 3600
    if hours < 48 or hours % 24:
        return f"within {hours:g} hours"
    return f"within {hours / 24:g} days"


def render_markdown(scale: UrgencyScale = DEFAULT_SCALE) -> str:
    """The scale as the Markdown table in contracts/docs/urgency.md."""
    rows = [
        "| code | rank | set by | enabled by default | default target response | label |",
        "|---|---|---|---|---|---|",
    ]
    for level in scale:
        rows.append(
            f"| {level.code} | {level.rank} | "
            f"{'assessment (automatic)' if level.automatic else 'organisation (optional)'} | "
            f"{'yes' if level.enabled else 'no'} | {describe_target(level.target_response)} | "
            f"{level.label} |"
        )
    return "\n".join(rows) + "\n"
