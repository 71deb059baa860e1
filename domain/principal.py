"""Who is asking: the authenticated party a request acts for, decided before any authorisation."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from consent.catalog import PartnerType
from domain.staff_models import StaffRole


@dataclass(frozen=True)
class PersonPrincipal:
    person_id: uuid.UUID
    # The refresh-token family this sign-in belongs to; logout revokes it for every token.
    session_id: uuid.UUID


@dataclass(frozen=True)
class PartnerPrincipal:
    partner_id: uuid.UUID
    partner_type: PartnerType
    client_id: str
    # The partner's own request limit, read with the partner at authentication; None: default.
    rate_limit_per_minute: int | None = None


@dataclass(frozen=True)
class StaffPrincipal:
    staff_id: uuid.UUID
    session_id: uuid.UUID
    role: StaffRole


@dataclass(frozen=True)
class Anonymous:
    pass


Principal = PersonPrincipal | PartnerPrincipal | StaffPrincipal | Anonymous
