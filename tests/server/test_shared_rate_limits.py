"""Rate limits shared through Redis: several workers or hosts together grant exactly the
published limit; with Redis gone the service keeps serving, per process, and says so.

Redis is a real redis-server from Debian's package (tests/redis_server.py), never a fake.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest

from conftest import create_postgres_database
from domain.principal import Anonymous
from live_server import LiveServer, partner_token, seed_world
from postgres_cluster import PostgresCluster
from redis_server import RedisServer, RedisUnavailable, free_port, start_redis
from server import rate_limits
from server.rate_limits import PER_PROCESS_WARNING, RateLimiter

LIMIT = 6


@pytest.fixture
def redis() -> Iterator[RedisServer]:
    try:
        server = start_redis()
    except RedisUnavailable as exc:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"CI requires redis-server and it did not start: {exc}")
        pytest.skip(f"Redis tests skipped: {exc}")
    yield server
    server.stop()


@pytest.fixture
async def limiters() -> AsyncIterator[list[RateLimiter]]:
    made: list[RateLimiter] = []
    yield made
    for limiter in made:
        await limiter.aclose()


def _limiter(made: list[RateLimiter], storage: str) -> RateLimiter:
    limiter = RateLimiter(
        partner_default=LIMIT, person_default=LIMIT, anonymous_default=LIMIT, storage=storage
    )
    made.append(limiter)
    return limiter


async def _granted(limiters: list[RateLimiter], requests: int) -> int:
    granted = 0
    for n in range(requests):
        decision = await limiters[n % len(limiters)].check(Anonymous(), "203.0.113.7")
        granted += decision.allowed
    return granted


async def test_two_workers_sharing_redis_grant_exactly_the_limit(
    redis: RedisServer, limiters: list[RateLimiter]
) -> None:
    workers = [_limiter(limiters, redis.url), _limiter(limiters, redis.url)]
    assert await _granted(workers, 4 * LIMIT) == LIMIT
    assert all(worker.warning is None for worker in workers)


async def test_two_workers_counting_in_memory_grant_twice_the_limit(
    limiters: list[RateLimiter],
) -> None:
    # What shared storage fixes: each process counts alone.
    workers = [_limiter(limiters, "memory://"), _limiter(limiters, "memory://")]
    assert await _granted(workers, 4 * LIMIT) == 2 * LIMIT


async def test_redis_stopped_under_load_falls_back_per_process_then_recovers(
    redis: RedisServer,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    limiters: list[RateLimiter],
) -> None:
    # Retry Redis on every request rather than after the production delay.
    monkeypatch.setattr(rate_limits, "SHARED_STORAGE_RETRY_SECONDS", 0.0)
    worker = _limiter(limiters, redis.url)
    assert await _granted([worker], 2) == 2
    redis.stop()
    # Counted locally from here: the process's own fresh window.
    assert await _granted([worker], 2 * LIMIT) == LIMIT
    assert worker.warning == PER_PROCESS_WARNING
    assert PER_PROCESS_WARNING in caplog.text
    assert redis.url.split("//")[1] not in caplog.text

    redis.start()  # empty: its counters restart from zero
    assert await _granted([worker], 2 * LIMIT) == LIMIT
    assert worker.warning is None


async def test_an_unreachable_redis_from_the_start_never_fails_a_request(
    limiters: list[RateLimiter],
) -> None:
    worker = _limiter(limiters, f"redis://127.0.0.1:{free_port()}/0")
    assert await _granted([worker], 2 * LIMIT) == LIMIT
    assert worker.warning == PER_PROCESS_WARNING


def _count(statuses: list[int]) -> tuple[int, int]:
    assert set(statuses) <= {200, 429}, statuses
    return statuses.count(200), statuses.count(429)


@pytest.fixture
def two_hosts(
    postgres_cluster: PostgresCluster, redis: RedisServer, trained_model_dir: Path, tmp_path: Path
) -> Iterator[tuple[LiveServer, LiveServer, str]]:
    url = create_postgres_database(postgres_cluster)
    world = asyncio.run(seed_world(url, people=0))
    environ = {
        "SCORELINK_PARTNER_RATE_LIMIT": str(LIMIT),
        "SCORELINK_RATE_LIMIT_STORAGE": redis.url,
        # One service behind two hosts: one token issuer for both.
        "SCORELINK_ISSUER": "http://scorelink.test",
    }
    hosts = tuple(
        LiveServer(url, trained_model_dir, tmp_path / f"server{n}.log", environ=environ)
        for n in range(2)
    )
    for host in hosts:
        host.start()

    async def token() -> str:
        async with httpx.AsyncClient(base_url=hosts[0].base_url) as client:
            return await partner_token(client, world)

    yield hosts[0], hosts[1], asyncio.run(token())
    for host in hosts:
        host.kill()


async def test_two_servers_over_http_grant_exactly_the_published_limit_and_survive_redis_loss(
    two_hosts: tuple[LiveServer, LiveServer, str], redis: RedisServer
) -> None:
    first, second, token = two_hosts
    headers = {"authorization": f"Bearer {token}"}

    async def send(rounds: int) -> list[int]:
        statuses = []
        async with httpx.AsyncClient(headers=headers, timeout=30) as client:
            for _ in range(rounds):
                for host in (first, second):
                    response = await client.post(
                        f"{host.base_url}/graphql", json={"query": "{ apiVersion }"}
                    )
                    statuses.append(response.status_code)
        return statuses

    assert _count(await send(2 * LIMIT)) == (LIMIT, 3 * LIMIT)
    redis.stop()
    granted, refused = _count(await send(LIMIT))  # never a 5xx
    assert granted + refused == 2 * LIMIT
    async with httpx.AsyncClient() as client:
        ready = await client.get(f"{first.base_url}/readyz")
    assert ready.status_code == 200
    assert ready.json()["warnings"] == [PER_PROCESS_WARNING]
