"""Field types shared by the case and work-queue contracts.

Strings on topics are closed sets (`Literal`) or identifiers with a pattern;
no field carries free text (architecture.md "Events").
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import StringConstraints

#: Id issued by another system (organisation, unit, group, professional):
#: letters, digits and `._:-`, at most 128 characters. Never a name.
ExternalId = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$")]

#: Language of a case or of the resident's communication. Support at least fi, sv, en.
Language = Literal["fi", "sv", "en"]

#: A form a resident (or a professional on their behalf) submits.
FormKind = Literal[
    "symptom_assessment", "service_assessment", "health_check_result", "pre_information"
]
#: A case a professional creates for a resident.
ProfessionalCaseKind = Literal[
    "health_examination",
    "wellbeing_check",
    "pre_information_invitation",
    "appointment",
    # A live chat moved to non-urgent conversation (opened by intake at messaging's request).
    "chat_conversation",
]
#: Every kind of case, as the work queue filters by "type of form".
CaseKind = Literal[
    "symptom_assessment",
    "service_assessment",
    "health_check_result",
    "pre_information",
    "health_examination",
    "wellbeing_check",
    "pre_information_invitation",
    "appointment",
    "chat_conversation",
]

#: How the resident was authenticated when the case was created.
Identification = Literal["identified", "anonymous"]

#: Why a case was closed.
ClosingReason = Literal[
    "resident_before_taken",
    "proposal_expired",
    "resident_accepted",
    "professional_accepted",
    "professional_without_consent",
]
