"""One connection per request, without starving the pool: many more requests at once than the
pool has connections, each doing several queries outside and inside transactions, all finish.

(The first version of the per-request connection kept a request's connection while the ORM's
default path took a second one from the pool: at more concurrent requests than pooled
connections every request held one and waited for another, forever.)
"""

from __future__ import annotations

import asyncio

import pytest

from consent.catalog import PartnerType
from consent_support import Actors
from live_server import GRANT

CONCURRENT = 20  # Tortoise's pool holds at most 5 connections per process


@pytest.mark.parametrize("backend", ["postgres"], indirect=True)
async def test_more_requests_at_once_than_pooled_connections_all_finish(actors: Actors) -> None:
    bank = await actors.partner(PartnerType.BANK)
    people = [await actors.person() for _ in range(CONCURRENT)]

    async def grant_then_look(person_index: int) -> str:
        person = people[person_index]
        granted = await person.graphql(GRANT, partner=str(bank.partner.id))
        mine = await person.graphql("{ me { consents { id status } } }")
        assert granted["data"]["grantConsent"]["__typename"] == "ConsentGranted"
        return str(mine["data"]["me"]["consents"][0]["status"])

    statuses = await asyncio.wait_for(
        asyncio.gather(*(grant_then_look(n) for n in range(CONCURRENT))), timeout=120
    )
    assert statuses == ["ACTIVE"] * CONCURRENT
