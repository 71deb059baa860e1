"""One connection per request, without starving the pool: many more requests at once than the
pool has connections, each doing several queries outside and inside transactions, all finish;
a request waiting for a connection gets one in turn; nothing a request runs needs the reset
query the API servers' pool skips at check-in.

(The first version of the per-request connection kept a request's connection while the ORM's
default path took a second one from the pool: at more concurrent requests than pooled
connections every request held one and waited for another, forever.)
"""

from __future__ import annotations

import asyncio
import re
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import asyncpg
import pytest
from tortoise.context import TortoiseContext

from consent.catalog import PartnerType
from consent_support import Actors
from live_server import GRANT
from postgres_cluster import PostgresCluster
from service_packages import SERVICE_PACKAGES
from storage.request_connection import request_client, request_connection

POOL_SIZE = 5  # Tortoise's pool holds at most 5 connections per process
ARRIVALS = 60 * POOL_SIZE
REPOSITORY = Path(__file__).resolve().parents[2]
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


@pytest.mark.parametrize("backend", ["postgres"], indirect=True)
async def test_requests_get_connections_in_the_order_they_asked(
    orm: TortoiseContext, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Requests keep arriving while every pooled connection is busy (a loaded server). Each must
    # get a connection in its turn, not after whoever arrives as a connection comes back:
    # asyncpg's queue let those go first, and the request woken for the connection waited
    # again at the back of the line (under wrk a few reads waited over a second and some
    # clients timed out).
    asked: list[int] = []
    granted: list[int] = []
    numbers: dict[asyncio.Task[None], int] = {}
    checkout = asyncpg.pool.Pool._acquire

    async def noting_checkout(pool: asyncpg.Pool, *args: Any, **kwargs: Any) -> Any:
        connection = await checkout(pool, *args, **kwargs)
        number = numbers.get(asyncio.current_task())  # type: ignore[arg-type]
        if number is not None:
            granted.append(number)
        return connection

    async def one_request(number: int) -> None:
        numbers[asyncio.current_task()] = number  # type: ignore[index]
        async with request_connection(), request_client() as client:
            asked.append(number)
            await client.execute_query("SELECT 1")

    async def warm() -> None:
        async with request_connection(), request_client() as client:
            await client.execute_query("SELECT pg_sleep(0.1)")

    # Every pooled connection opened first: a connection still being opened is not a turn.
    await asyncio.gather(*(warm() for _ in range(POOL_SIZE)))
    monkeypatch.setattr(asyncpg.pool.Pool, "_acquire", noting_checkout)
    requests = []
    for number in range(ARRIVALS):
        requests.append(asyncio.create_task(one_request(number)))
        await asyncio.sleep(0)  # one arrival per turn of the event loop
    async with asyncio.timeout(120):
        await asyncio.gather(*requests)
    overtaken_by = [
        sum(1 for later in granted[: granted.index(number)] if asked.index(later) > position)
        for position, number in enumerate(asked)
    ]
    assert max(overtaken_by) == 0, overtaken_by


def test_no_request_leaves_session_state_for_a_check_in_to_undo() -> None:
    # The API servers check connections in without asyncpg's reset query
    # (storage/request_connection.check_in_as_is). The conftest's `client` watches every
    # check-in of the in-process suite; this looks for the statements that would need the reset
    # anywhere in the service's code, including paths the suite does not run.
    leaves_state = re.compile(
        r"pg_(try_)?advisory_lock(_shared)?\s*\("  # session-level locks (xact ones end at COMMIT)
        r"|\bLISTEN\b|set_config\s*\(|\bWITH\s+HOLD\b|\bDECLARE\s+\w+\s+(BINARY\s+)?"
        r"(INSENSITIVE\s+)?(NO\s+)?(SCROLL\s+)?CURSOR\b"
        r"|[\"']\s*SET\s+(SESSION\s+)?(?!LOCAL\b)\w+\s*(=|TO\b)"  # a statement that is a SET
        r"|[\"']\s*(CREATE\s+TEMP|PREPARE\s)"  # SQL keywords are written in capitals here
    )
    found = [
        f"{path.relative_to(REPOSITORY)}:{number}: {line.strip()}"
        for package in SERVICE_PACKAGES
        for path in sorted((REPOSITORY / package).rglob("*.py"))
        for number, line in enumerate(path.read_text().splitlines(), start=1)
        if leaves_state.search(line)
    ]
    assert found == []
