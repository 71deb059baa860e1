"""Both kinds of sign-in over real HTTP against `scorelink serve`: a test persona reads `me`,
a partner gets a client-credentials token and reads its profile."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from tortoise.context import TortoiseContext

from consent.catalog import PartnerType
from domain.login import SANDBOX_PERSONA_CODE
from domain.partners import RegisteredPartner, register_partner
from domain.sandbox_personas import TEST_PERSONAS
from live_server import LiveServer
from server.database import tortoise_config

PERSONA = TEST_PERSONAS[0].phone


@pytest.fixture
def sandbox_server(database_url: str, tmp_path: Path, trained_model_dir: Path) -> Iterator[str]:
    server = LiveServer(database_url, trained_model_dir, tmp_path / "server.log")
    server.start()
    yield server.base_url
    server.kill()


def _post(base: str, query: str, token: str | None = None) -> dict[str, Any]:
    headers = {"authorization": f"Bearer {token}"} if token else {}
    response = httpx.post(f"{base}/graphql", json={"query": query}, headers=headers, timeout=10)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def test_a_persona_signs_in_over_http_and_the_token_reads_me(sandbox_server: str) -> None:
    sent = _post(
        sandbox_server,
        f'mutation {{ requestLoginCode(phone: "{PERSONA}") {{ __typename }} }}',
    )
    assert sent == {"data": {"requestLoginCode": {"__typename": "LoginCodeSent"}}}

    verified = _post(
        sandbox_server,
        f'mutation {{ verifyLoginCode(phone: "{PERSONA}", code: "{SANDBOX_PERSONA_CODE}") {{'
        " __typename ... on SignedIn { accessToken tokenType person { id phone } } } }",
    )
    signed_in = verified["data"]["verifyLoginCode"]
    assert signed_in["__typename"] == "SignedIn"
    assert signed_in["tokenType"] == "Bearer"

    me = _post(sandbox_server, "{ me { id phone } }", token=signed_in["accessToken"])
    assert me == {"data": {"me": signed_in["person"]}}
    assert me["data"]["me"]["phone"] == PERSONA


def test_a_partner_gets_a_token_over_http_and_the_token_reads_its_profile(
    sandbox_server: str, database_url: str
) -> None:
    registered = asyncio.run(_register_partner(database_url))
    issued = httpx.post(
        f"{sandbox_server}/oauth/token",
        data={"grant_type": "client_credentials"},
        auth=(registered.partner.client_id, registered.client_secret),
        timeout=10,
    )
    assert issued.status_code == 200, issued.text
    token = issued.json()["access_token"]
    profile = _post(sandbox_server, "{ partner { profile { name type } } }", token=token)
    assert profile == {"data": {"partner": {"profile": {"name": "E2E Bank", "type": "BANK"}}}}
    refused = httpx.post(
        f"{sandbox_server}/graphql",
        json={"query": "{ me { id } }"},
        headers={"authorization": f"Bearer {token}x"},
        timeout=10,
    )
    assert refused.status_code == 401


async def _register_partner(database_url: str) -> RegisteredPartner:
    async with TortoiseContext() as orm:
        await orm.init(config=tortoise_config(database_url))
        return await register_partner("E2E Bank", PartnerType.BANK)
