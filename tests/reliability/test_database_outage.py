"""PostgreSQL stops under load: readiness says so, requests fail fast with a 503 the client can
retry, never a 500 or a hang, and service resumes by itself when the database is back."""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import orjson
import pytest

from live_server import READ, LiveServer, grant, graphql, new_request_id, partner_token, seed_world
from live_server import subject_ids as list_subject_ids
from postgres_cluster import ClusterUnavailable, PostgresCluster, start_cluster
from server.database import tortoise_config
from server.settings import ConfigError, Settings

DB_TIMEOUT_SECONDS = 2
# A request during the outage may wait for the connect timeout, never much longer.
FAIL_FAST_SECONDS = DB_TIMEOUT_SECONDS + 1.5
OUTAGE_SECONDS = float(os.environ.get("SCORELINK_OUTAGE_SECONDS", "2"))


def test_the_database_timeout_reaches_asyncpg(make_settings: Callable[..., Settings]) -> None:
    settings = make_settings("postgres://u@127.0.0.1:5432/db", SCORELINK_DB_TIMEOUT="3")
    assert settings.database_timeout == 3
    [url] = tortoise_config(settings.database_url, settings.database_timeout)[
        "connections"
    ].values()
    assert url == "postgres://u@127.0.0.1:5432/db?timeout=3&command_timeout=3"
    with pytest.raises(ConfigError, match="SCORELINK_DB_TIMEOUT"):
        make_settings("sqlite://var/x.db", SCORELINK_DB_TIMEOUT="0")


@pytest.fixture
def cluster() -> Iterator[PostgresCluster]:
    try:
        own = start_cluster()
    except ClusterUnavailable as exc:
        pytest.skip(str(exc))
    yield own
    own.stop()


@pytest.fixture
def server(
    cluster: PostgresCluster, trained_model_dir: Path, tmp_path: Path
) -> Iterator[LiveServer]:
    live = LiveServer(
        cluster.url("postgres"),
        trained_model_dir,
        tmp_path / "server.log",
        environ={"SCORELINK_DB_TIMEOUT": str(DB_TIMEOUT_SECONDS)},
    )
    yield live
    live.kill()
    # Shown by pytest only when the test failed: what the server saw is the first clue.
    if live.log_path.exists():
        print(f"server log (last lines):\n{live.log_path.read_text()[-8000:]}")


async def test_an_outage_is_reported_refused_fast_with_503_and_recovered_from(
    cluster: PostgresCluster, server: LiveServer
) -> None:
    world = await seed_world(server.database_url, people=3)
    server.start()
    statuses: list[int] = []
    async with httpx.AsyncClient(base_url=server.base_url, timeout=30) as client:
        for party in world.people:
            await grant(client, world, party)
        token = await partner_token(client, world)
        subjects = await list_subject_ids(client, token)
        stop = asyncio.Event()

        async def steady_reads() -> None:
            # Background load through the whole outage; every answer is recorded.
            while not stop.is_set():
                for subject_id in subjects:
                    started = time.monotonic()
                    response = await graphql(client, token, READ, new_request_id(), id=subject_id)
                    statuses.append(response.status_code)
                    assert time.monotonic() - started < FAIL_FAST_SECONDS, "a request hung"
                    if response.status_code != 200:
                        assert response.status_code == 503, response.text
                        error = response.json()["error"]
                        assert error["code"] == "service_unavailable", error
                        assert response.headers["retry-after"]
                    elif response.json().get("errors"):
                        # Lost between authentication and the read: masked, but saying so.
                        codes = {e["extensions"]["code"] for e in response.json()["errors"]}
                        assert codes == {"SERVICE_UNAVAILABLE"}, response.text
                await asyncio.sleep(0.05)

        load = asyncio.create_task(steady_reads())
        await asyncio.sleep(0.5)
        await asyncio.to_thread(cluster.stop_server, "fast")
        outage_started = time.monotonic()
        try:
            while time.monotonic() - outage_started < OUTAGE_SECONDS:
                started = time.monotonic()
                ready = await client.get("/readyz")
                assert time.monotonic() - started < FAIL_FAST_SECONDS
                assert ready.status_code == 503
                assert ready.json()["status"] == "unavailable"
                assert "database" in ready.json()["reason"]
                await asyncio.sleep(0.2)
            assert not load.done(), load
        finally:
            await asyncio.to_thread(cluster.start_server)
        recovered_at = time.monotonic()
        while (await client.get("/readyz")).status_code != 200:
            assert time.monotonic() - recovered_at < 20, "readiness did not come back"
            await asyncio.sleep(0.2)
        # Service resumes without a restart: the same process answers reads again.
        ok_before = statuses.count(200)
        deadline = time.monotonic() + 20
        while statuses.count(200) < ok_before + 3 * len(subjects):
            assert time.monotonic() < deadline, "reads did not resume"
            await asyncio.sleep(0.1)
        stop.set()
        await load
    assert 503 in statuses, "the load never saw the outage"
    assert 500 not in statuses
    assert server.process is not None
    assert server.process.poll() is None
    # An outage is expected operation: warnings (asyncpg's pool says it cannot reconnect), but
    # no error records, which is where unexpected failures and their stacks go.
    records = [orjson.loads(line) for line in server.log_path.read_text().splitlines()]
    errors = [r for r in records if r["level"] in ("ERROR", "CRITICAL")]
    assert not errors, errors[:3]
    assert any(r["message"].startswith("database unavailable") for r in records)
