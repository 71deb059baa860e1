"""A one-time grant spent by another use while a read is deciding: the read is refused, logged.

On PostgreSQL the read has already loaded the grant as ACTIVE when it tries to claim it, waits
for the other use's row lock, and then finds the grant gone: it must decide again without it
(`consent.reads`'s lost-claim path), never serve from it. On SQLite the write lock queues the
read behind the other use, so it sees the grant used up from the start; the answer a partner
gets is the same.
"""

from __future__ import annotations

import contextvars
import itertools

from tortoise.context import TortoiseContext

from consent.catalog import Access, PartnerType, Purpose, Scope
from consent.decision import DenialCode
from consent.lifecycle import Terms, grant_consent
from consent.models import AccessLogEntry, ConsentGrant, GrantStatus, PartnerSubject
from domain.clock import utc_now
from domain.models import Person
from domain.partner_reads import read_subject
from domain.partners import register_partner
from domain.principal import PartnerPrincipal
from race_support import as_another_client, until_it_waits
from storage.transactions import writing

_numbers = itertools.count(1)
ID, G = Scope.IDENTITY, Scope.GRADE


async def test_a_read_that_loses_its_one_time_grant_to_another_use_is_refused(
    orm: TortoiseContext,
) -> None:
    registered = await register_partner("Claim Bank", PartnerType.BANK)
    partner = PartnerPrincipal(
        registered.partner.id, PartnerType.BANK, registered.partner.client_id
    )
    person = await Person.create(phone=f"+86136{next(_numbers):08d}", display_name="Li Na")
    now = utc_now()
    ongoing = await grant_consent(
        person.id,
        partner.partner_id,
        PartnerType.BANK,
        Terms([G], Purpose.CREDIT_APPLICATION, 30, Access.ONGOING),
        now,
        None,
    )
    one_time = await grant_consent(
        person.id,
        partner.partner_id,
        PartnerType.BANK,
        Terms([ID, G], Purpose.CREDIT_APPLICATION, 30, Access.ONE_TIME),
        now,
        None,
    )
    subject = await PartnerSubject.get(partner_id=partner.partner_id, person_id=person.id)

    # The read runs as another request would: outside the other use's transaction context.
    outside = contextvars.copy_context()
    async with writing() as other_use:
        spent = (
            await ConsentGrant.filter(id=one_time.id, status=GrantStatus.ACTIVE)
            .using_db(other_use)
            .update(status=GrantStatus.USED_UP, used_at=now)
        )
        assert spent == 1
        read = as_another_client(
            read_subject(partner, subject.subject_id, frozenset({ID, G}), "req-lost", now), outside
        )
        await until_it_waits(other_use, read)
    view = await read

    # The identity only the one-time grant covered is refused as used up; the grade is still
    # served by the ongoing grant, which the read names.
    assert view.decision.denied == {ID: DenialCode.CONSENT_EXPIRED}
    assert set(view.decision.allowed) == {G}
    assert view.decision.allowed[G].id == ongoing.id
    stored = await ConsentGrant.get(id=one_time.id)
    assert stored.status is GrantStatus.USED_UP
    [entry] = await AccessLogEntry.filter(request_id="req-lost")
    assert (entry.event, entry.grant_id, entry.scopes_returned, entry.scopes_denied) == (
        "READ",
        ongoing.id,
        ["GRADE"],
        ["IDENTITY"],
    )


async def test_a_read_that_loses_its_only_grant_is_logged_as_denied(orm: TortoiseContext) -> None:
    registered = await register_partner("Claim Bank", PartnerType.BANK)
    partner = PartnerPrincipal(
        registered.partner.id, PartnerType.BANK, registered.partner.client_id
    )
    person = await Person.create(phone=f"+86136{next(_numbers):08d}", display_name="Li Na")
    now = utc_now()
    one_time = await grant_consent(
        person.id,
        partner.partner_id,
        PartnerType.BANK,
        Terms([ID], Purpose.CREDIT_APPLICATION, 30, Access.ONE_TIME),
        now,
        None,
    )
    subject = await PartnerSubject.get(partner_id=partner.partner_id, person_id=person.id)

    # The read runs as another request would: outside the other use's transaction context.
    outside = contextvars.copy_context()
    async with writing() as other_use:
        await (
            ConsentGrant.filter(id=one_time.id)
            .using_db(other_use)
            .update(status=GrantStatus.USED_UP, used_at=now)
        )
        read = as_another_client(
            read_subject(partner, subject.subject_id, frozenset({ID}), "req-lost-all", now),
            outside,
        )
        await until_it_waits(other_use, read)
    view = await read

    assert view.decision.allowed == {}
    assert view.decision.denied == {ID: DenialCode.CONSENT_EXPIRED}
    [entry] = await AccessLogEntry.filter(request_id="req-lost-all")
    assert (entry.event, entry.grant_id, entry.scopes_returned, entry.scopes_denied) == (
        "READ_DENIED",
        None,
        [],
        ["IDENTITY"],
    )
