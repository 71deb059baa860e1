"""Each limit on one GraphQL operation, exceeded over HTTP: a documented error, never a 500."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import pytest

from consent.catalog import PartnerType
from consent_support import Actors
from server.app import create_app
from server.settings import Settings

SUBJECT_PAGE = "{ partner { subjects(first: %d) { edges { node { grade score } } } } }"


async def post(client: httpx.AsyncClient, query: str, **extra: Any) -> dict[str, Any]:
    response = await client.post("/graphql", json={"query": query, **extra})
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def messages(body: dict[str, Any]) -> list[str]:
    return [error["message"] for error in body.get("errors", [])]


def codes(body: dict[str, Any]) -> list[str]:
    return [error["extensions"]["code"] for error in body.get("errors", [])]


@pytest.fixture
async def tight_client(
    database_url: str, make_settings: Callable[..., Settings]
) -> AsyncIterator[httpx.AsyncClient]:
    """The app with small limits, to show each one is read from its variable."""
    app = create_app(
        make_settings(
            database_url,
            SCORELINK_MAX_QUERY_DEPTH="3",
            SCORELINK_MAX_ALIASES="2",
            SCORELINK_MAX_TOKENS="100",
            SCORELINK_MAX_QUERY_COST="50",
        )
    )
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1:8000") as c:
            yield c


async def test_an_operation_deeper_than_10_is_refused_before_it_runs(
    client: httpx.AsyncClient,
) -> None:
    # Depth counts levels of selection below the root field; no real path is this deep, so the
    # fields are unknown too, and the depth error comes alongside theirs.
    twelve_levels = "{ partner " + "{ subjects " * 11 + "}" * 12
    body = await post(client, twelve_levels)
    assert body["data"] is None
    assert "'anonymous' exceeds maximum operation depth of 10" in messages(body)
    assert set(codes(body)) == {"GRAPHQL_VALIDATION_FAILED"}


async def test_the_depth_limit_is_configurable(tight_client: httpx.AsyncClient) -> None:
    body = await post(tight_client, "query Deep " + SUBJECT_PAGE % 1)
    assert body["data"] is None
    assert set(messages(body)) == {"'Deep' exceeds maximum operation depth of 3"}
    assert set(codes(body)) == {"GRAPHQL_VALIDATION_FAILED"}


async def test_more_than_15_aliases_are_refused(client: httpx.AsyncClient) -> None:
    fifteen = "{ " + " ".join(f"v{i}: apiVersion" for i in range(15)) + " }"
    assert (await post(client, fifteen))["data"]["v14"]
    sixteen = "{ " + " ".join(f"v{i}: apiVersion" for i in range(16)) + " }"
    body = await post(client, sixteen)
    assert body["data"] is None
    assert messages(body) == ["16 aliases found. Allowed: 15"]
    assert codes(body) == ["GRAPHQL_VALIDATION_FAILED"]


async def test_the_alias_limit_is_configurable(tight_client: httpx.AsyncClient) -> None:
    body = await post(tight_client, "{ a: apiVersion b: apiVersion c: apiVersion }")
    assert messages(body) == ["3 aliases found. Allowed: 2"]


def consent_request_with(scopes: int) -> str:
    """A mutation of 19 + `scopes` tokens (commas are not tokens)."""
    listed = " ".join(["GRADE"] * scopes)
    return (
        'mutation { requestConsent(phone: "+8613900000001", scopes: [' + listed + "], "
        "purpose: CREDIT_APPLICATION) { __typename } }"
    )


async def test_a_document_over_2000_tokens_is_refused_unparsed(client: httpx.AsyncClient) -> None:
    at_limit = await post(client, consent_request_with(1981))
    assert at_limit["data"] == {"requestConsent": {"__typename": "ConsentRefused"}}
    body = await post(client, consent_request_with(1982))
    assert body["data"] is None
    assert messages(body) == [
        "Syntax Error: Document contains more than 2000 tokens. Parsing aborted."
    ]
    assert codes(body) == ["GRAPHQL_PARSE_FAILED"]


async def test_the_token_limit_is_configurable(tight_client: httpx.AsyncClient) -> None:
    body = await post(tight_client, "{ " + "__typename " * 99 + "}")
    assert codes(body) == ["GRAPHQL_PARSE_FAILED"]
    assert "more than 100 tokens" in messages(body)[0]


@pytest.mark.parametrize(
    "query",
    [
        "{ partner { subjects(first: 101) { edges { cursor } } } }",
        "{ partner { consentRequests(first: 101) { id } } }",
        "{ partner { grants(first: 500) { id } } }",
        "{ partner { accessLog(first: 0) { id } } }",
        "{ me { accessLog(first: 101) { id } } }",
    ],
)
async def test_every_page_size_is_1_to_100(actors: Actors, query: str) -> None:
    bank = await actors.partner(PartnerType.BANK)
    body = await bank.graphql(query)
    assert body["data"] is None
    assert codes(body) == ["BAD_USER_INPUT"]
    assert messages(body)[0].startswith("first must be 1 to 100 (got ")


async def test_a_page_size_in_a_variable_is_checked_too(actors: Actors) -> None:
    bank = await actors.partner(PartnerType.BANK)
    query = "query Page($n: Int!) { partner { grants(first: $n) { id } } }"
    body = await bank.graphql(query, n=1000)
    assert messages(body) == ["first must be 1 to 100 (got 1000 at partner.grants)"]
    assert (await bank.graphql(query, n=100)) == {"data": {"partner": {"grants": []}}}


async def test_a_query_over_the_cost_budget_names_its_cost_and_the_budget(
    actors: Actors,
) -> None:
    bank = await actors.partner(PartnerType.BANK)
    one_page = await bank.graphql(SUBJECT_PAGE % 100)
    assert one_page == {"data": {"partner": {"subjects": {"edges": []}}}}

    # Aliases multiply pages: 10 pages of 100 subjects with 6 fields per subject.
    ten_pages = (
        "{ partner { "
        + " ".join(
            f"p{i}: subjects(first: 100) {{ edges {{ cursor node {{ id grade score }} }} }}"
            for i in range(10)
        )
        + " } }"
    )
    body = await bank.graphql(ten_pages)
    assert body["data"] is None
    [error] = body["errors"]
    assert error["extensions"] == {"code": "QUERY_TOO_EXPENSIVE", "cost": 6011, "budget": 5000}
    assert error["message"].startswith("Query cost 6011 exceeds the budget of 5000 per request.")


async def test_the_cost_budget_is_configurable(tight_client: httpx.AsyncClient) -> None:
    within = await post(tight_client, "{ partner { grants(first: 48) { id } } }")
    assert codes(within) == ["PARTNER_ONLY"], "within budget: it ran, and needed a partner"
    over = await post(tight_client, "{ partner { grants(first: 49) { id } } }")
    assert over["errors"][0]["extensions"] == {
        "code": "QUERY_TOO_EXPENSIVE",
        "cost": 51,
        "budget": 50,
    }
