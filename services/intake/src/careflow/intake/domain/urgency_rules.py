"""The urgency of a symptom assessment, computed by intake from the answers.

The class is never taken from the client: a resident could otherwise raise
their own priority. Intake applies a *versioned* rule set to the answers; the
case records which version decided, so anyone holding the stored answers can
recompute the class and see which rules matched.

A published version never changes (a test pins each one's fingerprint): a
clinical change is a new version added to `RULE_SETS` and made `CURRENT`.
Cases keep the version that assessed them.

The clinical content of `symptoms-1` is CareFlow's illustrative starting set,
not a validated medical device (Omaolo's symptom assessment is one, seed S1
"Symtombetyg som medicinteknisk produkt"); the organisation's clinicians own
the real thresholds and publish them as new versions.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from careflow.intake.domain.errors import InvalidInput

#: "Treat immediately, call the emergency number": never waits in a queue.
EMERGENCY = "P0"
#: Classes the assessment sets by itself (P6/P7 are organisation-defined, set by professionals).
AUTOMATIC = ("P0", "P1", "P2", "P3", "P4", "P5", "P8")


@dataclass(frozen=True)
class Question:
    """One answer the rules read. Answers the rules do not read are kept as given."""

    kind: Literal["yes_no", "number"]
    required: bool = False
    minimum: float | None = None
    maximum: float | None = None


@dataclass(frozen=True)
class Yes:
    """A yes/no question answered yes."""

    question: str

    def holds(self, answers: Mapping[str, Any]) -> bool:
        return answers.get(self.question) is True

    def questions(self) -> set[str]:
        return {self.question}


@dataclass(frozen=True)
class AtLeast:
    """A number answered at or above `value`; an unanswered number never matches."""

    question: str
    value: float

    def holds(self, answers: Mapping[str, Any]) -> bool:
        answer = answers.get(self.question)
        return answer is not None and answer >= self.value

    def questions(self) -> set[str]:
        return {self.question}


@dataclass(frozen=True)
class AllOf:
    conditions: tuple[Condition, ...]

    def holds(self, answers: Mapping[str, Any]) -> bool:
        return all(c.holds(answers) for c in self.conditions)

    def questions(self) -> set[str]:
        return set().union(*(c.questions() for c in self.conditions))


Condition = Yes | AtLeast | AllOf


@dataclass(frozen=True)
class Rule:
    id: str  # stable within a version; shown to professionals as the reason for the class
    urgency: str
    when: Condition


@dataclass(frozen=True)
class Assessment:
    urgency: str
    rules_version: str
    matched: tuple[str, ...]  # ids of the rules that gave this class (empty: the default)

    @property
    def call_emergency_number(self) -> bool:
        return self.urgency == EMERGENCY


@dataclass(frozen=True)
class RuleSet:
    version: str
    questions: Mapping[str, Question]
    rules: tuple[Rule, ...]
    default: str  # the class when no rule matches

    def __post_init__(self) -> None:
        for rule in (*self.rules, Rule("default", self.default, AllOf(()))):
            if rule.urgency not in AUTOMATIC:
                raise ValueError(f"{self.version}/{rule.id}: the assessment sets {AUTOMATIC}")
            unknown = rule.when.questions() - set(self.questions)
            if unknown:
                raise ValueError(f"{self.version}/{rule.id} reads undeclared {sorted(unknown)}")

    def fingerprint(self) -> str:
        """Changes whenever any question, rule or the default changes."""
        canonical = repr((self.version, sorted(self.questions.items()), self.rules, self.default))
        return hashlib.sha256(canonical.encode()).hexdigest()[:16]

    def assess(self, answers: Mapping[str, Any]) -> Assessment:
        """The most urgent class any matching rule gives; refuses answers the rules misread."""
        self._check(answers)
        matches = [rule for rule in self.rules if rule.when.holds(answers)]
        if not matches:
            return Assessment(self.default, self.version, ())
        urgency = min((rule.urgency for rule in matches), key=lambda code: int(code[1:]))
        return Assessment(
            urgency, self.version, tuple(r.id for r in matches if r.urgency == urgency)
        )

    def _check(self, answers: Mapping[str, Any]) -> None:
        # Messages name the rule set's own question ids, never the resident's values.
        for name, question in self.questions.items():
            answer = answers.get(name)
            if answer is None:
                if question.required:
                    raise InvalidInput(f"a symptom assessment must answer {name!r}")
                continue
            if question.kind == "yes_no":
                if not isinstance(answer, bool):
                    raise InvalidInput(f"{name!r} is answered yes (true) or no (false)")
                continue
            if isinstance(answer, bool) or not isinstance(answer, int | float):
                raise InvalidInput(f"{name!r} is answered with a number")
            if not math.isfinite(answer):  # NaN compares false with every threshold
                raise InvalidInput(f"{name!r} is answered with a finite number")
            low, high = question.minimum, question.maximum
            if (low is not None and answer < low) or (high is not None and answer > high):
                raise InvalidInput(f"{name!r} is out of range ({low}-{high})")


_YES_NO = Question("yes_no")
_RED_FLAG = Question("yes_no", required=True)

#: Asked in every symptom assessment; any "yes" means P0 (sv/fi labels in the README).
RED_FLAGS = (
    "unconscious_or_confused",
    "severe_breathing_difficulty",
    "chest_pain",
    "stroke_signs",
    "heavy_bleeding",
)

SYMPTOMS_1 = RuleSet(
    version="symptoms-1",
    questions={
        **{flag: _RED_FLAG for flag in RED_FLAGS},
        "fever": _YES_NO,
        "temperature": Question("number", minimum=30, maximum=45),  # °C
        "neck_stiffness": _YES_NO,
        "pain_score": Question("number", minimum=0, maximum=10),  # 0-10 numeric rating
        "symptom_days": Question("number", minimum=0, maximum=365),
        "worsening": _YES_NO,
    },
    rules=(
        *(Rule(f"red_flag.{flag}", "P0", Yes(flag)) for flag in RED_FLAGS),
        Rule("fever.very_high", "P1", AtLeast("temperature", 40)),
        Rule("fever.neck_stiffness", "P1", AllOf((Yes("fever"), Yes("neck_stiffness")))),
        Rule("pain.severe", "P1", AtLeast("pain_score", 8)),
        Rule("fever.prolonged", "P2", AllOf((Yes("fever"), AtLeast("symptom_days", 5)))),
        Rule("symptoms.worsening", "P2", Yes("worsening")),
        Rule("fever", "P3", Yes("fever")),
        Rule("pain.moderate", "P3", AtLeast("pain_score", 5)),
        Rule("symptoms.long_lasting", "P4", AtLeast("symptom_days", 14)),
        Rule("symptoms.lasting", "P5", AtLeast("symptom_days", 7)),
        Rule("pain.mild", "P5", AtLeast("pain_score", 1)),
    ),
    default="P8",  # no rule matched: self-care, no professional contact needed
)

#: Every published version, so a stored case can be recomputed with the rules that assessed it.
RULE_SETS: Mapping[str, RuleSet] = {SYMPTOMS_1.version: SYMPTOMS_1}
CURRENT = SYMPTOMS_1


def rule_set(version: str) -> RuleSet:
    found = RULE_SETS.get(version)
    if found is None:
        raise InvalidInput("unknown urgency rule set version")
    return found
