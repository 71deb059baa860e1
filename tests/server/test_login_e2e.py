"""Both kinds of sign-in over real HTTP against `scorelink serve`: a test persona reads `me`,
a partner gets a client-credentials token and reads its profile."""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from tortoise.context import TortoiseContext

from consent.catalog import PartnerType
from domain.login import SANDBOX_PERSONA_CODE
from domain.partners import RegisteredPartner, register_partner
from domain.sandbox import TEST_PERSONAS
from server.database import tortoise_config

PERSONA = TEST_PERSONAS[0].phone


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def sandbox_server(database_url: str, tmp_path: Path) -> Iterator[str]:
    port = _free_port()
    environ = {**os.environ, "DATABASE_URL": database_url, "SCORELINK_ENV": "sandbox"}
    process = subprocess.Popen(  # noqa: S603
        [sys.executable, "-m", "server.cli", "serve", "--host", "127.0.0.1", "--port", str(port)],
        env=environ,
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"server exited early: {process.communicate()[0]}")
        try:
            if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                break
        except httpx.TransportError:
            time.sleep(0.1)
    else:
        process.kill()
        pytest.fail(f"server did not come up within 60 s: {process.communicate()[0]}")
    yield base
    process.kill()
    process.communicate(timeout=10)


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
