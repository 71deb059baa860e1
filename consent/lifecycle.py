"""The consent lifecycle: partners ask, people approve, deny, grant, renew and revoke.

Every change is validated against the partner type's policy before anything is written, and
is logged in the access log within the same transaction, so a change and its entry stand or
fall together.
"""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from tortoise.backends.base.client import BaseDBAsyncClient

from consent import access_log
from consent.access_log import AccessRecord, LogEvent
from consent.catalog import Access, PartnerType, Purpose, Scope
from consent.errors import (
    GrantNotActive,
    GrantNotFound,
    InvalidScopes,
    RequestAlreadyDecided,
    RequestExpired,
    RequestNotFound,
)
from consent.liveness import in_force
from consent.models import (
    ConsentGrant,
    ConsentRequest,
    GrantStatus,
    PartnerSubject,
    RequestStatus,
)
from consent.policy import REQUEST_LIFETIME_DAYS
from consent.terms import checked_duration, checked_purpose, checked_scopes
from storage.transactions import writing


@dataclass(frozen=True)
class Terms:
    """What a partner asks for or a person grants, before validation."""

    scopes: Iterable[Scope]
    purpose: Purpose
    duration_days: int | None
    access: Access

    def checked(self, partner_type: PartnerType) -> CheckedTerms:
        """The terms validated against the partner type's policy, before anything is written."""
        return CheckedTerms(
            scopes=checked_scopes(partner_type, self.scopes),
            purpose=checked_purpose(partner_type, self.purpose),
            duration_days=checked_duration(partner_type, self.duration_days),
            access=self.access,
        )


@dataclass(frozen=True)
class CheckedTerms:
    scopes: list[Scope]
    purpose: Purpose
    duration_days: int
    access: Access

    @property
    def scope_values(self) -> list[str]:
        return [s.value for s in self.scopes]


def _record(
    event: LogEvent,
    now: datetime,
    request_id: str | None,
    *,
    partner_id: uuid.UUID,
    person_id: uuid.UUID | None,
    subject_id: str | None = None,
    grant: ConsentGrant | None = None,
    purpose: str | None = None,
    scopes: Iterable[str] = (),
) -> AccessRecord:
    return AccessRecord(
        event=event,
        occurred_at=now,
        partner_id=partner_id,
        person_id=person_id,
        subject_id=subject_id,
        grant_id=grant.id if grant else None,
        purpose=purpose,
        scopes_returned=tuple(sorted(scopes)),
        request_id=request_id,
    )


async def _log_grant_change(
    event: LogEvent,
    grant: ConsentGrant,
    now: datetime,
    request_id: str | None,
    connection: BaseDBAsyncClient,
    subject_id: str | None = None,
) -> None:
    """One access-log entry for a change to `grant`, in the change's own transaction."""
    await access_log.append([_grant_record(event, grant, now, request_id, subject_id)], connection)


def _grant_record(
    event: LogEvent,
    grant: ConsentGrant,
    now: datetime,
    request_id: str | None,
    subject_id: str | None = None,
) -> AccessRecord:
    return _record(
        event,
        now,
        request_id,
        partner_id=grant.partner_id,
        person_id=grant.person_id,
        subject_id=subject_id,
        grant=grant,
        purpose=str(grant.purpose.value),
        scopes=grant.scopes,
    )


async def subject_id_for(
    partner_id: uuid.UUID, person_id: uuid.UUID, connection: BaseDBAsyncClient
) -> str:
    """The person's pairwise id for this partner, created on first use and stable after."""
    existing = await PartnerSubject.get_or_none(
        partner_id=partner_id, person_id=person_id, using_db=connection
    )
    if existing is not None:
        return existing.subject_id
    subject = await PartnerSubject.create(
        partner_id=partner_id,
        person_id=person_id,
        subject_id="sub_" + secrets.token_urlsafe(24),
        using_db=connection,
    )
    return subject.subject_id


async def request_consent(
    partner_id: uuid.UUID,
    partner_type: PartnerType,
    phone: str,
    terms: Terms,
    reference: str | None,
    now: datetime,
    request_id: str | None,
) -> ConsentRequest:
    checked = terms.checked(partner_type)
    async with writing() as connection:
        request = await ConsentRequest.create(
            partner_id=partner_id,
            phone=phone,
            scopes=checked.scope_values,
            purpose=checked.purpose,
            duration_days=checked.duration_days,
            access=checked.access,
            reference=reference,
            expires_at=now + timedelta(days=REQUEST_LIFETIME_DAYS),
            using_db=connection,
        )
        # The person is not named in the entry: whether the number is registered stays private.
        await access_log.append(
            [
                _record(
                    LogEvent.CONSENT_REQUESTED,
                    now,
                    request_id,
                    partner_id=partner_id,
                    person_id=None,
                    purpose=checked.purpose.value,
                    scopes=checked.scope_values,
                )
            ],
            connection,
        )
    return request


def request_status(request: ConsentRequest, now: datetime) -> RequestStatus:
    if request.status is RequestStatus.PENDING and now >= request.expires_at:
        return RequestStatus.EXPIRED
    return RequestStatus(request.status)


async def _pending_request_for(
    consent_request_id: uuid.UUID, phone: str, now: datetime, connection: BaseDBAsyncClient
) -> ConsentRequest:
    request = await ConsentRequest.get_or_none(
        id=consent_request_id, phone=phone, using_db=connection
    )
    if request is None:
        # Another person's request reads exactly like one that does not exist.
        raise RequestNotFound("no such consent request")
    status = request_status(request, now)
    if status is RequestStatus.EXPIRED:
        raise RequestExpired("this request has expired; the partner must ask again")
    if status is not RequestStatus.PENDING:
        raise RequestAlreadyDecided(f"this request was already {status.value.lower()}")
    return request


async def approve_request(
    consent_request_id: uuid.UUID,
    person_id: uuid.UUID,
    phone: str,
    partner_type: PartnerType,
    scopes: Iterable[Scope] | None,
    now: datetime,
    request_id: str | None,
) -> ConsentGrant:
    async with writing() as connection:
        request = await _pending_request_for(consent_request_id, phone, now, connection)
        asked = {Scope(s) for s in request.scopes}
        chosen = set(scopes) if scopes is not None else asked
        if not chosen <= asked:
            extra = ", ".join(sorted(s.value for s in chosen - asked))
            raise InvalidScopes(f"you can approve only scopes the partner asked for (not {extra})")
        checked = checked_scopes(partner_type, chosen)
        taken = (
            await ConsentRequest.filter(id=request.id, status=RequestStatus.PENDING)
            .using_db(connection)
            .update(status=RequestStatus.APPROVED, decided_at=now, person_id=person_id)
        )
        if taken != 1:
            raise RequestAlreadyDecided("this request was decided in the meantime")
        grant = await ConsentGrant.create(
            partner_id=request.partner_id,
            person_id=person_id,
            request_id=request.id,
            scopes=[s.value for s in checked],
            purpose=request.purpose,
            access=request.access,
            expires_at=now + timedelta(days=request.duration_days),
            using_db=connection,
        )
        subject_id = await subject_id_for(request.partner_id, person_id, connection)
        await _log_grant_change(
            LogEvent.REQUEST_APPROVED, grant, now, request_id, connection, subject_id=subject_id
        )
    return grant


async def deny_request(
    consent_request_id: uuid.UUID,
    person_id: uuid.UUID,
    phone: str,
    now: datetime,
    request_id: str | None,
) -> ConsentRequest:
    async with writing() as connection:
        request = await _pending_request_for(consent_request_id, phone, now, connection)
        taken = (
            await ConsentRequest.filter(id=request.id, status=RequestStatus.PENDING)
            .using_db(connection)
            .update(status=RequestStatus.DENIED, decided_at=now, person_id=person_id)
        )
        if taken != 1:
            raise RequestAlreadyDecided("this request was decided in the meantime")
        await access_log.append(
            [
                _record(
                    LogEvent.REQUEST_DENIED,
                    now,
                    request_id,
                    partner_id=request.partner_id,
                    person_id=person_id,
                    purpose=request.purpose.value,
                )
            ],
            connection,
        )
        await request.refresh_from_db(using_db=connection)
    return request


async def grant_consent(
    person_id: uuid.UUID,
    partner_id: uuid.UUID,
    partner_type: PartnerType,
    terms: Terms,
    now: datetime,
    request_id: str | None,
) -> ConsentGrant:
    checked = terms.checked(partner_type)
    async with writing() as connection:
        grant = await ConsentGrant.create(
            partner_id=partner_id,
            person_id=person_id,
            scopes=checked.scope_values,
            purpose=checked.purpose,
            access=checked.access,
            expires_at=now + timedelta(days=checked.duration_days),
            using_db=connection,
        )
        subject_id = await subject_id_for(partner_id, person_id, connection)
        await _log_grant_change(
            LogEvent.GRANTED, grant, now, request_id, connection, subject_id=subject_id
        )
    return grant


async def _own_grant(
    grant_id: uuid.UUID, person_id: uuid.UUID, connection: BaseDBAsyncClient
) -> ConsentGrant:
    grant = await ConsentGrant.get_or_none(id=grant_id, person_id=person_id, using_db=connection)
    if grant is None:
        raise GrantNotFound("no such consent")
    return grant


async def renew_consent(
    grant_id: uuid.UUID,
    person_id: uuid.UUID,
    partner_type: PartnerType,
    duration_days: int | None,
    now: datetime,
    request_id: str | None,
) -> ConsentGrant:
    # None means the type's default; 0 or less is refused like everywhere else, never defaulted.
    duration = checked_duration(partner_type, duration_days)
    async with writing() as connection:
        grant = await _own_grant(grant_id, person_id, connection)
        if not in_force(grant.status, grant.expires_at, now):
            raise GrantNotActive("only an active consent can be renewed; grant a new one")
        new_expiry = now + timedelta(days=duration)
        updated = (
            await ConsentGrant.filter(id=grant.id, status=GrantStatus.ACTIVE)
            .using_db(connection)
            .update(expires_at=new_expiry)
        )
        if updated != 1:
            raise GrantNotActive("this consent ended in the meantime")
        grant.expires_at = new_expiry
        await _log_grant_change(LogEvent.RENEWED, grant, now, request_id, connection)
    return grant


async def revoke_consent(
    grant_id: uuid.UUID, person_id: uuid.UUID, now: datetime, request_id: str | None
) -> ConsentGrant:
    """Revoke at once: a read that starts after this returns sees the grant revoked."""
    async with writing() as connection:
        grant = await _own_grant(grant_id, person_id, connection)
        if grant.status is GrantStatus.REVOKED:
            return grant
        await (
            ConsentGrant.filter(id=grant.id)
            .using_db(connection)
            .update(status=GrantStatus.REVOKED, revoked_at=now)
        )
        grant.status = GrantStatus.REVOKED
        grant.revoked_at = now
        await _log_grant_change(LogEvent.REVOKED, grant, now, request_id, connection)
    return grant


async def revoke_all_of_person(
    person_id: uuid.UUID, now: datetime, request_id: str | None, connection: BaseDBAsyncClient
) -> list[ConsentGrant]:
    """Revoke every ACTIVE grant of a person, each logged, inside the caller's transaction.

    For erasure: the revocations and the deletion that follows stand or fall together.
    """
    grants = await ConsentGrant.filter(person_id=person_id, status=GrantStatus.ACTIVE).using_db(
        connection
    )
    if not grants:
        return []
    await (
        ConsentGrant.filter(id__in=[g.id for g in grants])
        .using_db(connection)
        .update(status=GrantStatus.REVOKED, revoked_at=now)
    )
    for grant in grants:
        grant.status = GrantStatus.REVOKED
        grant.revoked_at = now
    await access_log.append(
        [_grant_record(LogEvent.REVOKED, grant, now, request_id) for grant in grants], connection
    )
    return grants
