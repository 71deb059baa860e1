"""Per-partner and per-person rate limits on /graphql, with RateLimit headers and 429s."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import httpx
import pytest
from starlette.applications import Starlette

from consent.catalog import PartnerType
from consent_support import Actor, Actors
from domain.partners import set_partner_rate_limit
from server.rate_limits import RateLimiter
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


@pytest.mark.parametrize("endpoint", ["/graphql", "/oauth/token"])
async def test_anonymous_callers_are_counted_per_client_address(
    app: Starlette, endpoint: str
) -> None:
    # The settings fixture sets no anonymous limit: the default, 60 a minute per address.
    async def client_at(address: str) -> httpx.AsyncClient:
        transport = httpx.ASGITransport(app=app, client=(address, 40000))
        return httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1:8000")

    async def call(client: httpx.AsyncClient) -> httpx.Response:
        if endpoint == "/graphql":
            return await client.post(endpoint, json=QUERY)
        return await client.post(endpoint, data={"grant_type": "client_credentials"})

    async with app.router.lifespan_context(app):
        sprayer = await client_at("203.0.113.7")
        answers = [await call(sprayer) for _ in range(61)]
        assert all(a.status_code != 429 for a in answers[:60])
        assert answers[60].status_code == 429
        assert answers[60].headers["retry-after"] == answers[60].headers["ratelimit-reset"]
        assert answers[59].headers["ratelimit-limit"] == "60"
        # Another client is not slowed down by the first one.
        other = await client_at("198.51.100.9")
        assert (await call(other)).status_code != 429
        await sprayer.aclose()
        await other.aclose()


async def test_the_window_resets() -> None:
    limiter = RateLimiter(
        partner_default=1, person_default=1, anonymous_default=2, window_seconds=1
    )
    first = [(await limiter.check_token_request("192.0.2.1")).allowed for _ in range(3)]
    assert first == [True, True, False]
    await asyncio.sleep(1.1)
    decision = await limiter.check_token_request("192.0.2.1")
    assert (decision.allowed, decision.remaining) == (True, 1)
