"""The transactional outbox: thin events written with the change, in order per stream."""

from __future__ import annotations

import uuid
from datetime import timedelta

import orjson
import pytest
from tortoise.context import TortoiseContext

from consent.catalog import Access, PartnerType, Purpose, Scope
from consent.errors import RequestAlreadyDecided
from consent.lifecycle import Terms, grant_consent
from consent.models import ConsentGrant, ConsentRequest, PartnerSubject, RequestStatus
from consent.policy import policy_for
from consent_support import new_phone, person_with_full_file
from domain import change_events, consents
from domain.clock import utc_now
from domain.event_models import OutboxEvent, WebhookDelivery
from domain.events import CATALOGUE, Audience
from domain.models import Person
from domain.outbox import emit_to_partner, thin
from domain.partners import register_partner
from domain.principal import PartnerPrincipal, PersonPrincipal
from domain.reports import rescore
from scoring_engine.model import LoadedModel
from storage.transactions import writing

# The issue's list, written out: the catalogue must hold exactly these.
PARTNER_EVENTS = {
    "consent_request.approved",
    "consent_request.denied",
    "consent_request.expired",
    "consent.revoked",
    "consent.renewed",
    "consent.expired",
    "report.updated",
    "assessment.completed",
    "assessment.waiting_for_person",
    "assessment.sla_breached",
}
PERSON_EVENTS = {
    "consent_request.received",
    "access.recorded",
    "assessment.waiting_for_person",
}


def test_the_catalogue_holds_the_issues_event_types() -> None:
    partner = {k.name for k in CATALOGUE.values() if k.heard_by(Audience.PARTNER)}
    person = {k.name for k in CATALOGUE.values() if k.heard_by(Audience.PERSON)}
    assert partner == PARTNER_EVENTS
    assert person == PERSON_EVENTS


async def _partner(partner_type: PartnerType = PartnerType.BANK) -> PartnerPrincipal:
    registered = await register_partner(f"{partner_type.value} events", partner_type)
    return PartnerPrincipal(registered.partner.id, partner_type, registered.partner.client_id)


async def _person(name: str = "Li Lei") -> tuple[Person, PersonPrincipal]:
    person = await Person.create(phone=new_phone(), display_name=name)
    return person, PersonPrincipal(person.id, uuid.uuid4())


async def _ask(partner: PartnerPrincipal, person: Person, scopes: list[Scope]) -> ConsentRequest:
    return await consents.request_consent(
        partner,
        person.phone,
        scopes,
        Purpose.CREDIT_APPLICATION,
        30,
        Access.ONGOING,
        "loan-1",
        ["CN"],
        None,
    )


async def _partner_events(partner: PartnerPrincipal) -> list[OutboxEvent]:
    return await OutboxEvent.filter(partner_id=partner.partner_id).order_by("id")


async def test_an_approval_tells_the_partner_its_subject_and_the_request(
    orm: TortoiseContext,
) -> None:
    partner = await _partner()
    person, me = await _person("Han Meimei")
    request = await _ask(partner, person, [Scope.GRADE])
    await consents.approve_request(me, str(request.id), None, None)

    [event] = await _partner_events(partner)
    subject = await PartnerSubject.get(partner_id=partner.partner_id, person_id=person.id)
    payload = thin(event).payload()
    assert payload["type"] == "consent_request.approved"
    assert payload["data"] == {
        "subject_id": subject.subject_id,
        "object_id": str(request.id),
        "sequence": 1,
    }
    assert set(payload) == {"id", "type", "timestamp", "data"}
    # Thin: nothing about the person but the pairwise id.
    raw = orjson.dumps(payload).decode()
    for personal in (person.phone, "Han Meimei", str(person.id)):
        assert personal not in raw


async def test_a_change_that_rolls_back_emits_nothing(
    orm: TortoiseContext, monkeypatch: pytest.MonkeyPatch
) -> None:
    partner = await _partner()
    person, me = await _person()
    request = await _ask(partner, person, [Scope.GRADE])
    written = change_events.request_approved

    async def then_fail(*args: object, **kwargs: object) -> None:
        await written(*args, **kwargs)  # type: ignore[arg-type]
        raise RuntimeError("the change fails after its event was written")

    monkeypatch.setattr(change_events, "request_approved", then_fail)
    with pytest.raises(RuntimeError):
        await consents.approve_request(me, str(request.id), None, None)

    assert await OutboxEvent.filter(partner_id=partner.partner_id).count() == 0
    assert await ConsentGrant.filter(partner_id=partner.partner_id).count() == 0
    assert (await ConsentRequest.get(id=request.id)).status is RequestStatus.PENDING


async def test_a_refused_change_emits_nothing(orm: TortoiseContext) -> None:
    partner = await _partner()
    person, me = await _person()
    request = await _ask(partner, person, [Scope.GRADE])
    await consents.deny_request(me, str(request.id), None)
    with pytest.raises(RequestAlreadyDecided):
        await consents.approve_request(me, str(request.id), None, None)
    assert [e.type for e in await _partner_events(partner)] == ["consent_request.denied"]


async def test_an_event_rolled_back_with_its_transaction_leaves_no_delivery(
    orm: TortoiseContext,
) -> None:
    partner = await _partner()

    async def emit_then_fail() -> None:
        async with writing() as connection:
            await emit_to_partner(
                "report.updated", partner.partner_id, "sub_x", uuid.uuid4(), utc_now(), connection
            )
            raise RuntimeError("rolled back")

    with pytest.raises(RuntimeError):
        await emit_then_fail()
    assert await OutboxEvent.all().count() == 0
    assert await WebhookDelivery.all().count() == 0


async def test_each_subject_and_partner_stream_counts_from_one_in_order(
    orm: TortoiseContext,
) -> None:
    bank, lender = await _partner(PartnerType.BANK), await _partner(PartnerType.P2P_LENDER)
    person, me = await _person()
    grant_request = await _ask(bank, person, [Scope.GRADE])
    grant = await consents.approve_request(me, str(grant_request.id), None, None)
    await consents.renew_consent(me, str(grant.id), 60, None)
    await consents.revoke_consent(me, str(grant.id), None)
    # Revoking again changes nothing and announces nothing.
    await consents.revoke_consent(me, str(grant.id), None)
    other = await _ask(lender, person, [Scope.GRADE])
    await consents.approve_request(me, str(other.id), None, None)

    bank_events = await _partner_events(bank)
    assert [(e.type, e.sequence) for e in bank_events] == [
        ("consent_request.approved", 1),
        ("consent.renewed", 2),
        ("consent.revoked", 3),
    ]
    assert [e.object_id for e in bank_events[1:]] == [str(grant.id), str(grant.id)]
    assert [(e.type, e.sequence) for e in await _partner_events(lender)] == [
        ("consent_request.approved", 1)
    ]


async def test_a_denial_carries_no_subject_id(orm: TortoiseContext) -> None:
    partner = await _partner()
    person, me = await _person()
    request = await _ask(partner, person, [Scope.GRADE])
    await consents.deny_request(me, str(request.id), None)
    [event] = await _partner_events(partner)
    assert thin(event).payload()["data"] == {"object_id": str(request.id), "sequence": 1}
    assert await PartnerSubject.filter(partner_id=partner.partner_id).count() == 0


async def test_a_registered_person_hears_of_a_request_and_an_unregistered_number_does_not(
    orm: TortoiseContext,
) -> None:
    partner = await _partner()
    person, _ = await _person()
    request = await _ask(partner, person, [Scope.GRADE])
    await consents.request_consent(
        partner, new_phone(), [Scope.GRADE], Purpose.CREDIT_APPLICATION, 30, Access.ONGOING,
        None, ["CN"], None,
    )  # fmt: skip
    events = await OutboxEvent.filter(person_id__not_isnull=True).order_by("id")
    assert [(e.type, e.person_id, e.object_id) for e in events] == [
        ("consent_request.received", person.id, str(request.id))
    ]


async def _grant(
    partner: PartnerPrincipal, person: Person, scopes: list[Scope], days: int = 30
) -> ConsentGrant:
    return await grant_consent(
        person.id,
        partner.partner_id,
        partner.partner_type,
        Terms(scopes, sorted(policy_for(partner.partner_type).purposes)[0], days, Access.ONGOING),
        utc_now(),
        None,
    )


async def test_a_new_report_is_announced_only_to_partners_whose_consent_covers_it(
    orm: TortoiseContext, default_model: LoadedModel
) -> None:
    person = await person_with_full_file()
    covered = await _partner(PartnerType.BANK)
    identity_only = await _partner(PartnerType.RENTAL)
    revoked = await _partner(PartnerType.INSURER)
    expired = await _partner(PartnerType.P2P_LENDER)
    stranger = await _partner(PartnerType.BANK)
    await _grant(covered, person, [Scope.SCORE])
    await _grant(identity_only, person, [Scope.IDENTITY, Scope.CONTACT])
    gone = await _grant(revoked, person, [Scope.GRADE])
    await consents.revoke_consent(PersonPrincipal(person.id, uuid.uuid4()), str(gone.id), None)
    lapsed = await _grant(expired, person, [Scope.GRADE])
    await ConsentGrant.filter(id=lapsed.id).update(expires_at=utc_now() - timedelta(seconds=1))

    report = await rescore(person.id, default_model)

    updated = await OutboxEvent.filter(type="report.updated")
    assert [(e.partner_id, e.object_id) for e in updated] == [(covered.partner_id, str(report.id))]
    assert stranger.partner_id not in {e.partner_id for e in updated}
    subject = await PartnerSubject.get(partner_id=covered.partner_id, person_id=person.id)
    assert updated[0].subject_id == subject.subject_id
