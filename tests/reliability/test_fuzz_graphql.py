"""schemathesis fuzzes /graphql from the committed SDL, as a partner and as a person: no answer
is a 5xx and no error is an unmasked one.

`make test` runs a few examples per field; `make fuzz` many more (SCORELINK_FUZZ_EXAMPLES).
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, settings

from live_server import REPOSITORY, LiveServer, World, grant, partner_token, seed_world

EXAMPLES = int(os.environ.get("SCORELINK_FUZZ_EXAMPLES", "3"))
schema = schemathesis.graphql.from_path(REPOSITORY / "schema.graphql")
# What a masked error may say: the one message of the error model, and nothing else.
MASKED_MESSAGES = {"Unexpected error", "Service unavailable; retry shortly"}


@pytest.fixture(scope="module")
def live(
    trained_model_dir: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[LiveServer, dict[str, str]]]:
    root = tmp_path_factory.mktemp("fuzz")
    url = f"sqlite://{root / 'fuzz.sqlite3'}"
    world: World = asyncio.run(seed_world(url, people=1))
    server = LiveServer(url, trained_model_dir, root / "server.log")
    server.start()

    async def tokens() -> dict[str, str]:
        async with httpx.AsyncClient(base_url=server.base_url, timeout=30) as client:
            await grant(client, world, world.people[0])
            return {"partner": await partner_token(client, world), "person": world.people[0].token}

    try:
        yield server, asyncio.run(tokens())
    finally:
        server.kill()


def _check(response: Any) -> None:
    assert response.status_code < 500, response.text
    if response.status_code >= 400:
        # Refusals outside GraphQL execution (limits, rate) use the JSON error shape.
        assert set(response.json()["error"]) >= {"code", "message"}, response.text
        return
    for error in response.json().get("errors") or []:
        code = (error.get("extensions") or {}).get("code")
        assert code, f"an error without a code: {error}"
        assert code != "UNEXPECTED_ERROR", f"an unexpected error: {error}"
        if code == "SERVICE_UNAVAILABLE":
            assert error["message"] in MASKED_MESSAGES, error


@pytest.mark.parametrize("caller", ["partner", "person"])
@schema.parametrize()
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=True,
)
def test_no_fuzzed_operation_gets_a_5xx_or_an_unmasked_error(
    case: Any, caller: str, live: tuple[LiveServer, dict[str, str]]
) -> None:
    server, tokens = live
    response = case.call(
        base_url=f"{server.base_url}/graphql",
        headers={"authorization": f"Bearer {tokens[caller]}"},
        timeout=30,
    )
    _check(response)
