"""A STANDARD assessment syncs linked data older than 24 hours through the provider first."""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest
from assessment_support import asking, granted, request
from starlette.applications import Starlette

from consent.catalog import PartnerType
from consent_support import Actors
from domain.clock import utc_now
from domain.models import LinkedAccount
from linking_support import link_account


@pytest.fixture
def app(linking_app: Starlette) -> Starlette:
    return linking_app


async def test_data_older_than_a_day_is_synced_and_fresh_data_is_left(
    actors: Actors, client: httpx.AsyncClient
) -> None:
    bank = await actors.partner(PartnerType.BANK)
    person = await actors.person()
    await link_account(person, client, "sandbox-social", "grade_b")
    await link_account(person, client, "sandbox-ecommerce", "grade_b")
    day_old = utc_now() - timedelta(hours=25)
    fresh = utc_now() - timedelta(hours=23)
    await LinkedAccount.filter(person_id=person.person.id, provider="sandbox-social").update(
        last_synced_at=day_old
    )
    await LinkedAccount.filter(person_id=person.person.id, provider="sandbox-ecommerce").update(
        last_synced_at=fresh
    )
    subject = await granted(bank, person, ["CREDIT_ASSESSMENT"])

    answer = await request(bank, **asking(subject))

    assert answer["assessment"]["status"] == "COMPLETED"
    social = await LinkedAccount.get(person_id=person.person.id, provider="sandbox-social")
    ecommerce = await LinkedAccount.get(person_id=person.person.id, provider="sandbox-ecommerce")
    assert social.last_synced_at is not None
    assert social.last_synced_at > fresh
    assert ecommerce.last_synced_at == fresh
