"""CORS per partner: only origins the token's partner registered (and the person app's own
origin, for people) get CORS headers; never `*`, never credentials."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest
from starlette.applications import Starlette

from consent.catalog import PartnerType
from consent_support import Actors
from domain.partner_origins import InvalidOrigin, parse_origin
from server.app import create_app
from server.settings import Settings

FRONTEND = "https://loans.bank.example"
PERSON_APP = "https://app.scorelink.example"
ALLOW = """mutation ($origin: String!) {
  allowBrowserOrigin(origin: $origin) {
    __typename ... on BrowserOrigins { origins } ... on OriginRefused { code message }
  }
}"""
REMOVE = """mutation ($origin: String!) {
  removeBrowserOrigin(origin: $origin) {
    __typename ... on BrowserOrigins { origins } ... on OriginRefused { code }
  }
}"""
WHO = "{ partner { profile { name } } }"


@pytest.fixture
def app(settings: Settings, make_settings: Callable[..., Settings]) -> Starlette:
    return create_app(make_settings(settings.database_url, SCORELINK_PERSON_APP_ORIGINS=PERSON_APP))


@pytest.mark.parametrize(
    ("raw", "origin"),
    [
        ("https://loans.bank.example", "https://loans.bank.example"),
        ("HTTPS://Loans.Bank.Example/", "https://loans.bank.example"),
        ("https://loans.bank.example:443", "https://loans.bank.example"),
        ("http://127.0.0.1:5173", "http://127.0.0.1:5173"),
        ("http://[::1]:3000", "http://[::1]:3000"),
    ],
)
def test_origins_are_kept_as_browsers_send_them(raw: str, origin: str) -> None:
    assert parse_origin(raw) == origin


@pytest.mark.parametrize(
    "raw",
    [
        "*",
        "https://*.bank.example",
        "loans.bank.example",
        "ftp://loans.bank.example",
        "https://loans.bank.example/app",
        "https://user:pw@loans.bank.example",
        "https://loans.bank.example?x=1",
        "https://loans.bank.example:99999",
        "null",
        "",
    ],
)
def test_anything_but_one_origin_is_refused(raw: str) -> None:
    with pytest.raises(InvalidOrigin):
        parse_origin(raw)


async def _preflight(client: httpx.AsyncClient, origin: str) -> httpx.Response:
    return await client.options(
        "/graphql",
        headers={
            "origin": origin,
            "access-control-request-method": "POST",
            "access-control-request-headers": "authorization, content-type",
        },
    )


async def _post(client: httpx.AsyncClient, origin: str, token: str | None) -> httpx.Response:
    headers = {"origin": origin} | ({"authorization": f"Bearer {token}"} if token else {})
    return await client.post("/graphql", json={"query": WHO}, headers=headers)


async def test_only_the_registering_partner_gets_cors_headers(
    client: httpx.AsyncClient, actors: Actors
) -> None:
    bank = await actors.partner(PartnerType.BANK)
    insurer = await actors.partner(PartnerType.INSURER)

    refused = await _preflight(client, FRONTEND)
    assert refused.status_code == 403
    assert "access-control-allow-origin" not in refused.headers

    answer = await bank.graphql(ALLOW, origin=FRONTEND + "/")
    assert answer["data"]["allowBrowserOrigin"] == {
        "__typename": "BrowserOrigins",
        "origins": [FRONTEND],
    }

    preflight = await _preflight(client, FRONTEND)
    assert preflight.status_code == 204
    assert preflight.headers["access-control-allow-origin"] == FRONTEND
    assert "authorization" in preflight.headers["access-control-allow-headers"]
    assert "access-control-allow-credentials" not in preflight.headers

    served = await _post(client, FRONTEND, bank.token)
    assert served.headers["access-control-allow-origin"] == FRONTEND
    assert "x-request-id" in served.headers["access-control-expose-headers"]
    assert "access-control-allow-credentials" not in served.headers
    assert "Origin" in served.headers["vary"]

    # Same origin, another partner's token, no token, an unregistered origin: no CORS.
    for response in (
        await _post(client, FRONTEND, insurer.token),
        await _post(client, FRONTEND, None),
        await _post(client, "https://evil.example", bank.token),
    ):
        assert "access-control-allow-origin" not in response.headers

    removed = await bank.graphql(REMOVE, origin=FRONTEND)
    assert removed["data"]["removeBrowserOrigin"]["origins"] == []
    assert (await _preflight(client, FRONTEND)).status_code == 403
    assert "access-control-allow-origin" not in (await _post(client, FRONTEND, bank.token)).headers


async def test_the_person_app_origin_is_allowed_for_people_only(
    client: httpx.AsyncClient, actors: Actors
) -> None:
    bank = await actors.partner(PartnerType.BANK)
    person = await actors.person()
    assert (await _preflight(client, PERSON_APP)).headers["access-control-allow-origin"] == (
        PERSON_APP
    )
    for token in (None, person.token):
        response = await _post(client, PERSON_APP, token)
        assert response.headers["access-control-allow-origin"] == PERSON_APP
    assert (
        "access-control-allow-origin" not in (await _post(client, PERSON_APP, bank.token)).headers
    )


@pytest.mark.parametrize(
    ("origin", "code"),
    [("*", "INVALID_ORIGIN"), ("https://bank.example/path", "INVALID_ORIGIN")],
)
async def test_bad_origins_are_refused_with_a_typed_payload(
    actors: Actors, origin: str, code: str
) -> None:
    bank = await actors.partner(PartnerType.BANK)
    answer = await bank.graphql(ALLOW, origin=origin)
    assert answer["data"]["allowBrowserOrigin"]["code"] == code
    assert (await bank.graphql(REMOVE, origin=FRONTEND))["data"]["removeBrowserOrigin"][
        "origins"
    ] == []


async def test_only_partners_register_origins(actors: Actors) -> None:
    person = await actors.person()
    answer = await person.graphql(ALLOW, origin=FRONTEND)
    assert answer["data"]["allowBrowserOrigin"]["code"] == "PARTNER_ONLY"


async def test_a_suspended_partners_origins_stop_working(
    client: httpx.AsyncClient, actors: Actors
) -> None:
    bank = await actors.partner(PartnerType.BANK)
    await bank.graphql(ALLOW, origin=FRONTEND)
    bank.partner.status = bank.partner.status.SUSPENDED
    await bank.partner.save()
    assert (await _preflight(client, FRONTEND)).status_code == 403
