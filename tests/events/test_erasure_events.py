"""Erasure tells each partner whose grant it revoked (issue 15 item 3), in the same transaction.

The event carries ids only, and the subject id it names reads as NOT_FOUND from then on.
"""

from __future__ import annotations

import uuid

import orjson
import pytest
from tortoise.context import TortoiseContext

from consent.catalog import Access, PartnerType, Scope
from consent.lifecycle import Terms, grant_consent
from consent.models import ConsentGrant, PartnerSubject
from consent.policy import policy_for
from consent_support import new_phone
from domain import consents
from domain.clock import utc_now
from domain.erasure import PersonNotFound, erase_person
from domain.event_models import OutboxEvent, WebhookDelivery
from domain.models import DataExport, Person
from domain.outbox import thin
from domain.partner_reads import SubjectNotFound, read_subject
from domain.partners import register_partner
from domain.principal import PartnerPrincipal, PersonPrincipal
from domain.secret_keys import SecretKeys
from domain.webhooks import EndpointPolicy, create_endpoint
from server.settings import SANDBOX_SECRET_KEY

IDENTITY = frozenset({Scope.IDENTITY})


async def _partner(partner_type: PartnerType) -> PartnerPrincipal:
    registered = await register_partner(f"{partner_type.value} erasure", partner_type)
    return PartnerPrincipal(registered.partner.id, partner_type, registered.partner.client_id)


async def _grant(partner: PartnerPrincipal, person: Person) -> ConsentGrant:
    purpose = sorted(policy_for(partner.partner_type).purposes)[0]
    return await grant_consent(
        person.id,
        partner.partner_id,
        partner.partner_type,
        Terms([Scope.IDENTITY], purpose, 30, Access.ONGOING),
        utc_now(),
        None,
    )


async def test_erasure_tells_each_partner_whose_grant_it_revoked_and_their_ids_read_not_found(
    orm: TortoiseContext,
) -> None:
    person = await Person.create(phone=new_phone(), display_name="Han Meimei")
    bank = await _partner(PartnerType.BANK)
    insurer = await _partner(PartnerType.INSURER)
    revoked_before = await _partner(PartnerType.RENTAL)
    bystander = await _partner(PartnerType.P2P_LENDER)
    # The bank is subscribed, so the event also becomes a webhook delivery in the transaction.
    await create_endpoint(
        bank,
        "http://127.0.0.1:9/hooks",
        ["consent.revoked"],
        EndpointPolicy(SecretKeys(SANDBOX_SECRET_KEY), sandbox=True),
    )
    bank_grant = await _grant(bank, person)
    insurer_grant = await _grant(insurer, person)
    gone = await _grant(revoked_before, person)
    await consents.revoke_consent(PersonPrincipal(person.id, uuid.uuid4()), str(gone.id), None)
    subjects = {
        s.partner_id: s.subject_id for s in await PartnerSubject.filter(person_id=person.id)
    }
    before = await OutboxEvent.all().count()

    erased = await erase_person(person.id, "req-erase")

    events = await OutboxEvent.filter(id__gt=before).order_by("id")
    announced = sorted(
        (e.type, e.partner_id, e.subject_id, e.object_id, e.person_id) for e in events
    )
    expected = [(bank, bank_grant), (insurer, insurer_grant)]
    assert announced == sorted(
        ("consent.revoked", p.partner_id, subjects[p.partner_id], str(g.id), None)
        for p, g in expected
    )
    assert sorted(erased.revoked_grants) == sorted([bank_grant.id, insurer_grant.id])
    # Ids only: nothing about the person in what the partner receives.
    for event in events:
        payload = thin(event).payload()
        assert set(payload) == {"id", "type", "timestamp", "data"}
        assert set(payload["data"]) == {"subject_id", "object_id", "sequence"}
        raw = orjson.dumps(payload).decode()
        for personal in (person.phone, "Han Meimei", str(person.id)):
            assert personal not in raw
    [delivery] = await WebhookDelivery.all()
    assert delivery.event_id == next(e.id for e in events if e.partner_id == bank.partner_id)
    # What the event names is gone: the subject id reads as NOT_FOUND, as an unknown one would.
    for partner in (bank, insurer):
        with pytest.raises(SubjectNotFound) as refused:
            await read_subject(
                partner, subjects[partner.partner_id], frozenset({Scope.IDENTITY}), None
            )
        assert refused.value.code == "NOT_FOUND"
    assert bystander.partner_id not in {e.partner_id for e in events}
    assert revoked_before.partner_id not in {e.partner_id for e in events}

    # Erasing again finds no one and announces nothing more.
    with pytest.raises(PersonNotFound):
        await erase_person(person.id, "req-erase-again")
    assert await OutboxEvent.filter(id__gt=before).count() == len(events)


async def test_an_erasure_that_fails_announces_nothing(
    orm: TortoiseContext, monkeypatch: pytest.MonkeyPatch
) -> None:
    person = await Person.create(phone=new_phone(), display_name="Li Lei")
    bank = await _partner(PartnerType.BANK)
    await _grant(bank, person)
    before = await OutboxEvent.all().count()

    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("the disk is full")

    # Fails after the revocations were announced, before the person row goes.
    monkeypatch.setattr(DataExport, "filter", broken)
    with pytest.raises(RuntimeError):
        await erase_person(person.id, None)

    assert await OutboxEvent.all().count() == before
    assert await Person.exists(id=person.id)
    assert await ConsentGrant.filter(person_id=person.id, revoked_at__isnull=True).count() == 1
