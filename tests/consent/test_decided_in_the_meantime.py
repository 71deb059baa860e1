"""Two answers to one consent at once (a person on two devices): one wins, the other is told.

The loser has already read the request or grant as it was (on PostgreSQL it then waits for the
winner's row lock); it must refuse with the sentence a person reads, write nothing and log
nothing. On SQLite the write lock queues the loser behind the winner, so it sees the decision
from the start and says so: the same code, the same nothing written.
"""

from __future__ import annotations

import contextvars
from collections.abc import Callable, Coroutine
from datetime import timedelta
from typing import Any

import pytest
from tortoise.context import TortoiseContext

from consent.catalog import Access, PartnerType, Purpose, Scope
from consent.errors import ConsentError, GrantNotActive, RequestAlreadyDecided
from consent.lifecycle import (
    Terms,
    approve_request,
    deny_request,
    grant_consent,
    renew_consent,
    request_consent,
)
from consent.models import (
    AccessLogEntry,
    ConsentGrant,
    ConsentRequest,
    GrantStatus,
    RequestStatus,
)
from consent_support import new_phone
from domain.clock import utc_now
from domain.models import Partner, Person
from domain.partners import register_partner
from race_support import as_another_client, until_it_waits
from storage.transactions import writing

TERMS = Terms([Scope.GRADE], Purpose.CREDIT_APPLICATION, 30, Access.ONGOING)


async def _asked() -> tuple[Partner, Person, ConsentRequest]:
    bank = (await register_partner("Two Devices Bank", PartnerType.BANK)).partner
    person = await Person.create(phone=new_phone())
    # Another pending request of the same person stays untouched by either answer.
    await request_consent(bank.id, PartnerType.BANK, person.phone, TERMS, None, utc_now(), None)
    asked = await request_consent(
        bank.id, PartnerType.BANK, person.phone, TERMS, None, utc_now(), None
    )
    return bank, person, asked


def _answers(
    person: Person, asked: ConsentRequest
) -> dict[str, Callable[[], Coroutine[Any, Any, object]]]:
    now = utc_now()
    return {
        "approve": lambda: approve_request(
            asked.id, person.id, person.phone, PartnerType.BANK, None, now, None
        ),
        "deny": lambda: deny_request(asked.id, person.id, person.phone, now, None),
    }


@pytest.mark.parametrize("winner", ["APPROVED", "DENIED"])
@pytest.mark.parametrize("loser", ["approve", "deny"])
async def test_the_second_answer_to_a_request_is_refused(
    orm: TortoiseContext, winner: str, loser: str
) -> None:
    bank, person, asked = await _asked()
    logged = await AccessLogEntry.all().count()
    outside = contextvars.copy_context()

    async with writing() as first:
        await (
            ConsentRequest.filter(id=asked.id)
            .using_db(first)
            .update(status=RequestStatus(winner), decided_at=utc_now(), person_id=person.id)
        )
        second = as_another_client(_answers(person, asked)[loser](), outside)
        await until_it_waits(first, second)

    with pytest.raises(ConsentError) as refused:
        await second
    assert type(refused.value) is RequestAlreadyDecided
    assert refused.value.code == "REQUEST_ALREADY_DECIDED"
    if first.capabilities.dialect == "postgres":
        assert str(refused.value) == "this request was decided in the meantime"
    else:
        assert str(refused.value) == f"this request was already {winner.lower()}"
    assert (await ConsentRequest.get(id=asked.id)).status == winner
    assert not await ConsentGrant.exists(partner_id=bank.id)
    assert await AccessLogEntry.all().count() == logged
    [untouched] = await ConsentRequest.filter(partner_id=bank.id, status=RequestStatus.PENDING)
    assert untouched.id != asked.id


@pytest.mark.parametrize("answer", ["approve", "deny"])
async def test_an_answer_decides_its_own_request_and_no_other(
    orm: TortoiseContext, answer: str
) -> None:
    bank, person, asked = await _asked()
    stranger = await Person.create(phone=new_phone())
    theirs = await request_consent(
        bank.id, PartnerType.BANK, stranger.phone, TERMS, None, utc_now(), None
    )

    await _answers(person, asked)[answer]()

    decided = "APPROVED" if answer == "approve" else "DENIED"
    assert (await ConsentRequest.get(id=asked.id)).status == decided
    still = await ConsentRequest.filter(partner_id=bank.id, status=RequestStatus.PENDING)
    assert len(still) == 2
    assert theirs.id in [r.id for r in still]


async def test_renewing_a_consent_revoked_meanwhile_is_refused(orm: TortoiseContext) -> None:
    bank = (await register_partner("Two Devices Bank", PartnerType.BANK)).partner
    person = await Person.create(phone=new_phone())
    now = utc_now()
    grant = await grant_consent(person.id, bank.id, PartnerType.BANK, TERMS, now, None)
    logged = await AccessLogEntry.all().count()
    outside = contextvars.copy_context()

    async with writing() as first:
        await (
            ConsentGrant.filter(id=grant.id)
            .using_db(first)
            .update(status=GrantStatus.REVOKED, revoked_at=now)
        )
        renewal = as_another_client(
            renew_consent(grant.id, person.id, PartnerType.BANK, 60, now, None), outside
        )
        await until_it_waits(first, renewal)

    with pytest.raises(ConsentError) as refused:
        await renewal
    assert type(refused.value) is GrantNotActive
    assert refused.value.code == "GRANT_NOT_ACTIVE"
    if first.capabilities.dialect == "postgres":
        assert str(refused.value) == "this consent ended in the meantime"
    else:
        assert str(refused.value) == "only an active consent can be renewed; grant a new one"
    stored = await ConsentGrant.get(id=grant.id)
    assert (stored.status, stored.expires_at) == (GrantStatus.REVOKED, now + timedelta(days=30))
    assert await AccessLogEntry.all().count() == logged
