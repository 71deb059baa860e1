"""Each consent change touches its own grant and nothing else, and says so in the log.

Renewing one consent leaves every other consent's expiry alone; a one-time read spends its own
grant only, stamped with the read's instant; revoking everything of a
person (erasure) revokes exactly that person's ACTIVE grants, once each, stamped with the
instant, and logs one REVOKED entry per grant with the request that caused it; grants already
used up, revoked or belonging to someone else are left as they were.
"""

from __future__ import annotations

from datetime import timedelta

from tortoise.context import TortoiseContext

from consent.access_log import LogEvent
from consent.catalog import Access, PartnerType, Purpose, Scope
from consent.lifecycle import (
    Terms,
    grant_consent,
    renew_consent,
    revoke_all_of_person,
    revoke_consent,
)
from consent.models import AccessLogEntry, ConsentGrant, GrantStatus, PartnerSubject
from consent_support import counting_statements, new_phone
from domain.clock import utc_now
from domain.models import Person
from domain.partner_reads import read_subject
from domain.partners import register_partner
from domain.principal import PartnerPrincipal
from storage.transactions import writing

TERMS = Terms([Scope.GRADE, Scope.SCORE], Purpose.CREDIT_APPLICATION, 30, Access.ONGOING)


async def test_renewing_one_consent_leaves_every_other_alone(orm: TortoiseContext) -> None:
    bank = (await register_partner("Renewal Bank", PartnerType.BANK)).partner
    person, other = await Person.create(phone=new_phone()), await Person.create(phone=new_phone())
    now = utc_now()
    mine = await grant_consent(person.id, bank.id, PartnerType.BANK, TERMS, now, None)
    also_mine = await grant_consent(person.id, bank.id, PartnerType.BANK, TERMS, now, None)
    theirs = await grant_consent(other.id, bank.id, PartnerType.BANK, TERMS, now, None)

    await renew_consent(mine.id, person.id, PartnerType.BANK, 200, now, None)

    expiries = {g.id: g.expires_at for g in await ConsentGrant.all()}
    assert expiries == {
        mine.id: now + timedelta(days=200),
        also_mine.id: now + timedelta(days=30),
        theirs.id: now + timedelta(days=30),
    }


async def test_revoking_everything_of_a_person_revokes_exactly_their_active_grants(
    orm: TortoiseContext,
) -> None:
    bank = (await register_partner("Erasure Bank", PartnerType.BANK)).partner
    person, other = await Person.create(phone=new_phone()), await Person.create(phone=new_phone())
    granted = utc_now() - timedelta(days=1)
    live = [
        await grant_consent(person.id, bank.id, PartnerType.BANK, TERMS, granted, None)
        for _ in range(2)
    ]
    spent = await grant_consent(person.id, bank.id, PartnerType.BANK, TERMS, granted, None)
    await ConsentGrant.filter(id=spent.id).update(status=GrantStatus.USED_UP, used_at=granted)
    revoked_before = await grant_consent(person.id, bank.id, PartnerType.BANK, TERMS, granted, None)
    await ConsentGrant.filter(id=revoked_before.id).update(
        status=GrantStatus.REVOKED, revoked_at=granted
    )
    theirs = await grant_consent(other.id, bank.id, PartnerType.BANK, TERMS, granted, None)
    logged = await AccessLogEntry.all().count()
    now = utc_now()

    async with writing() as connection:
        revoked = await revoke_all_of_person(person.id, now, "req-erase", connection)

    assert sorted(g.id for g in revoked) == sorted(g.id for g in live)
    assert all((g.status, g.revoked_at) == (GrantStatus.REVOKED, now) for g in revoked)
    stored = {g.id: (g.status, g.revoked_at) for g in await ConsentGrant.all()}
    assert stored == {
        live[0].id: (GrantStatus.REVOKED, now),
        live[1].id: (GrantStatus.REVOKED, now),
        spent.id: (GrantStatus.USED_UP, None),
        revoked_before.id: (GrantStatus.REVOKED, granted),
        theirs.id: (GrantStatus.ACTIVE, None),
    }
    entries = await AccessLogEntry.filter(id__gt=0).order_by("id").offset(logged)
    assert sorted((e.event, e.grant_id, e.person_id, e.request_id) for e in entries) == sorted(
        (LogEvent.REVOKED.value, g.id, person.id, "req-erase") for g in live
    )
    assert all(e.scopes_returned == ["GRADE", "SCORE"] for e in entries)
    assert all(e.purpose == "CREDIT_APPLICATION" for e in entries)

    # Nothing left to revoke: nothing changes and nothing is logged.
    async with writing() as connection:
        assert await revoke_all_of_person(person.id, now, "req-again", connection) == []
    assert await AccessLogEntry.all().count() == logged + len(live)


async def test_granting_and_revoking_are_stamped_and_logged_with_their_request(
    orm: TortoiseContext,
) -> None:
    bank = (await register_partner("Stamp Bank", PartnerType.BANK)).partner
    person = await Person.create(phone=new_phone())
    granted_at = utc_now()
    grant = await grant_consent(person.id, bank.id, PartnerType.BANK, TERMS, granted_at, "req-g")
    subject = await PartnerSubject.get(partner_id=bank.id, person_id=person.id)
    revoked_at = granted_at + timedelta(hours=1)

    revoked = await revoke_consent(grant.id, person.id, revoked_at, "req-r")

    assert (revoked.status, revoked.revoked_at) == (GrantStatus.REVOKED, revoked_at)
    stored = await ConsentGrant.get(id=grant.id)
    assert (stored.status, stored.revoked_at) == (GrantStatus.REVOKED, revoked_at)
    entries = await AccessLogEntry.filter(grant_id=grant.id).order_by("id")
    assert [(e.event, e.subject_id, e.request_id, e.occurred_at) for e in entries] == [
        (LogEvent.GRANTED.value, subject.subject_id, "req-g", granted_at),
        (LogEvent.REVOKED.value, None, "req-r", revoked_at),
    ]


async def test_a_one_time_read_spends_its_own_grant_and_no_other(orm: TortoiseContext) -> None:
    registered = await register_partner("Claim Bank", PartnerType.BANK)
    partner = PartnerPrincipal(
        registered.partner.id, PartnerType.BANK, registered.partner.client_id
    )
    now = utc_now()
    grants = {}
    for access in (Access.ONE_TIME, Access.ONGOING, Access.ONE_TIME):
        person = await Person.create(phone=new_phone(), display_name="Li Na")
        grants[person.id] = await grant_consent(
            person.id,
            partner.partner_id,
            PartnerType.BANK,
            Terms([Scope.IDENTITY], Purpose.CREDIT_APPLICATION, 30, access),
            now,
            None,
        )
    reader = next(iter(grants))
    subject = await PartnerSubject.get(partner_id=partner.partner_id, person_id=reader)

    view = await read_subject(
        partner, subject.subject_id, frozenset({Scope.IDENTITY}), "req-one", now
    )

    assert set(view.decision.allowed) == {Scope.IDENTITY}
    stored = {g.id: (g.status, g.used_at) for g in await ConsentGrant.all()}
    assert stored == {
        g.id: (GrantStatus.USED_UP, now) if person_id == reader else (GrantStatus.ACTIVE, None)
        for person_id, g in grants.items()
    }


async def test_a_read_that_asks_for_no_scope_does_not_look_at_grants(
    orm: TortoiseContext,
) -> None:
    registered = await register_partner("Public Fields Bank", PartnerType.BANK)
    partner = PartnerPrincipal(
        registered.partner.id, PartnerType.BANK, registered.partner.client_id
    )
    person = await Person.create(phone=new_phone())
    await grant_consent(person.id, partner.partner_id, PartnerType.BANK, TERMS, utc_now(), None)
    subject = await PartnerSubject.get(partner_id=partner.partner_id, person_id=person.id)

    with counting_statements() as counter:
        view = await read_subject(partner, subject.subject_id, frozenset(), "req-public")

    assert (view.decision.allowed, view.decision.denied) == ({}, {})
    assert [s for s in counter.statements if "consent_grant" in s] == []
