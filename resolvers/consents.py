"""Resolvers for asking, granting and withdrawing consent, and for a person's own records.

Refusals come back as values so the schema can answer each with a typed payload.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable
from typing import TypeVar

from domain import consents, receipts
from domain.consent_terms import (
    Access,
    AccessLogEntry,
    ConsentError,
    ConsentGrant,
    ConsentRequest,
    PartnerType,
    Purpose,
    Scope,
)
from domain.errors import DomainError
from domain.models import Partner
from domain.rights_models import CollectionConsent
from resolvers.context import Info

Refusal = ConsentError | DomainError
T = TypeVar("T")


async def _outcome(call: Awaitable[T]) -> T | Refusal:
    try:
        return await call
    except (ConsentError, DomainError) as refusal:
        return refusal


async def request_consent(
    info: Info,
    phone: str,
    scopes: list[Scope],
    purpose: Purpose,
    duration_days: int | None,
    access: Access,
    reference: str | None,
) -> ConsentRequest | Refusal:
    return await _outcome(
        consents.request_consent(
            info.context.principal,
            phone,
            scopes,
            purpose,
            duration_days,
            access,
            reference,
            info.context.services.allowed_countries,
            info.context.request_id,
        )
    )


async def approve(
    info: Info, request_id: str, scopes: list[Scope] | None
) -> ConsentGrant | Refusal:
    return await _outcome(
        consents.approve_request(
            info.context.principal, request_id, scopes, info.context.request_id
        )
    )


async def deny(info: Info, request_id: str) -> ConsentRequest | Refusal:
    return await _outcome(
        consents.deny_request(info.context.principal, request_id, info.context.request_id)
    )


async def grant(
    info: Info,
    partner_id: str,
    scopes: list[Scope],
    purpose: Purpose,
    duration_days: int | None,
    access: Access,
) -> ConsentGrant | Refusal:
    return await _outcome(
        consents.grant_consent(
            info.context.principal,
            partner_id,
            scopes,
            purpose,
            duration_days,
            access,
            info.context.request_id,
        )
    )


async def renew(info: Info, consent_id: str, duration_days: int | None) -> ConsentGrant | Refusal:
    return await _outcome(
        consents.renew_consent(
            info.context.principal, consent_id, duration_days, info.context.request_id
        )
    )


async def revoke(info: Info, consent_id: str) -> ConsentGrant | Refusal:
    return await _outcome(
        consents.revoke_consent(info.context.principal, consent_id, info.context.request_id)
    )


async def my_requests(info: Info) -> list[ConsentRequest]:
    return await consents.my_requests(info.context.principal)


async def my_consents(info: Info) -> list[ConsentGrant]:
    return await consents.my_grants(info.context.principal)


async def my_access_log(info: Info, first: int, before: int | None) -> list[AccessLogEntry]:
    return await consents.my_access_log(info.context.principal, first, before)


async def partners(info: Info, partner_type: PartnerType | None) -> list[Partner]:
    return await consents.browse_partners(partner_type)


async def partner(info: Info, partner_id: uuid.UUID) -> Partner | None:
    loaded: Partner | None = await info.context.loaders.partners.load(partner_id)
    return loaded


async def receipt(info: Info, grant_id: uuid.UUID) -> str | None:
    """The signed receipt of a grant the parent field already showed to this caller."""
    signed: str | None = await info.context.loaders.receipts(info.context.services.tokens).load(
        grant_id
    )
    return signed


async def collection_receipt(info: Info, consent: CollectionConsent) -> str:
    """The signed receipt of a consent to collect the parent field already showed its owner."""
    return await receipts.collection_receipt(info.context.services.tokens, consent)
