"""PostgreSQL's goodbye on shutdown is an outage (503, retry), not a bug (500).

Shutting down, PostgreSQL sends a FATAL error to each idle connection, then closes it. asyncpg
takes the unsolicited message for a protocol error; a request that draws such a connection from
the pool before the close is processed failed with a 500 in a CI run of the outage test. Here the
server's message is fed to real connections deterministically, without waiting for the race.
"""

from __future__ import annotations

import asyncio
import struct
from collections.abc import AsyncIterator

import asyncpg
import pytest
from tortoise import connections

from consent.catalog import PartnerType
from consent_support import Actors
from domain.availability import is_database_unavailable
from postgres_cluster import PostgresCluster

PROFILE = "{ partner { profile { name } } }"


def fatal_admin_shutdown() -> bytes:
    """The ErrorResponse message PostgreSQL sends to its clients on a fast shutdown."""
    fields = (
        (b"S", "FATAL"),
        (b"V", "FATAL"),
        (b"C", "57P01"),
        (b"M", "terminating connection due to administrator command"),
    )
    body = b"".join(key + value.encode() + b"\0" for key, value in fields) + b"\0"
    return b"E" + struct.pack("!i", len(body) + 4) + body


@pytest.fixture
async def connection(postgres_cluster: PostgresCluster) -> AsyncIterator[asyncpg.Connection]:
    own = await asyncpg.connect(postgres_cluster.admin_url)
    yield own
    own.terminate()


async def test_a_connection_the_server_said_goodbye_on_is_an_outage(
    connection: asyncpg.Connection,
) -> None:
    await connection.fetchval("SELECT $1::int", 1)
    connection._protocol.data_received(fatal_admin_shutdown())
    with pytest.raises(asyncpg.exceptions.InternalClientError) as raised:
        await connection.fetchval("SELECT $1::int", 1)
    assert is_database_unavailable(raised.value)


async def test_two_queries_at_once_on_one_connection_stay_a_bug(
    connection: asyncpg.Connection,
) -> None:
    # The same family of asyncpg errors for our own misuse must keep its 500 and its stack.
    with pytest.raises(asyncpg.InterfaceError) as raised:
        await asyncio.gather(
            connection.fetchval("SELECT pg_sleep(0.2)"), connection.fetchval("SELECT 1")
        )
    assert not is_database_unavailable(raised.value)


@pytest.mark.parametrize("backend", ["postgres"], indirect=True)
async def test_a_request_on_a_connection_the_server_said_goodbye_on_gets_503(
    actors: Actors,
) -> None:
    partner = await actors.partner(PartnerType.BANK)
    assert (await partner.graphql(PROFILE))["data"]["partner"]["profile"]["name"]
    pool = connections.get("postgres")._pool
    idle = [holder._con for holder in pool._holders if holder._con is not None]
    assert idle, "the read left no pooled connection to break"
    for pooled in idle:
        pooled._protocol.data_received(fatal_admin_shutdown())

    refused = await partner.client.post(
        "/graphql",
        json={"query": PROFILE},
        headers={"authorization": f"Bearer {partner.token}"},
    )
    assert refused.status_code == 503, refused.text
    assert refused.json()["error"]["code"] == "service_unavailable"
    assert refused.headers["retry-after"]

    # The sockets close, as they do right after the goodbye; the pool reconnects by itself.
    for pooled in idle:
        pooled._transport.abort()
    await asyncio.sleep(0)
    assert (await partner.graphql(PROFILE))["data"]["partner"]["profile"]["name"]
