"""What reminders keeps of other services' events: bookings, cases, contacts, visits; and
the organisations' reminder settings."""

from __future__ import annotations

from datetime import datetime, timedelta
from uuid import UUID

from sqlalchemy import bindparam, select, text
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from careflow.reminders.adapters.tables import (
    bookings,
    case_residents,
    organisation_settings,
    reminders,
    resident_contacts,
)
from careflow.reminders.domain.bookings import Booking, OrganisationSettings
from careflow.reminders.domain.contacts import ResidentContact
from careflow.shared.db.upsert import upsert

_COUNT_VISIT = text(
    "INSERT INTO clinical_counts (resident_id, organisation_id, code, visits, last_at) "
    "VALUES (:resident_id, :organisation_id, :code, 1, :at) "
    "ON CONFLICT (resident_id, organisation_id, code) DO UPDATE "
    "SET visits = clinical_counts.visits + 1, last_at = EXCLUDED.last_at RETURNING visits"
)

# Read for every booking event: built once, not per event.
_BOOKING = (
    select(bookings).where(bookings.c.booking_id == bindparam("booking_id")).with_for_update()
)
_SETTINGS = select(organisation_settings).where(
    organisation_settings.c.organisation_id == bindparam("organisation_id")
)

#: Advisory-lock namespace of `lock_case` (the relay's shard locks use 0x0CF0).
CASE_LOCK_NAMESPACE = 0x0CF5
_LOCK_CASE = text("SELECT pg_advisory_xact_lock(:ns, hashtext(:case))")


class SqlProjections:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def booking(self, booking_id: str) -> Booking | None:
        row = (await self._session.execute(_BOOKING, {"booking_id": booking_id})).first()
        return None if row is None else Booking(**row._mapping)

    async def save_booking(self, booking: Booking) -> None:
        values = {
            "booking_id": booking.booking_id,
            "case_id": booking.case_id,
            "organisation_id": booking.organisation_id,
            "starts_at": booking.starts_at,
            "confirmed_at": booking.confirmed_at,
            "cancelled_at": booking.cancelled_at,
        }
        # A booking row is read under lock before it is saved: its case and organisation
        # written back are the ones it has. Cached SQL (careflow.shared.db.upsert): one
        # per consumed booking event.
        await upsert(self._session, bookings, [values], key=("booking_id",))

    async def note_case(self, case_id: UUID, resident_id: UUID, organisation_id: str) -> None:
        stmt = insert(case_residents).values(
            case_id=case_id, resident_id=resident_id, organisation_id=organisation_id
        )
        await self._session.execute(stmt.on_conflict_do_nothing())

    async def lock_case(self, case_id: UUID) -> None:
        """Until the transaction ends: a case's opening and its booking's first
        confirmation, consumed from two topics at once, never interleave. Without it each
        misses the other's uncommitted row (the booking reads no resident, the opening
        updates no reminder) and the reminder is left without its resident for good."""
        await self._session.execute(_LOCK_CASE, {"ns": CASE_LOCK_NAMESPACE, "case": str(case_id)})

    async def resident_of_case(self, case_id: UUID) -> UUID | None:
        stmt = select(case_residents.c.resident_id).where(case_residents.c.case_id == case_id)
        return (await self._session.execute(stmt)).scalar_one_or_none()

    async def has_case_in(self, resident_id: UUID, organisation_id: str) -> bool:
        """Whether the organisation knows the resident: a case there (intake), or a reminder
        there (e.g. made by a rule from its clinical system)."""
        case = select(case_residents.c.case_id).where(
            case_residents.c.resident_id == resident_id,
            case_residents.c.organisation_id == organisation_id,
        )
        reminder = select(reminders.c.reminder_id).where(
            reminders.c.resident_id == resident_id,
            reminders.c.organisation_id == organisation_id,
        )
        stmt = select(case.exists() | reminder.exists())
        return bool((await self._session.execute(stmt)).scalar_one())

    async def contact(self, resident_id: UUID) -> ResidentContact | None:
        stmt = select(resident_contacts).where(resident_contacts.c.resident_id == resident_id)
        row = (await self._session.execute(stmt)).first()
        return None if row is None else ResidentContact(**row._mapping)

    async def note_contact(self, contact: ResidentContact) -> None:
        """Keeps the newest state: an older event (redelivered, out of order) changes nothing."""
        values = {k: getattr(contact, k) for k in ResidentContact.__dataclass_fields__}
        stmt = insert(resident_contacts).values(**values)
        stmt = stmt.on_conflict_do_update(
            index_elements=["resident_id"],
            set_={k: stmt.excluded[k] for k in values if k != "resident_id"},
            where=resident_contacts.c.updated_at < stmt.excluded.updated_at,
        )
        await self._session.execute(stmt)

    async def count_visit(
        self, resident_id: UUID, organisation_id: str, code: str, at: datetime
    ) -> int:
        result = await self._session.execute(
            _COUNT_VISIT,
            {
                "resident_id": resident_id,
                "organisation_id": organisation_id,
                "code": code,
                "at": at,
            },
        )
        return int(result.scalar_one())

    async def settings(self, organisation_id: str) -> OrganisationSettings:
        row = (await self._session.execute(_SETTINGS, {"organisation_id": organisation_id})).first()
        if row is None:
            return OrganisationSettings(organisation_id)
        return OrganisationSettings(
            organisation_id,
            timedelta(minutes=row.appointment_lead_minutes),
            tuple(row.appointment_channels),
        )

    async def save_settings(self, settings: OrganisationSettings, at: datetime) -> None:
        values = {
            "organisation_id": settings.organisation_id,
            "appointment_lead_minutes": int(settings.appointment_lead.total_seconds() // 60),
            "appointment_channels": list(settings.appointment_channels),
            "updated_at": at,
        }
        stmt = insert(organisation_settings).values(**values)
        stmt = stmt.on_conflict_do_update(
            index_elements=["organisation_id"],
            set_={k: stmt.excluded[k] for k in values if k != "organisation_id"},
        )
        await self._session.execute(stmt)
