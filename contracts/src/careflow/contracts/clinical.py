"""Events from an organisation's clinical system, on `clinical.services.v1`.

Like the booking integration, the clinical system publishes what happened to a
resident: a service was performed (a vaccination, a lab test, an examination)
or an item was added (a product, e.g. a preventive-care product). Reminder
rules react to them. Codes only, never free text; the diagnosis codes and the
age are health data, so the topic is restricted to the reminders service.

Keyed by `resident_id`: one resident's events stay in order, so "performed
again" is seen after the first time.
"""

from __future__ import annotations

from typing import ClassVar
from uuid import UUID

from pydantic import AwareDatetime, Field

from careflow.contracts.base import ContractEvent
from careflow.contracts.common import ExternalId


class ClinicalEvent(ContractEvent):
    key_field: ClassVar[str] = "resident_id"

    record_id: ExternalId = Field(description="The clinical system's id of the record.")
    resident_id: UUID = Field(description="Pseudonymous id of the resident; the Kafka key.")
    organisation_id: ExternalId = Field(description="Organisation whose system recorded it.")
    code: ExternalId = Field(description="The service or product code.")
    diagnosis_codes: list[ExternalId] = Field(
        default_factory=list, max_length=20, description="Diagnosis codes of the visit."
    )
    age_years: int | None = Field(
        default=None, ge=0, le=150, description="The resident's age in whole years then."
    )
    occurred_at: AwareDatetime = Field(description="When it was performed or added (UTC).")


class ServicePerformed(ClinicalEvent):
    """A service (vaccination, lab test, examination...) was performed for the resident."""

    event_type: ClassVar[str] = "careflow.clinical_service.performed.v1"


class ItemAdded(ClinicalEvent):
    """A product or other item was added to the resident's record."""

    event_type: ClassVar[str] = "careflow.clinical_item.added.v1"


CLINICAL_EVENTS: tuple[type[ClinicalEvent], ...] = (ServicePerformed, ItemAdded)
