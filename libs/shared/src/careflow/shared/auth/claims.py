"""Who is calling: the principals carried in CareFlow access tokens.

Token payload members (all names are JWT claim names):

- `iss`, `aud`, `exp`, `iat`, `sub`: registered claims (RFC 7519), required in
  every token; `sub` becomes `subject`.
- `actor`: `"professional"`, `"resident"` or `"service"`; picks the principal
  type. Not `typ`, which is already a JOSE header parameter.
- professional: `org` (organisation id), `unit` (care unit id), `groups` and
  `roles` (lists of strings, may be empty).
- resident: `auth_level` (`"strong"` for e-ID login, `"anonymous"`) and
  `guardian_of`, a list of `{"sub": child subject, "birthdate": "YYYY-MM-DD"}`.
- service: nothing beyond `sub` (the calling system).

Unknown claims are ignored, so an issuer can add claims without breaking
services; adding a value to `actor` or `auth_level` is a breaking change.
Identifiers are at most 255 characters (OpenID Connect's bound on `sub`) and
lists are bounded: a subject is stored and sent in events, so a token must not
be able to make it arbitrarily large.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, TypeAdapter

#: A subject, organisation, unit, group or role.
Identifier = Annotated[str, StringConstraints(min_length=1, max_length=255)]
MAX_LIST = 64


class _Claims(BaseModel):
    # Python names for code, claim names (aliases) for tokens and JSON.
    model_config = ConfigDict(frozen=True, extra="ignore", populate_by_name=True)

    def to_claims(self) -> dict[str, Any]:
        """Dump as JWT claims (claim names, JSON types)."""
        return self.model_dump(mode="json", by_alias=True)


class ProfessionalPrincipal(_Claims):
    """A health-care professional acting within one organisation and unit."""

    actor: Literal["professional"] = "professional"
    subject: Identifier = Field(alias="sub")
    organisation: Identifier = Field(alias="org")
    unit: Identifier
    groups: list[Identifier] = Field(default_factory=list, max_length=MAX_LIST)
    roles: list[Identifier] = Field(default_factory=list, max_length=MAX_LIST)

    def has_role(self, role: str) -> bool:
        """Whether the token grants `role`."""
        return role in self.roles


class AuthLevel(StrEnum):
    """How strongly a resident proved who they are."""

    STRONG = "strong"
    ANONYMOUS = "anonymous"


class Child(_Claims):
    """A child the resident may act for as guardian."""

    subject: Identifier = Field(alias="sub")
    birth_date: date = Field(alias="birthdate")


class ResidentPrincipal(_Claims):
    """A resident (patient or guardian) using the public services."""

    actor: Literal["resident"] = "resident"
    subject: Identifier = Field(alias="sub")
    auth_level: AuthLevel
    guardian_of: list[Child] = Field(default_factory=list, max_length=MAX_LIST)

    def is_guardian_of(self, child_subject: str) -> bool:
        """Whether the resident may act for the child `child_subject`."""
        return any(child.subject == child_subject for child in self.guardian_of)


class ServicePrincipal(_Claims):
    """Another system calling a CareFlow API."""

    actor: Literal["service"] = "service"
    subject: Identifier = Field(alias="sub")


Principal = Annotated[
    ProfessionalPrincipal | ResidentPrincipal | ServicePrincipal,
    Field(discriminator="actor"),
]

_principal_adapter: TypeAdapter[Principal] = TypeAdapter(Principal)


def parse_principal(claims: Mapping[str, Any]) -> Principal:
    """Build the principal a verified token's claims describe."""
    return _principal_adapter.validate_python(dict(claims))
