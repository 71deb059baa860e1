"""Per-partner and per-person rate limits on /graphql, with RateLimit headers and 429s."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest

from consent.catalog import PartnerType
from consent_support import Actor, Actors
from domain.partners import set_partner_rate_limit
from server.rate_limits import FixedWindowCounter
from server.settings import Settings

QUERY = {"query": "{ apiVersion }"}


@pytest.fixture
def settings(database_url: str, make_settings: Callable[..., Settings]) -> Settings:
    return make_settings(
        database_url, SCORELINK_PARTNER_RATE_LIMIT="5", SCORELINK_PERSON_RATE_LIMIT="2"
    )


async def send(actor: Actor) -> httpx.Response:
    return await actor.client.post(
        "/graphql", json=QUERY, headers={"authorization": f"Bearer {actor.token}"}
    )


async def test_a_partner_past_its_own_limit_gets_429_with_retry_after(actors: Actors) -> None:
    bank = await actors.partner(PartnerType.BANK)
    await set_partner_rate_limit(bank.partner.client_id, 3)

    for remaining in ("2", "1", "0"):
        response = await send(bank)
        assert response.status_code == 200
        assert response.headers["ratelimit-limit"] == "3"
        assert response.headers["ratelimit-remaining"] == remaining
        assert 1 <= int(response.headers["ratelimit-reset"]) <= 60
    refused = await send(bank)
    assert refused.status_code == 429
    assert refused.json()["error"]["code"] == "rate_limited"
    assert refused.headers["ratelimit-remaining"] == "0"
    assert refused.headers["retry-after"] == refused.headers["ratelimit-reset"]

    other = await actors.partner(PartnerType.INSURER)
    response = await send(other)
    assert response.status_code == 200, "each partner has its own budget"
    assert response.headers["ratelimit-limit"] == "5", "the default from settings"


async def test_a_person_past_the_person_limit_gets_429(actors: Actors) -> None:
    person = await actors.person()
    assert [(await send(person)).status_code for _ in range(3)] == [200, 200, 429]


async def test_anonymous_requests_carry_no_rate_headers(client: httpx.AsyncClient) -> None:
    response = await client.post("/graphql", json=QUERY)
    assert response.status_code == 200
    assert "ratelimit-limit" not in response.headers


def test_the_window_resets_after_a_minute() -> None:
    now = [120.0]
    counter = FixedWindowCounter(clock=lambda: now[0])
    assert [counter.hit("k", 2).allowed for _ in range(3)] == [True, True, False]
    assert counter.hit("k", 2).reset_seconds == 60
    now[0] = 179.5
    assert counter.hit("k", 2).reset_seconds == 1
    now[0] = 180.0
    decision = counter.hit("k", 2)
    assert (decision.allowed, decision.remaining) == (True, 1)
