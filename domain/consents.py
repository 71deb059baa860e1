"""Consent use cases for partners and people: who may ask, decide and see which records.

Authorisation of the caller happens here (a partner acts for itself, a person for
themselves); the rules of consent itself live in `consent`.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import datetime

from consent import lifecycle
from consent.catalog import Access, PartnerType, Purpose, Scope
from consent.errors import GrantNotFound, RequestNotFound
from consent.lifecycle import Terms, request_status
from consent.liveness import status_at
from consent.models import (
    AccessLogEntry,
    ConsentGrant,
    ConsentRequest,
    GrantStatus,
    PartnerSubject,
    RequestStatus,
)
from domain import change_events
from domain.clock import utc_now
from domain.errors import DomainError, InvalidCursor, NotFound
from domain.models import Partner, PartnerStatus, Person
from domain.phone import parse_phone
from domain.principal import PartnerPrincipal, PersonPrincipal, Principal
from domain.sessions import signed_in_person
from storage.transactions import writing

MAX_REFERENCE_LENGTH = 200
MAX_LIST_SIZE = 100


class PartnerOnly(DomainError):
    code = "PARTNER_ONLY"


class SelfRequest(DomainError):
    """A person tried to ask for consent: only partners ask, people grant."""

    code = "SELF_REQUEST"


class InvalidReference(DomainError):
    code = "INVALID_REFERENCE"


class PartnerSuspended(DomainError):
    """The asking partner is suspended: its requests cannot be approved until it is reinstated."""

    code = "PARTNER_SUSPENDED"


def partner_of(principal: Principal) -> PartnerPrincipal:
    if not isinstance(principal, PartnerPrincipal):
        raise PartnerOnly("only a partner signed in with its client credentials can do this")
    return principal


def _page_size(first: int) -> int:
    return max(1, min(first, MAX_LIST_SIZE))


def _uuid(raw: str, missing: type[Exception]) -> uuid.UUID:
    try:
        return uuid.UUID(raw)
    except ValueError:
        raise missing("no such record") from None


def grant_status(grant: ConsentGrant, now: datetime | None = None) -> str:
    """ACTIVE, EXPIRED, USED_UP or REVOKED, with expiry derived at `now`, never stored."""
    return status_at(GrantStatus(grant.status), grant.expires_at, now or utc_now())


def consent_request_status(request: ConsentRequest, now: datetime | None = None) -> str:
    """PENDING, APPROVED, DENIED or EXPIRED, with a lapsed request derived at `now`."""
    return str(request_status(request, now or utc_now()).value)


# --- partners -----------------------------------------------------------------------------


async def request_consent(
    principal: Principal,
    phone: str,
    scopes: Iterable[Scope],
    purpose: Purpose,
    duration_days: int | None,
    access: Access,
    reference: str | None,
    allowed_countries: Iterable[str],
    request_id: str | None,
) -> ConsentRequest:
    """Ask a person for consent by phone; the answer is the same whether they are registered."""
    if isinstance(principal, PersonPrincipal):
        raise SelfRequest("people grant consent; only partners request it")
    partner = partner_of(principal)
    if reference is not None and len(reference) > MAX_REFERENCE_LENGTH:
        raise InvalidReference(f"reference must be at most {MAX_REFERENCE_LENGTH} characters")
    if reference is not None and "\x00" in reference:
        # PostgreSQL text cannot hold NUL; refused on every backend so both answer alike.
        raise InvalidReference("reference must not contain the NUL character")
    number = parse_phone(phone, list(allowed_countries))
    now = utc_now()
    async with writing() as connection:
        request = await lifecycle.request_consent(
            partner.partner_id,
            partner.partner_type,
            number,
            Terms(scopes, purpose, duration_days, access),
            reference,
            now,
            request_id,
        )
        await change_events.request_received(request, now, connection)
    return request


async def partner_profile(principal: Principal) -> Partner:
    partner = partner_of(principal)
    return await Partner.get(id=partner.partner_id)


async def partner_requests(
    principal: Principal, first: int, after: str | None
) -> list[tuple[ConsentRequest, str | None]]:
    partner = partner_of(principal)
    query = ConsentRequest.filter(partner_id=partner.partner_id)
    if after:
        anchor = await ConsentRequest.get_or_none(
            id=_uuid(after, InvalidCursor), partner_id=partner.partner_id
        )
        if anchor is not None:
            query = query.filter(created_at__lte=anchor.created_at).exclude(id=anchor.id)
    requests = await query.order_by("-created_at", "-id").limit(_page_size(first))
    subjects = await _subject_ids(
        partner.partner_id, [r.person_id for r in requests if r.person_id]
    )
    return [
        (
            r,
            subjects.get(r.person_id)
            if r.person_id and r.status is RequestStatus.APPROVED
            else None,
        )
        for r in requests
    ]


async def _subject_ids(partner_id: uuid.UUID, person_ids: list[uuid.UUID]) -> dict[uuid.UUID, str]:
    if not person_ids:
        return {}
    rows = await PartnerSubject.filter(partner_id=partner_id, person_id__in=person_ids)
    return {row.person_id: row.subject_id for row in rows}


async def partner_grants(
    principal: Principal, first: int, after: str | None
) -> list[tuple[ConsentGrant, str]]:
    partner = partner_of(principal)
    query = ConsentGrant.filter(partner_id=partner.partner_id)
    if after:
        anchor = await ConsentGrant.get_or_none(
            id=_uuid(after, InvalidCursor), partner_id=partner.partner_id
        )
        if anchor is not None:
            query = query.filter(granted_at__lte=anchor.granted_at).exclude(id=anchor.id)
    grants = await query.order_by("-granted_at", "-id").limit(_page_size(first))
    subjects = await _subject_ids(partner.partner_id, [g.person_id for g in grants])
    return [(g, subjects[g.person_id]) for g in grants]


async def partner_access_log(
    principal: Principal, first: int, after: int | None
) -> list[AccessLogEntry]:
    partner = partner_of(principal)
    query = AccessLogEntry.filter(partner_id=partner.partner_id)
    if after is not None:
        query = query.filter(id__lt=after)
    return await query.order_by("-id").limit(_page_size(first))


# --- people -------------------------------------------------------------------------------


async def _partner_for_person(partner_id: uuid.UUID) -> Partner:
    partner = await Partner.get_or_none(id=partner_id)
    if partner is None or partner.status is not PartnerStatus.ACTIVE:
        raise NotFound("no such partner")
    return partner


async def my_requests(principal: Principal) -> list[ConsentRequest]:
    person = await signed_in_person(principal)
    return (
        await ConsentRequest.filter(phone=person.phone)
        .order_by("-created_at", "-id")
        .limit(MAX_LIST_SIZE)
    )


async def my_grants(principal: Principal) -> list[ConsentGrant]:
    person = await signed_in_person(principal)
    return (
        await ConsentGrant.filter(person_id=person.id)
        .order_by("-granted_at", "-id")
        .limit(MAX_LIST_SIZE)
    )


async def my_access_log(
    principal: Principal, first: int, after: int | None
) -> list[AccessLogEntry]:
    person = await signed_in_person(principal)
    query = AccessLogEntry.filter(person_id=person.id)
    if after is not None:
        query = query.filter(id__lt=after)
    return await query.order_by("-id").limit(_page_size(first))


async def approve_request(
    principal: Principal, request_ref: str, scopes: Iterable[Scope] | None, request_id: str | None
) -> ConsentGrant:
    person = await signed_in_person(principal)
    consent_request_id = _uuid(request_ref, RequestNotFound)
    request = await ConsentRequest.get_or_none(id=consent_request_id, phone=person.phone)
    if request is None:
        raise RequestNotFound("no such consent request")
    partner = await Partner.get(id=request.partner_id)
    if partner.status is not PartnerStatus.ACTIVE:
        # Approving now would leave an ACTIVE grant that opens the day the partner is reinstated.
        raise PartnerSuspended(f"{partner.name} is suspended; this request cannot be approved now")
    now = utc_now()
    async with writing() as connection:
        grant = await lifecycle.approve_request(
            consent_request_id,
            person.id,
            person.phone,
            PartnerType(partner.type),
            scopes,
            now,
            request_id,
        )
        await change_events.request_approved(grant, now, connection)
    return grant


async def deny_request(
    principal: Principal, request_ref: str, request_id: str | None
) -> ConsentRequest:
    person = await signed_in_person(principal)
    now = utc_now()
    async with writing() as connection:
        request = await lifecycle.deny_request(
            _uuid(request_ref, RequestNotFound), person.id, person.phone, now, request_id
        )
        await change_events.request_ended("consent_request.denied", request, now, connection)
    return request


async def grant_consent(
    principal: Principal,
    partner_ref: str,
    scopes: Iterable[Scope],
    purpose: Purpose,
    duration_days: int | None,
    access: Access,
    request_id: str | None,
) -> ConsentGrant:
    person = await signed_in_person(principal)
    partner = await _partner_for_person(_uuid(partner_ref, NotFound))
    return await lifecycle.grant_consent(
        person.id,
        partner.id,
        PartnerType(partner.type),
        Terms(scopes, purpose, duration_days, access),
        utc_now(),
        request_id,
    )


async def _partner_type_of_grant(person: Person, grant_id: uuid.UUID) -> PartnerType:
    grant = await ConsentGrant.get_or_none(id=grant_id, person_id=person.id)
    if grant is None:
        raise GrantNotFound("no such consent")
    partner = await Partner.get(id=grant.partner_id)
    return PartnerType(partner.type)


async def renew_consent(
    principal: Principal, grant_ref: str, duration_days: int | None, request_id: str | None
) -> ConsentGrant:
    person = await signed_in_person(principal)
    grant_id = _uuid(grant_ref, GrantNotFound)
    partner_type = await _partner_type_of_grant(person, grant_id)
    now = utc_now()
    async with writing() as connection:
        grant = await lifecycle.renew_consent(
            grant_id, person.id, partner_type, duration_days, now, request_id
        )
        await change_events.grant_changed("consent.renewed", grant, now, connection)
    return grant


async def revoke_consent(
    principal: Principal, grant_ref: str, request_id: str | None
) -> ConsentGrant:
    person = await signed_in_person(principal)
    grant_id = _uuid(grant_ref, GrantNotFound)
    now = utc_now()
    async with writing() as connection:
        grant = await lifecycle.revoke_consent(grant_id, person.id, now, request_id)
        # Revoking twice is harmless and announces nothing: only this call's revocation is now.
        if grant.revoked_at == now:
            await change_events.grant_changed("consent.revoked", grant, now, connection)
    return grant


async def browse_partners(partner_type: PartnerType | None) -> list[Partner]:
    query = Partner.filter(status=PartnerStatus.ACTIVE)
    if partner_type is not None:
        query = query.filter(type=partner_type)
    return await query.order_by("name", "id")
