"""The projection of one resident's contact data and consents, kept from intake's events.

Events of two topics arrive in any order and may be stale: each part keeps
the time of its latest change and ignores older news (last writer wins).

The service consents (whether the resident may use the service at all) come from
intake's `ServiceConsentsWithdrawn` / `ServiceConsentsGiven` and, from producers that
set it, `ResidentContactUpdated.service_consents`. At equal times a withdrawal stands:
the doubt falls on the side of sending nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID


@dataclass
class ResidentContact:
    """What notification knows about a resident; `consents_known` once consents arrived."""

    resident_id: UUID
    consents_known: bool = False
    anonymous: bool = False
    email_opt_in: bool = False
    sms_opt_in: bool = False
    phone_permission: bool = False
    language: str = "fi"
    time_zone: str | None = None
    has_email: bool = False
    has_phone: bool = False
    email: str | None = None
    phone: str | None = None
    consents_at: datetime | None = None
    details_at: datetime | None = None
    language_at: datetime | None = None
    withdrawn_at: datetime | None = None

    @property
    def withdrawn(self) -> bool:
        return self.withdrawn_at is not None

    def apply_consents(
        self,
        *,
        anonymous: bool,
        email_opt_in: bool,
        sms_opt_in: bool,
        phone_permission: bool,
        language: str,
        time_zone: str | None,
        has_email: bool,
        has_phone: bool,
        at: datetime,
        service_consents: bool | None = None,
    ) -> bool:
        """Applies a consent change unless a later one is known; True when applied.

        `service_consents` is the state of the service consents at `at`; None (an
        older producer) falls back to guessing: any change after a withdrawal means
        the consents were given again.
        """
        if self.consents_at is not None and at <= self.consents_at:
            return False
        self.consents_known = True
        self.consents_at = at
        self.anonymous = anonymous
        self.email_opt_in = email_opt_in
        self.sms_opt_in = sms_opt_in
        self.has_email = has_email
        self.has_phone = has_phone
        self.time_zone = time_zone
        self._set_language(language, at)
        if service_consents is False:
            if self.withdrawn_at is None:
                self.withdrawn_at = at
        elif self.withdrawn_at is not None and at > self.withdrawn_at:
            # True says so; None is an older producer, whose only way of saying
            # the consents were given again was a change after the withdrawal
            # (it published consents of residents using the service only).
            self.withdrawn_at = None
        self.phone_permission = phone_permission and not self.withdrawn
        return True

    def withdraw_service_consents(self, at: datetime) -> None:
        """Phone permission ends at once; notifications stop until consents are given again."""
        if self.consents_at is not None and at < self.consents_at:
            return  # consents were given again after this (older) withdrawal
        if self.withdrawn_at is None or at > self.withdrawn_at:
            self.withdrawn_at = at
        self.phone_permission = False

    def give_service_consents(self, at: datetime) -> None:
        """Notifications may go out again; phone permission stays off until a consent
        update enables it (intake does not restore it with the consents)."""
        if self.withdrawn_at is None or at <= self.withdrawn_at:
            return  # not withdrawn, or withdrawn again since (or at the same time)
        if self.consents_at is not None and at < self.consents_at:
            return  # a later consent update already said what holds
        self.withdrawn_at = None

    def apply_details(
        self, *, email: str | None, phone: str | None, language: str, at: datetime
    ) -> bool:
        """Keeps the latest addresses; None forgets an earlier value."""
        if self.details_at is not None and at <= self.details_at:
            return False
        self.details_at = at
        self.email = email
        self.phone = phone
        self._set_language(language, at)
        return True

    def _set_language(self, language: str, at: datetime) -> None:
        if self.language_at is None or at >= self.language_at:
            self.language = language
            self.language_at = at
