"""`scorelink serve` on SQLite delivers webhooks by itself: `make run` needs no worker."""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx

from live_server import (
    REVOKE,
    LiveServer,
    grant,
    graphql,
    new_request_id,
    partner_token,
    payload,
    seed_world,
)
from server.settings import DEFAULT_ISSUER
from webhook_support import Receiver, eventually

CREATE = """
mutation Create($url: String!) {
  createWebhookEndpoint(url: $url, eventTypes: ["consent.revoked"]) {
    ... on WebhookEndpointWithSecret { secret }
  }
}"""


async def test_serve_on_sqlite_delivers_a_revocation(
    trained_model_dir: Path, tmp_path: Path
) -> None:
    database_url = f"sqlite://{tmp_path / 'serve.sqlite3'}"
    world = await seed_world(database_url, people=1)
    server = LiveServer(
        database_url,
        trained_model_dir,
        tmp_path / "server.log",
        # seed_world signs its sessions for the default issuer, not the one serve --port picks.
        environ={"SCORELINK_ISSUER": DEFAULT_ISSUER},
    )
    server.start()
    try:
        async with (
            Receiver().running() as receiver,
            httpx.AsyncClient(base_url=server.base_url, timeout=30) as client,
        ):
            token = await partner_token(client, world)
            created = payload(
                await graphql(client, token, CREATE, new_request_id(), url=receiver.url),
                "createWebhookEndpoint",
            )
            assert created is not None
            receiver.secrets.append(created["secret"])
            person = world.people[0]
            consent_id = await grant(client, world, person)
            await graphql(client, person.token, REVOKE, new_request_id(), id=consent_id)

            async def arrived() -> bool:
                return len(receiver.verified()) == 1

            await eventually(arrived, within=30)
            [call] = receiver.verified()
            assert call.payload["type"] == "consent.revoked"
            assert call.payload["data"]["object_id"] == consent_id
    finally:
        assert await asyncio.to_thread(server.terminate) == 0
