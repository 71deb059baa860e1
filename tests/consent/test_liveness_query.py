"""The query form of "is this grant in force" picks exactly the grants the predicate accepts."""

from __future__ import annotations

from datetime import timedelta

from tortoise.context import TortoiseContext

from consent.catalog import Access, PartnerType, Purpose
from consent.liveness import in_force, in_force_filter
from consent.models import ConsentGrant, GrantStatus
from consent_support import new_phone
from domain.clock import utc_now
from domain.models import Person
from domain.partners import register_partner


async def test_the_filter_and_the_predicate_agree(orm: TortoiseContext) -> None:
    now = utc_now()
    partner = (await register_partner("Liveness Bank", PartnerType.BANK)).partner
    person = await Person.create(phone=new_phone())
    for status in GrantStatus:
        for seconds in (-60, 0, 60):
            await ConsentGrant.create(
                partner=partner,
                person=person,
                scopes=["GRADE"],
                purpose=Purpose.CREDIT_APPLICATION,
                access=Access.ONGOING,
                status=status,
                granted_at=now - timedelta(days=1),
                expires_at=now + timedelta(seconds=seconds),
            )
    grants = await ConsentGrant.filter(person_id=person.id)
    by_predicate = {g.id for g in grants if in_force(g.status, g.expires_at, now)}
    by_filter = {g.id for g in await ConsentGrant.filter(in_force_filter(now), person_id=person.id)}
    assert by_filter == by_predicate
    assert len(by_predicate) == 1
