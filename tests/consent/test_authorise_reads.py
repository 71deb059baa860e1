"""Authorising a read of named subjects at the consent layer (how an assessment asks).

DESIGN.md: a person appears to each partner only as its own subject id, and another partner's
subject id reads exactly like one that does not exist; a partner receives what the person
granted it, decided on grants read fresh for the request; a ONE_TIME grant is used up by the
first successful read.
"""

from __future__ import annotations

from datetime import timedelta

from tortoise.context import TortoiseContext

from consent.catalog import Access, PartnerType, Purpose, Scope
from consent.decision import DenialCode
from consent.lifecycle import Terms, grant_consent, revoke_consent
from consent.models import ConsentGrant, GrantStatus, PartnerSubject
from consent.reads import authorise_reads, grants_of, people_behind
from consent_support import counting_statements, new_phone
from domain.clock import utc_now
from domain.models import Partner, Person
from domain.partners import register_partner
from storage.transactions import writing

GRADE_ONGOING = Terms([Scope.GRADE], Purpose.CREDIT_APPLICATION, 30, Access.ONGOING)
SCORE_ONE_TIME = Terms([Scope.SCORE], Purpose.CREDIT_APPLICATION, 30, Access.ONE_TIME)


async def _bank(name: str) -> Partner:
    return (await register_partner(name, PartnerType.BANK)).partner


async def _subject_id(partner: Partner, person: Person) -> str:
    return (await PartnerSubject.get(partner_id=partner.id, person_id=person.id)).subject_id


async def test_subject_ids_map_to_people_only_for_their_own_partner(orm: TortoiseContext) -> None:
    bank, other_bank = await _bank("Subject Bank"), await _bank("Other Subject Bank")
    wang, li = await Person.create(phone=new_phone()), await Person.create(phone=new_phone())
    now = utc_now()
    for person in (wang, li):
        await grant_consent(person.id, bank.id, PartnerType.BANK, GRADE_ONGOING, now, None)
    await grant_consent(wang.id, other_bank.id, PartnerType.BANK, GRADE_ONGOING, now, None)
    wang_here, li_here = await _subject_id(bank, wang), await _subject_id(bank, li)
    wang_there = await _subject_id(other_bank, wang)

    async with writing() as connection:
        found = await people_behind(
            bank.id, [wang_here, wang_there, "sub_never_issued", li_here], connection
        )

    assert found == {wang_here: wang.id, li_here: li.id}


async def test_grants_of_are_every_grant_these_people_gave_this_partner(
    orm: TortoiseContext,
) -> None:
    bank, other_bank = await _bank("Grants Bank"), await _bank("Other Grants Bank")
    wang, li, zhao = [await Person.create(phone=new_phone()) for _ in range(3)]
    now = utc_now()
    live = await grant_consent(wang.id, bank.id, PartnerType.BANK, GRADE_ONGOING, now, None)
    revoked = await grant_consent(wang.id, bank.id, PartnerType.BANK, SCORE_ONE_TIME, now, None)
    await revoke_consent(revoked.id, wang.id, now, None)
    lis = await grant_consent(li.id, bank.id, PartnerType.BANK, GRADE_ONGOING, now, None)
    await grant_consent(wang.id, other_bank.id, PartnerType.BANK, GRADE_ONGOING, now, None)
    await grant_consent(zhao.id, bank.id, PartnerType.BANK, GRADE_ONGOING, now, None)

    async with writing() as connection:
        found = await grants_of(bank.id, [wang.id, li.id], connection)

    # Revoked grants too: they explain a denial (CONSENT_REVOKED).
    assert {person: sorted(g.id for g in held) for person, held in found.items()} == {
        wang.id: sorted([live.id, revoked.id]),
        li.id: [lis.id],
    }


async def test_each_person_is_decided_on_their_own_grants_to_this_partner(
    orm: TortoiseContext,
) -> None:
    bank, other_bank = await _bank("Decision Bank"), await _bank("Other Decision Bank")
    wang, li, zhao = [await Person.create(phone=new_phone()) for _ in range(3)]
    now = utc_now()
    wangs = await grant_consent(wang.id, bank.id, PartnerType.BANK, GRADE_ONGOING, now, None)
    lis = await grant_consent(li.id, bank.id, PartnerType.BANK, GRADE_ONGOING, now, None)
    await revoke_consent(lis.id, li.id, now, None)
    # Zhao granted another bank only: nothing of it reaches this one.
    await grant_consent(zhao.id, other_bank.id, PartnerType.BANK, GRADE_ONGOING, now, None)
    later = now + timedelta(seconds=1)

    async with writing() as connection:
        decisions = await authorise_reads(
            bank.id,
            PartnerType.BANK,
            [wang.id, li.id, zhao.id, wang.id],
            frozenset({Scope.GRADE, Scope.SCORE}),
            later,
            connection,
        )

    assert list(decisions) == [wang.id, li.id, zhao.id]
    assert {
        p: ({s: g.id for s, g in d.allowed.items()}, d.denied) for p, d in decisions.items()
    } == {
        wang.id: ({Scope.GRADE: wangs.id}, {Scope.SCORE: DenialCode.CONSENT_REQUIRED}),
        li.id: (
            {},
            {Scope.GRADE: DenialCode.CONSENT_REVOKED, Scope.SCORE: DenialCode.CONSENT_REQUIRED},
        ),
        zhao.id: (
            {},
            {Scope.GRADE: DenialCode.CONSENT_REQUIRED, Scope.SCORE: DenialCode.CONSENT_REQUIRED},
        ),
    }


async def test_a_read_spends_the_one_time_grant_it_relies_on(orm: TortoiseContext) -> None:
    bank = await _bank("One-time Bank")
    wang = await Person.create(phone=new_phone())
    granted = utc_now()
    once = await grant_consent(wang.id, bank.id, PartnerType.BANK, SCORE_ONE_TIME, granted, None)
    read_at = granted + timedelta(minutes=5)

    async with writing() as connection:
        first = await authorise_reads(
            bank.id, PartnerType.BANK, [wang.id], frozenset({Scope.SCORE}), read_at, connection
        )
    async with writing() as connection:
        second = await authorise_reads(
            bank.id, PartnerType.BANK, [wang.id], frozenset({Scope.SCORE}), read_at, connection
        )

    assert {s: g.id for s, g in first[wang.id].allowed.items()} == {Scope.SCORE: once.id}
    stored = await ConsentGrant.get(id=once.id)
    assert (stored.status, stored.used_at) == (GrantStatus.USED_UP, read_at)
    # Used up reads as expired (the decide table's "a one-time grant used up").
    assert (second[wang.id].allowed, second[wang.id].denied) == (
        {},
        {Scope.SCORE: DenialCode.CONSENT_EXPIRED},
    )


async def test_a_read_that_asks_no_scope_reads_no_grant_and_spends_none(
    orm: TortoiseContext,
) -> None:
    bank = await _bank("Nothing Asked Bank")
    wang = await Person.create(phone=new_phone())
    now = utc_now()
    once = await grant_consent(wang.id, bank.id, PartnerType.BANK, SCORE_ONE_TIME, now, None)

    async with writing() as connection:
        with counting_statements() as counter:
            decisions = await authorise_reads(
                bank.id, PartnerType.BANK, [wang.id], frozenset(), now, connection
            )

    assert (decisions[wang.id].allowed, decisions[wang.id].denied) == ({}, {})
    assert counter.statements == []
    assert (await ConsentGrant.get(id=once.id)).status is GrantStatus.ACTIVE
