"""Expiry sweeps announce each lapsed request and expired consent once."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from tortoise.context import TortoiseContext

from consent.catalog import Access, PartnerType, Purpose, Scope
from consent.lifecycle import Terms, grant_consent, request_consent, revoke_consent
from consent.models import ConsentGrant, ConsentRequest, GrantStatus, PartnerSubject, RequestStatus
from consent_support import new_phone
from domain.clock import utc_now
from domain.event_models import OutboxEvent
from domain.expiry_sweeps import expire_grants, expire_requests
from domain.models import Person
from domain.partners import register_partner

TERMS = Terms([Scope.GRADE], Purpose.CREDIT_APPLICATION, 30, Access.ONGOING)


async def test_a_lapsed_request_is_expired_and_announced_once(orm: TortoiseContext) -> None:
    registered = await register_partner("Sweep Bank", PartnerType.BANK)
    partner_id = registered.partner.id
    now = utc_now()
    lapsed = await request_consent(
        partner_id, PartnerType.BANK, new_phone(), TERMS, None, now - timedelta(days=8), None
    )
    waiting = await request_consent(
        partner_id, PartnerType.BANK, new_phone(), TERMS, None, now, None
    )

    assert sorted(await asyncio.gather(expire_requests(now), expire_requests(now))) == [0, 1]
    assert await expire_requests(now) == 0

    assert (await ConsentRequest.get(id=lapsed.id)).status is RequestStatus.EXPIRED
    assert (await ConsentRequest.get(id=waiting.id)).status is RequestStatus.PENDING
    [event] = await OutboxEvent.filter(partner_id=partner_id)
    assert (event.type, event.object_id, event.subject_id) == (
        "consent_request.expired",
        str(lapsed.id),
        None,
    )


async def test_an_expired_consent_is_announced_once_and_only_if_it_lapsed_in_force(
    orm: TortoiseContext,
) -> None:
    registered = await register_partner("Sweep Bank", PartnerType.BANK)
    partner_id = registered.partner.id
    now = utc_now()
    grants = {}
    for name in ("lapsed", "revoked", "used_up", "in_force"):
        person = await Person.create(phone=new_phone())
        grants[name] = await grant_consent(
            person.id, partner_id, PartnerType.BANK, TERMS, now, None
        )
    for name in ("lapsed", "revoked", "used_up"):
        await ConsentGrant.filter(id=grants[name].id).update(expires_at=now - timedelta(hours=1))
    await revoke_consent(grants["revoked"].id, grants["revoked"].person_id, now, None)
    await ConsentGrant.filter(id=grants["used_up"].id).update(status=GrantStatus.USED_UP)

    assert sorted(await asyncio.gather(expire_grants(now), expire_grants(now))) == [0, 1]
    assert await expire_grants(now) == 0

    expired = await OutboxEvent.filter(type="consent.expired")
    assert [e.object_id for e in expired] == [str(grants["lapsed"].id)]
    subject = await PartnerSubject.get(partner_id=partner_id, person_id=grants["lapsed"].person_id)
    assert expired[0].subject_id == subject.subject_id
