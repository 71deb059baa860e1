"""The consent lifecycle of DESIGN.md, rule by rule, at the consent layer itself.

Ask (PENDING, lapses after 7 days, the same answer whether or not the number is registered),
approve (optionally narrowed, never wider than asked), deny, renew (up to the type's longest),
revoke; every change logged in its own transaction with what it was about.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from tortoise.context import TortoiseContext

from consent.access_log import LogEvent
from consent.catalog import Access, PartnerType, Purpose, Scope
from consent.errors import (
    GrantNotActive,
    InvalidDuration,
    InvalidScopes,
    RequestAlreadyDecided,
    RequestExpired,
    RequestNotFound,
)
from consent.lifecycle import (
    Terms,
    approve_request,
    deny_request,
    grant_consent,
    renew_consent,
    request_consent,
    request_status,
    revoke_consent,
)
from consent.liveness import status_at
from consent.models import (
    AccessLogEntry,
    ConsentGrant,
    ConsentRequest,
    GrantStatus,
    PartnerSubject,
    RequestStatus,
)
from consent_support import new_phone
from domain.clock import utc_now
from domain.models import Partner, Person
from domain.partners import register_partner

G, S, C = Scope.GRADE, Scope.SCORE, Scope.CONTACT
BANK_TERMS = Terms([G, S, C], Purpose.CREDIT_APPLICATION, 30, Access.ONE_TIME)


async def _bank() -> Partner:
    return (await register_partner("Lifecycle Bank", PartnerType.BANK)).partner


async def _logged(partner: Partner) -> list[AccessLogEntry]:
    return await AccessLogEntry.filter(partner_id=partner.id).order_by("id")


async def test_a_request_waits_seven_days_with_the_terms_asked(orm: TortoiseContext) -> None:
    bank, now, phone = await _bank(), utc_now(), new_phone()
    request = await request_consent(
        bank.id, PartnerType.BANK, phone, BANK_TERMS, "loan-42", now, "req-1"
    )
    stored = await ConsentRequest.get(id=request.id)
    assert (stored.phone, stored.reference, stored.status) == (phone, "loan-42", "PENDING")
    assert stored.scopes == ["CONTACT", "GRADE", "SCORE"]
    assert (stored.purpose, stored.access, stored.duration_days) == (
        Purpose.CREDIT_APPLICATION,
        Access.ONE_TIME,
        30,
    )
    assert stored.expires_at == now + timedelta(days=7)
    assert request_status(stored, now + timedelta(days=7, seconds=-1)) is RequestStatus.PENDING
    assert request_status(stored, now + timedelta(days=7)) is RequestStatus.EXPIRED
    [entry] = await _logged(bank)
    assert (entry.event, entry.person_id, entry.request_id) == (
        LogEvent.CONSENT_REQUESTED,
        None,  # whether the number is registered stays private
        "req-1",
    )
    assert (entry.purpose, entry.scopes_returned) == (
        "CREDIT_APPLICATION",
        ["CONTACT", "GRADE", "SCORE"],
    )


async def test_approval_narrows_never_widens_and_opens_a_pairwise_subject(
    orm: TortoiseContext,
) -> None:
    bank, now, person = await _bank(), utc_now(), await Person.create(phone=new_phone())
    asked = await request_consent(
        bank.id,
        PartnerType.BANK,
        person.phone,
        Terms([G, S], Purpose.ACCOUNT_MANAGEMENT, 20, Access.ONGOING),
        None,
        now,
        None,
    )
    with pytest.raises(InvalidScopes, match="only scopes the partner asked for \\(not CONTACT\\)"):
        await approve_request(
            asked.id, person.id, person.phone, PartnerType.BANK, [G, C], now, None
        )
    with pytest.raises(InvalidScopes):
        await approve_request(asked.id, person.id, person.phone, PartnerType.BANK, [], now, None)
    assert not await ConsentGrant.exists(partner_id=bank.id)

    grant = await approve_request(
        asked.id, person.id, person.phone, PartnerType.BANK, [S], now, "r2"
    )

    stored = await ConsentGrant.get(id=grant.id)
    assert (stored.scopes, stored.purpose, stored.access) == (
        ["SCORE"],
        Purpose.ACCOUNT_MANAGEMENT,
        Access.ONGOING,
    )
    assert (stored.status, stored.person_id, stored.request_id) == (
        GrantStatus.ACTIVE,
        person.id,
        asked.id,
    )
    assert stored.expires_at == now + timedelta(days=20)
    decided = await ConsentRequest.get(id=asked.id)
    assert (decided.status, decided.decided_at, decided.person_id) == ("APPROVED", now, person.id)
    subject = await PartnerSubject.get(partner_id=bank.id, person_id=person.id)
    assert subject.subject_id.startswith("sub_")
    assert len(subject.subject_id) > 20
    entry = (await _logged(bank))[-1]
    assert (entry.event, entry.subject_id, entry.grant_id, entry.request_id) == (
        LogEvent.REQUEST_APPROVED,
        subject.subject_id,
        grant.id,
        "r2",
    )
    # Approving everything asked is the default.
    again = await request_consent(
        bank.id, PartnerType.BANK, person.phone, BANK_TERMS, None, now, None
    )
    whole = await approve_request(
        again.id, person.id, person.phone, PartnerType.BANK, None, now, None
    )
    assert (await ConsentGrant.get(id=whole.id)).scopes == ["CONTACT", "GRADE", "SCORE"]
    # The same partner keeps the same pairwise id.
    assert await PartnerSubject.filter(partner_id=bank.id, person_id=person.id).count() == 1


async def test_a_request_is_decided_once_by_its_own_person_before_it_lapses(
    orm: TortoiseContext,
) -> None:
    bank, now = await _bank(), utc_now()
    person = await Person.create(phone=new_phone())
    stranger = await Person.create(phone=new_phone())
    first = await request_consent(
        bank.id, PartnerType.BANK, person.phone, BANK_TERMS, None, now, None
    )

    with pytest.raises(RequestNotFound, match="no such consent request"):
        await deny_request(first.id, stranger.id, stranger.phone, now, None)
    denied = await deny_request(first.id, person.id, person.phone, now, "r3")
    assert (denied.status, denied.decided_at, denied.person_id) == ("DENIED", now, person.id)
    entry = (await _logged(bank))[-1]
    assert (entry.event, entry.person_id, entry.purpose, entry.request_id) == (
        LogEvent.REQUEST_DENIED,
        person.id,
        "CREDIT_APPLICATION",
        "r3",
    )
    with pytest.raises(RequestAlreadyDecided, match="already denied"):
        await approve_request(first.id, person.id, person.phone, PartnerType.BANK, None, now, None)
    with pytest.raises(RequestAlreadyDecided, match="already denied"):
        await deny_request(first.id, person.id, person.phone, now, None)

    late = await request_consent(
        bank.id, PartnerType.BANK, person.phone, BANK_TERMS, None, now, None
    )
    lapsed = now + timedelta(days=7)
    with pytest.raises(RequestExpired, match="expired; the partner must ask again"):
        await deny_request(late.id, person.id, person.phone, lapsed, None)
    with pytest.raises(RequestExpired):
        await approve_request(
            late.id, person.id, person.phone, PartnerType.BANK, None, lapsed, None
        )
    assert not await ConsentGrant.exists(partner_id=bank.id)
    assert (await ConsentRequest.get(id=late.id)).status == "PENDING"


async def test_renewal_extends_a_live_grant_from_now_within_the_types_longest(
    orm: TortoiseContext,
) -> None:
    bank, now, person = await _bank(), utc_now(), await Person.create(phone=new_phone())
    grant = await grant_consent(person.id, bank.id, PartnerType.BANK, BANK_TERMS, now, None)
    later = now + timedelta(days=3)

    with pytest.raises(InvalidDuration, match="1 to 365 days"):
        await renew_consent(grant.id, person.id, PartnerType.BANK, 366, later, None)
    renewed = await renew_consent(grant.id, person.id, PartnerType.BANK, 365, later, "r4")
    assert renewed.expires_at == later + timedelta(days=365)
    assert (await ConsentGrant.get(id=grant.id)).expires_at == later + timedelta(days=365)
    defaulted = await renew_consent(grant.id, person.id, PartnerType.BANK, None, later, None)
    assert defaulted.expires_at == later + timedelta(days=90)
    entry = (await _logged(bank))[-2]
    assert (entry.event, entry.grant_id, entry.request_id) == (LogEvent.RENEWED, grant.id, "r4")

    await revoke_consent(grant.id, person.id, later, None)
    with pytest.raises(GrantNotActive, match="only an active consent can be renewed"):
        await renew_consent(grant.id, person.id, PartnerType.BANK, 30, later, None)
    expired = await grant_consent(person.id, bank.id, PartnerType.BANK, BANK_TERMS, now, None)
    with pytest.raises(GrantNotActive):
        await renew_consent(
            expired.id, person.id, PartnerType.BANK, 30, now + timedelta(days=31), None
        )


@pytest.mark.parametrize(
    ("status", "seconds_left", "seen"),
    [
        (GrantStatus.ACTIVE, 1, "ACTIVE"),
        (GrantStatus.ACTIVE, 0, "EXPIRED"),
        (GrantStatus.USED_UP, 60, "USED_UP"),
        (GrantStatus.REVOKED, 60, "REVOKED"),
        (GrantStatus.REVOKED, -60, "REVOKED"),
    ],
)
def test_the_status_people_and_partners_see(
    status: GrantStatus, seconds_left: int, seen: str
) -> None:
    now = utc_now()
    assert status_at(status, now + timedelta(seconds=seconds_left), now) == seen
