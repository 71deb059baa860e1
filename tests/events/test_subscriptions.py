"""GraphQL subscriptions over graphql-transport-ws on a real `scorelink serve`."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
import websockets
from tortoise.context import TortoiseContext
from websockets.asyncio.client import ClientConnection
from websockets.typing import Subprotocol

from domain.clock import utc_now
from domain.models import Person
from domain.secret_keys import SecretKeys
from domain.sessions import Sessions
from domain.signing_keys import Keyring
from domain.tokens import LEEWAY_SECONDS, PERSON_TOKEN_LIFETIME, TokenService
from live_server import (
    READ,
    REVOKE,
    LiveServer,
    World,
    grant,
    graphql,
    new_request_id,
    partner_token,
    seed_world,
    subject_ids,
)
from server.database import tortoise_config
from server.settings import DEFAULT_ISSUER, SANDBOX_SECRET_KEY

PARTNER_EVENTS = (
    'subscription { partnerEvents(types: ["consent.revoked"]) '
    "{ id type subjectId objectId sequence } }"
)
MY_EVENTS = "subscription { myEvents { type objectId sequence subjectId } }"


@pytest.fixture
async def served(
    trained_model_dir: Path, tmp_path: Path
) -> AsyncIterator[tuple[LiveServer, World]]:
    database_url = f"sqlite://{tmp_path / 'subscriptions.sqlite3'}"
    world = await seed_world(database_url, people=1)
    server = LiveServer(
        database_url,
        trained_model_dir,
        tmp_path / "server.log",
        # seed_world signs its sessions for the default issuer, not the one serve --port picks.
        environ={"SCORELINK_ISSUER": DEFAULT_ISSUER},
    )
    server.start()
    yield server, world
    server.kill()


async def _subscribe(
    server: LiveServer, token: str, query: str, header: str = "authorization"
) -> ClientConnection:
    socket = await websockets.connect(
        f"ws://127.0.0.1:{server.port}/graphql", subprotocols=[Subprotocol("graphql-transport-ws")]
    )
    await socket.send(
        orjson.dumps({"type": "connection_init", "payload": {header: f"Bearer {token}"}}).decode()
    )
    assert (await _next(socket))["type"] == "connection_ack"
    await socket.send(
        orjson.dumps({"id": "1", "type": "subscribe", "payload": {"query": query}}).decode()
    )
    return socket


async def _next(socket: ClientConnection) -> dict[str, Any]:
    frame = await asyncio.wait_for(socket.recv(), 15)
    # Text frames: browsers' graphql-ws client (GraphiQL's) cannot read binary ones.
    assert isinstance(frame, str), frame
    message: dict[str, Any] = orjson.loads(frame)
    return message


async def test_a_partner_hears_a_revocation_and_a_revoked_token_ends_it(
    served: tuple[LiveServer, World],
) -> None:
    server, world = served
    person = world.people[0]
    async with httpx.AsyncClient(base_url=server.base_url, timeout=30) as client:
        token = await partner_token(client, world)
        socket = await _subscribe(server, token, PARTNER_EVENTS)
        try:
            consent_id = await grant(client, world, person)
            await graphql(client, person.token, REVOKE, new_request_id(), id=consent_id)
            [subject_id] = await subject_ids(client, token)
            message = await _next(socket)
            assert message["type"] == "next"
            event = message["payload"]["data"]["partnerEvents"]
            assert (event["type"], event["objectId"], event["subjectId"], event["sequence"]) == (
                "consent.revoked",
                consent_id,
                subject_id,
                1,
            )
            revoked = await client.post(
                "/oauth/revoke",
                data={"token": token},
                auth=(world.client_id, world.client_secret),
            )
            assert revoked.status_code == 200
            assert await _next(socket) == {"id": "1", "type": "complete"}
        finally:
            await socket.close()


async def test_a_person_hears_that_a_partner_read_them(served: tuple[LiveServer, World]) -> None:
    server, world = served
    person = world.people[0]
    async with httpx.AsyncClient(base_url=server.base_url, timeout=30) as client:
        # As GraphiQL sends its Headers pane: a header name's case does not matter.
        socket = await _subscribe(server, person.token, MY_EVENTS, header="Authorization")
        try:
            await grant(client, world, person)
            token = await partner_token(client, world)
            [subject_id] = await subject_ids(client, token)
            await graphql(client, token, READ, new_request_id(), id=subject_id)
            event = (await _next(socket))["payload"]["data"]["myEvents"]
            assert (event["type"], event["objectId"], event["subjectId"]) == (
                "access.recorded",
                str(world.partner_id),
                None,
            )
        finally:
            await socket.close()


async def test_a_token_that_expires_ends_the_subscription(
    served: tuple[LiveServer, World],
) -> None:
    """Signed as if long ago, so it expires (clock-skew leeway included) 4 s after subscribing."""
    server, world = served
    async with TortoiseContext() as orm:
        await orm.init(config=tortoise_config(server.database_url))
        back_dated = utc_now() - PERSON_TOKEN_LIFETIME - timedelta(seconds=LEEWAY_SECONDS - 4)
        tokens = TokenService(
            Keyring(SecretKeys(SANDBOX_SECRET_KEY)), DEFAULT_ISSUER, clock=lambda: back_dated
        )
        person = await Person.get(id=world.people[0].person_id)
        session = await Sessions(tokens).start(person)
    socket = await _subscribe(server, session.access_token.token, MY_EVENTS)
    try:
        assert await _next(socket) == {"id": "1", "type": "complete"}
    finally:
        await socket.close()


async def test_a_bad_token_is_refused_at_connection_init(served: tuple[LiveServer, World]) -> None:
    server, _ = served
    async with websockets.connect(
        f"ws://127.0.0.1:{server.port}/graphql", subprotocols=[Subprotocol("graphql-transport-ws")]
    ) as socket:
        await socket.send(
            orjson.dumps(
                {"type": "connection_init", "payload": {"authorization": "Bearer x"}}
            ).decode()
        )
        with pytest.raises(websockets.ConnectionClosed) as closed:
            await asyncio.wait_for(socket.recv(), 15)
    assert closed.value.rcvd is not None
    assert closed.value.rcvd.code == 4403


async def test_a_person_token_cannot_follow_partner_events(
    served: tuple[LiveServer, World],
) -> None:
    server, world = served
    socket = await _subscribe(server, world.people[0].token, PARTNER_EVENTS)
    try:
        message = await _next(socket)
    finally:
        await socket.close()
    # An execution error arrives as a result with errors, as graphql-transport-ws specifies.
    assert message["type"] == "next"
    [error] = message["payload"]["errors"]
    assert error["extensions"]["code"] == "PARTNER_ONLY"
