"""Who may submit which form, and how: identification, phone, proxy, private records."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Literal
from uuid import UUID

from careflow.intake.domain.errors import InvalidInput, NotPermitted
from careflow.intake.domain.text import age_on, phone_number

FORM_KINDS = ("symptom_assessment", "service_assessment", "health_check_result", "pre_information")
#: An identified resident must give a phone number with these kinds.
PHONE_REQUIRED = frozenset({"symptom_assessment", "service_assessment", "health_check_result"})
LANGUAGES = ("fi", "sv", "en")
#: Classes the symptom assessment sets by itself (P6/P7 are organisation-defined).
ASSESSMENT_URGENCIES = frozenset({"P0", "P1", "P2", "P3", "P4", "P5", "P8"})
EMERGENCY = "P0"
#: A guardian may act for a child younger than this (population register rule).
PROXY_AGE_LIMIT = 15

Identification = Literal["identified", "anonymous"]


@dataclass(frozen=True)
class FormPolicy:
    """Organisation-wide form settings: which pre-information forms allow anonymity."""

    anonymous_pre_information_forms: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Submitter:
    """The authenticated sender: identified (strong) or anonymous; children they guard."""

    resident_id: UUID
    identified: bool
    children: dict[UUID, date] = field(default_factory=dict)


@dataclass(frozen=True)
class FormSubmission:
    kind: str
    language: str
    organisation_id: str
    form_id: str | None = None
    unit_id: str | None = None
    group_id: str | None = None
    urgency: str | None = None
    phone: str | None = None
    refuse_phone_contact: bool = False
    for_myself: bool = False
    child_id: UUID | None = None


@dataclass(frozen=True)
class Admission:
    """What the rules decided about a submission."""

    resident_id: UUID
    identification: Identification
    proxy_contact: bool
    submitted_by: UUID | None
    phone: str | None
    phone_contact_allowed: bool
    private: bool
    call_emergency_number: bool

    @property
    def contact_id(self) -> UUID:
        """Whose customer information the form's phone number belongs to: the guardian's
        when they act for a child (the child is the case's resident, the guardian the
        person professionals call and notifications reach)."""
        if self.proxy_contact and self.submitted_by is not None:
            return self.submitted_by
        return self.resident_id


def may_act_for_child(children: dict[UUID, date], child_id: UUID, today: date) -> bool:
    """A guardian acts for a registered child only while the child is under 15."""
    birth = children.get(child_id)
    return birth is not None and age_on(birth, today) < PROXY_AGE_LIMIT


def admit(form: FormSubmission, who: Submitter, policy: FormPolicy, today: date) -> Admission:
    """Applies the submission rules; raises InvalidInput or NotPermitted."""
    if form.kind not in FORM_KINDS:
        raise InvalidInput("unknown form kind")
    if form.language not in LANGUAGES:
        raise InvalidInput("language must be fi, sv or en")
    if form.kind == "symptom_assessment":
        if form.urgency not in ASSESSMENT_URGENCIES:
            raise InvalidInput("a symptom assessment carries its computed urgency (P0-P5, P8)")
    elif form.urgency is not None:
        raise InvalidInput("only a symptom assessment sets an urgency class")
    if form.phone is not None:
        phone_number(form.phone)
    if not who.identified:
        return _anonymous(form, who, policy)
    resident_id, proxy = who.resident_id, False
    if form.child_id is not None:
        if not may_act_for_child(who.children, form.child_id, today):
            raise NotPermitted("a guardian may act only for their own child under 15")
        resident_id, proxy = form.child_id, True
    if form.for_myself:
        return Admission(
            resident_id, "identified", proxy, who.resident_id if proxy else None,
            form.phone, False, True, form.urgency == EMERGENCY,
        )  # fmt: skip
    if form.kind in PHONE_REQUIRED and form.phone is None:
        raise InvalidInput("a phone number is required for this form")
    return Admission(
        resident_id=resident_id,
        identification="identified",
        proxy_contact=proxy,
        submitted_by=who.resident_id if proxy else None,
        phone=form.phone,
        phone_contact_allowed=form.phone is not None and not form.refuse_phone_contact,
        private=False,
        call_emergency_number=form.urgency == EMERGENCY,
    )


def _anonymous(form: FormSubmission, who: Submitter, policy: FormPolicy) -> Admission:
    if form.kind != "pre_information" or form.form_id not in policy.anonymous_pre_information_forms:
        raise NotPermitted("this form needs strong authentication")
    if form.child_id is not None:
        raise NotPermitted("acting for a child needs strong authentication")
    if form.for_myself:
        raise InvalidInput("an anonymous sender cannot save a private record")
    if form.phone is not None:
        raise InvalidInput("an anonymous submission carries no phone number")
    return Admission(who.resident_id, "anonymous", False, None, None, False, False, False)
