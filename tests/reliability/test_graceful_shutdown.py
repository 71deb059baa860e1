"""SIGTERM while a request waits on the database: the request completes, the process exits 0."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import asyncpg
import httpx
import pytest

from conftest import create_postgres_database
from live_server import READ, LiveServer, grant, graphql, new_request_id, partner_token, seed_world
from live_server import subject_ids as list_subject_ids
from postgres_cluster import PostgresCluster


@pytest.fixture
def server(
    postgres_cluster: PostgresCluster, trained_model_dir: Path, tmp_path: Path
) -> Iterator[LiveServer]:
    url = create_postgres_database(postgres_cluster)
    live = LiveServer(url, trained_model_dir, tmp_path / "server.log")
    yield live
    live.kill()


async def test_sigterm_lets_a_request_blocked_on_a_database_lock_finish_then_exits_0(
    server: LiveServer,
) -> None:
    world = await seed_world(server.database_url, people=1)
    server.start()
    async with httpx.AsyncClient(base_url=server.base_url, timeout=30) as client:
        await grant(client, world, world.people[0])
        token = await partner_token(client, world)
        [subject_id] = await list_subject_ids(client, token)

        # Every read appends to the access log; a lock on its table held from outside makes
        # the read wait inside its transaction, a genuinely slow request.
        blocker = await asyncpg.connect(server.database_url)
        # Statistics views are a snapshot per transaction: watch from outside the blocker's.
        watcher = await asyncpg.connect(server.database_url)
        try:
            await blocker.execute("BEGIN; LOCK TABLE access_log_entry IN SHARE MODE")
            request_id = new_request_id()
            read = asyncio.create_task(graphql(client, token, READ, request_id, id=subject_id))
            waiting = (
                "SELECT count(*) FROM pg_stat_activity "
                "WHERE wait_event_type = 'Lock' AND query LIKE 'INSERT%access_log_entry%'"
            )
            for _ in range(100):
                if await watcher.fetchval(waiting):
                    break
                await asyncio.sleep(0.05)
            else:
                pytest.fail("the read never waited on the lock")
            assert server.process is not None
            exit_status = asyncio.create_task(asyncio.to_thread(server.terminate, 60))
            await asyncio.sleep(1.0)
            assert not read.done(), "the in-flight request was cut off"
            assert server.process.poll() is None, "the server exited with a request in flight"
        finally:
            await blocker.execute("ROLLBACK")
            await blocker.close()
            await watcher.close()
        response = await read
        assert await exit_status == 0
    assert response.status_code == 200, response.text
    assert response.json()["data"]["partner"]["subject"]["grade"] == "B"
    assert response.headers["x-request-id"] == request_id
