"""One connection per request, without starving the pool: many more requests at once than the
pool has connections, each doing several queries outside and inside transactions, all finish.

(The first version of the per-request connection kept a request's connection while the ORM's
default path took a second one from the pool: at more concurrent requests than pooled
connections every request held one and waited for another, forever.)
"""

from __future__ import annotations

import asyncio
import time
from concurrent.futures import ThreadPoolExecutor

import asyncpg
import pytest
from tortoise.context import TortoiseContext

from consent.catalog import PartnerType
from consent_support import Actors
from live_server import GRANT
from postgres_cluster import PostgresCluster
from storage.request_connection import request_client, request_connection

POOL_SIZE = 5  # Tortoise's pool holds at most 5 connections per process
CONCURRENT = 4 * POOL_SIZE


@pytest.mark.parametrize("backend", ["postgres"], indirect=True)
async def test_more_requests_at_once_than_pooled_connections_all_finish(actors: Actors) -> None:
    bank = await actors.partner(PartnerType.BANK)
    people = [await actors.person() for _ in range(CONCURRENT)]

    async def grant_then_look(person_index: int) -> str:
        person = people[person_index]
        granted = await person.graphql(GRANT, partner=str(bank.partner.id))
        mine = await person.graphql("{ me { consents { id status } } }")
        assert granted["data"]["grantConsent"]["__typename"] == "ConsentGranted"
        return str(mine["data"]["me"]["consents"][0]["status"])

    statuses = await asyncio.wait_for(
        asyncio.gather(*(grant_then_look(n) for n in range(CONCURRENT))), timeout=120
    )
    assert statuses == ["ACTIVE"] * CONCURRENT


@pytest.mark.parametrize("backend", ["postgres"], indirect=True)
async def test_a_connection_lost_before_it_is_given_back_fails_no_request(
    orm: TortoiseContext, postgres_cluster: PostgresCluster, caplog: pytest.LogCaptureFixture
) -> None:
    # PostgreSQL going away after a request's last query and before its connection is checked
    # in: asyncpg's check-in (a reset) fails. The response has gone out by then; raising would
    # make the server drop the keep-alive connection the client is about to reuse (seen as
    # "Server disconnected without sending a response" during an outage).
    async with request_client() as client:
        await client.execute_query("SELECT 1")  # the pool is made at the first query
    for _ in range(POOL_SIZE + 1):  # more than the pool holds: a lost one must not stay taken
        async with request_connection(), request_client() as client:
            [row] = await client.execute_query_dict("SELECT pg_backend_pid() AS pid")
            # Terminated while this event loop is blocked, so asyncpg cannot notice it before
            # the check-in tries to reset the connection.
            with ThreadPoolExecutor(1) as admin:
                admin.submit(asyncio.run, _terminate(postgres_cluster, row["pid"])).result()
            time.sleep(0.2)  # noqa: ASYNC251 - blocking on purpose, see above
    assert "returned to the pool" in caplog.text
    # The pool replaces the lost connection: the next request is served.
    async with asyncio.timeout(10), request_connection(), request_client() as client:
        assert await client.execute_query_dict("SELECT 1 AS one") == [{"one": 1}]


async def _terminate(cluster: PostgresCluster, pid: int) -> None:
    connection = await asyncpg.connect(cluster.admin_url)
    try:
        await connection.execute("SELECT pg_terminate_backend($1)", pid)
    finally:
        await connection.close()
