"""Registering, listing and suspending partner organisations (the operator's use cases)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from consent.catalog import PartnerType
from domain.clock import utc_now
from domain.credentials import hash_client_secret, new_client_id, new_client_secret
from domain.errors import InvalidInput, NotFound
from domain.models import Partner, PartnerStatus

MAX_NAME_LENGTH = 200


@dataclass(frozen=True)
class RegisteredPartner:
    partner: Partner
    # Shown to the operator exactly once; only its hash is stored.
    client_secret: str


def parse_partner_type(raw: str) -> PartnerType:
    try:
        return PartnerType(raw.strip().upper())
    except ValueError:
        allowed = ", ".join(t.value for t in PartnerType)
        raise InvalidInput(f"partner type must be one of {allowed} (got {raw!r})") from None


def _clean_name(raw: str) -> str:
    name = " ".join(raw.split())
    if not name:
        raise InvalidInput("partner name must not be empty")
    if len(name) > MAX_NAME_LENGTH:
        raise InvalidInput(f"partner name must be at most {MAX_NAME_LENGTH} characters")
    return name


async def register_partner(
    name: str,
    partner_type: PartnerType,
    *,
    client_id: str | None = None,
    client_secret: str | None = None,
    is_sandbox: bool = False,
) -> RegisteredPartner:
    secret = client_secret or new_client_secret()
    partner = await Partner.create(
        name=_clean_name(name),
        type=partner_type,
        client_id=client_id or new_client_id(),
        client_secret_hash=hash_client_secret(secret),
        is_sandbox=is_sandbox,
    )
    return RegisteredPartner(partner=partner, client_secret=secret)


async def list_partners() -> list[Partner]:
    return await Partner.all().order_by("created_at", "name")


async def find_partner(reference: str) -> Partner:
    """Look a partner up by its id or its OAuth2 client id, as an operator would type either."""
    try:
        partner = await Partner.get_or_none(id=uuid.UUID(reference))
    except ValueError:
        partner = await Partner.get_or_none(client_id=reference)
    if partner is None:
        raise NotFound(f"no partner with id or client id {reference!r}")
    return partner


async def suspend_partner(reference: str) -> Partner:
    partner = await find_partner(reference)
    if partner.status is not PartnerStatus.SUSPENDED:
        partner.status = PartnerStatus.SUSPENDED
        partner.suspended_at = utc_now()
        await partner.save(update_fields=["status", "suspended_at"])
    return partner


async def set_partner_rate_limit(reference: str, per_minute: int | None) -> Partner:
    if per_minute is not None and per_minute < 1:
        raise InvalidInput("a rate limit is at least 1 request per minute")
    partner = await find_partner(reference)
    partner.rate_limit_per_minute = per_minute
    await partner.save(update_fields=["rate_limit_per_minute"])
    return partner
