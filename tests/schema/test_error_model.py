"""One error model: expected errors carry a code and pass; anything else is masked and logged."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import pytest

import domain.consents
from consent.catalog import PartnerType
from consent_support import Actors
from domain.principal import Principal
from server.app import create_app
from server.settings import Settings

STRONG_KEY = "p" * 40
SECRET_LOOKING = "SELECT client_secret_hash FROM partner WHERE password='hunter2'"
INTROSPECTION = "{ __schema { queryType { name } } }"


async def test_an_unexpected_error_is_masked_with_the_request_id_and_logged_with_its_stack(
    actors: Actors, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    bank = await actors.partner(PartnerType.BANK)

    async def broken_profile(principal: Principal) -> None:
        raise RuntimeError(SECRET_LOOKING)

    monkeypatch.setattr(domain.consents, "partner_profile", broken_profile)
    with caplog.at_level(logging.ERROR, logger="scorelink.graphql"):
        response = await bank.client.post(
            "/graphql",
            json={"query": "{ apiVersion partner { profile { name } } }"},
            headers={"authorization": f"Bearer {bank.token}"},
        )

    request_id = response.headers["x-request-id"]
    assert response.status_code == 200
    body = response.json()
    assert body["data"]["partner"] is None
    assert body["data"]["apiVersion"], "the rest of the query still answers"
    assert body["errors"] == [
        {
            "message": "Unexpected error",
            "locations": [{"line": 1, "column": 24}],
            "path": ["partner", "profile"],
            "extensions": {"code": "UNEXPECTED_ERROR", "requestId": request_id},
        }
    ]
    for leak in ("SELECT", "hunter2", "Traceback", "RuntimeError", "broken_profile"):
        assert leak not in response.text

    [record] = [r for r in caplog.records if r.name == "scorelink.graphql"]
    assert record.levelno == logging.ERROR
    assert record.getMessage() == "unexpected error resolving partner.profile"
    assert record.request_id == request_id  # type: ignore[attr-defined]
    assert record.exc_info is not None
    assert isinstance(record.exc_info[1], RuntimeError)
    assert "broken_profile" in caplog.text, "the stack is in the log"


async def test_expected_errors_keep_their_message_and_code(
    actors: Actors, caplog: pytest.LogCaptureFixture
) -> None:
    bank = await actors.partner(PartnerType.BANK)
    with caplog.at_level(logging.INFO):
        body = await bank.graphql(
            '{ partner { subject(id: "nobody") { id } } me { id } nope: apiVersion }'
        )
    assert {e["extensions"]["code"]: e["message"] for e in body["errors"]} == {
        "NOT_FOUND": "no subject with this id",
        "PERSON_ONLY": "only the person themselves can see this",
    }
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR], "answers, not incidents"


def production(database_url: str, make_settings: Callable[..., Settings], **environ: str) -> Any:
    return create_app(
        make_settings(
            database_url, SCORELINK_ENV="production", SCORELINK_SECRET_KEY=STRONG_KEY, **environ
        )
    )


@pytest.fixture
def settings(database_url: str, make_settings: Callable[..., Settings]) -> Settings:
    """This module's `app` and `actors` run as production, introspection open to partners."""
    return make_settings(
        database_url,
        SCORELINK_ENV="production",
        SCORELINK_SECRET_KEY=STRONG_KEY,
        SCORELINK_INTROSPECTION="partners",
    )


async def test_production_gives_no_field_suggestions(client: httpx.AsyncClient) -> None:
    response = await client.post("/graphql", json={"query": "{ apiVersio partnr { id } }"})
    messages = [e["message"] for e in response.json()["errors"]]
    assert messages == [
        "Cannot query field 'apiVersio' on type 'Query'.",
        "Cannot query field 'partnr' on type 'Query'.",
    ]
    variable = await client.post(
        "/graphql",
        json={
            "query": "query ($t: PartnerType) { partners(type: $t) { id } }",
            "variables": {"t": "BANKS"},
        },
    )
    [error] = variable.json()["errors"]
    assert "Did you mean" not in error["message"]
    assert error["extensions"]["code"] == "BAD_USER_INPUT"


async def test_production_opens_introspection_only_to_partners_when_configured(
    actors: Actors, client: httpx.AsyncClient
) -> None:
    bank = await actors.partner(PartnerType.BANK)
    person = await actors.person()
    assert (await bank.graphql(INTROSPECTION))["data"] == {
        "__schema": {"queryType": {"name": "Query"}}
    }
    for refused in (
        (await client.post("/graphql", json={"query": INTROSPECTION})).json(),
        await person.graphql(INTROSPECTION),
    ):
        assert refused["data"] is None
        assert {e["extensions"]["code"] for e in refused["errors"]} == {"GRAPHQL_VALIDATION_FAILED"}
        assert refused["errors"][0]["message"].startswith("GraphQL introspection has been disabled")
    typename = await client.post("/graphql", json={"query": "{ __typename }"})
    assert typename.json() == {"data": {"__typename": "Query"}}


@pytest.fixture
async def closed_client(
    database_url: str, make_settings: Callable[..., Settings]
) -> AsyncIterator[httpx.AsyncClient]:
    app = production(database_url, make_settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1:8000") as c:
            yield c


async def test_production_default_refuses_introspection_and_serves_no_graphiql(
    closed_client: httpx.AsyncClient,
) -> None:
    response = await closed_client.post("/graphql", json={"query": INTROSPECTION})
    assert response.json()["data"] is None
    page = await closed_client.get("/graphql", headers={"accept": "text/html"})
    assert page.status_code != 200
    assert "GraphiQL" not in page.text
    assert (await closed_client.get("/static/playground.js")).status_code == 404
