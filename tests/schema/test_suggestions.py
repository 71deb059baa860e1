"""Production leaves "Did you mean ...?" out of every error; the sandbox keeps it for engineers.

Each operation below draws a suggestion from graphql-core in one place: field names, argument
names, enum literals, variable values. The switch is graphql-core's own, so a change in its
wording cannot let a suggestion through.
"""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest

from domain.sms import OutboxSmsSender
from server.app import create_app
from server.settings import Settings

STRONG_KEY = "a-production-secret-key-that-is-long-enough-0123"
TYPOS: list[tuple[str, dict[str, object]]] = [
    ("{ apiVersio }", {}),
    ("{ partners(typ: BANK) { id } }", {}),
    ("{ partners(type: BANKS) { id } }", {}),
    ("query ($t: PartnerType) { partners(type: $t) { id } }", {"t": "BANKS"}),
]


async def _messages(settings: Settings, query: str, variables: dict[str, object]) -> list[str]:
    app = create_app(settings, sms=OutboxSmsSender())
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as client:
            response = await client.post("/graphql", json={"query": query, "variables": variables})
    return [e["message"] for e in response.json()["errors"]]


@pytest.mark.parametrize(("query", "variables"), TYPOS)
async def test_production_suggests_nothing(
    database_url: str,
    make_settings: Callable[..., Settings],
    query: str,
    variables: dict[str, object],
) -> None:
    production = make_settings(
        database_url, SCORELINK_ENV="production", SCORELINK_SECRET_KEY=STRONG_KEY
    )
    sandbox = make_settings(database_url, SCORELINK_SECRET_KEY=STRONG_KEY)

    hidden = await _messages(production, query, variables)
    shown = await _messages(sandbox, query, variables)

    assert hidden
    assert not any("Did you mean" in m for m in hidden), hidden
    # The same typo in the sandbox does draw a suggestion: the test can tell the difference.
    assert any("Did you mean" in m for m in shown), shown
