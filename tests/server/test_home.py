"""`GET /`: the sandbox sends a newcomer to the playground; production says what it is, briefly,
and serves no playground or sign-in helper at all."""

from __future__ import annotations

import tomllib
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import httpx
import pytest

from server.app import create_app
from server.settings import Settings

VERSION = tomllib.loads((Path(__file__).resolve().parents[2] / "pyproject.toml").read_text())[
    "project"
]["version"]


@pytest.fixture
async def production(
    database_url: str, make_settings: Callable[..., Settings]
) -> AsyncIterator[httpx.AsyncClient]:
    settings = make_settings(
        database_url, SCORELINK_ENV="production", SCORELINK_SECRET_KEY="p" * 40
    )
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1:8000") as c:
            yield c


async def test_the_sandbox_root_redirects_to_the_playground(client: httpx.AsyncClient) -> None:
    response = await client.get("/")
    assert response.status_code == 307
    assert response.headers["location"] == "/graphql"


async def test_the_sandbox_lists_who_the_playground_can_sign_in_as(
    client: httpx.AsyncClient,
) -> None:
    # Nothing seeded: no demo partner to offer, personas are always listed.
    listed = (await client.get("/playground/identities")).json()
    assert listed["partners"] == []
    assert listed["personaCode"] == "246810"
    assert "+8613800000007" in {p["phone"] for p in listed["personas"]}


async def test_production_describes_itself_and_has_no_playground(
    production: httpx.AsyncClient,
) -> None:
    response = await production.get("/")
    assert response.status_code == 200
    assert response.json() == {
        "service": "ScoreLink",
        "description": "Consumer-permissioned credit scores over GraphQL.",
        "version": VERSION,
        "graphql": "/graphql",
        "oauth": "/.well-known/oauth-authorization-server",
        "health": "/healthz",
        "ready": "/readyz",
    }
    for path in ("/playground/identities", "/static/playground-tabs.json"):
        assert (await production.get(path)).status_code == 404, path
