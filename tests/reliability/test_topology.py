"""deploy/compose.yaml's topology on loopback, with real processes: its migrate command once,
then its two API servers and its worker, each started with the command and environment the
compose file gives it (the image's environment under it, as in the container test), pointing
at one PostgreSQL and one redis-server that the test starts. There is no Docker engine here, so
only the addresses change: loopback ports instead of the compose network's names.

A partner's reads spread over both servers keep one log with one sequence (one tree, one signed
checkpoint both servers serve, `audit verify` passing) and one set of rate-limit counters (the
published limit is granted exactly once across both). The worker keeps the log's partitions.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import asyncpg
import httpx
import pytest
import yaml
from tortoise import Tortoise

from conftest import create_postgres_database
from consent.catalog import Access, PartnerType, Purpose, Scope
from consent.lifecycle import Terms, grant_consent, subject_id_for
from consent.log_partitions import MONTHS_AHEAD, month_of, next_month, partition_name
from consent_support import person_with_full_file
from container_image import dockerfile_environment
from domain.clock import utc_now
from domain.partners import register_partner
from domain.secret_keys import SecretKeys
from domain.signing_keys import Keyring
from live_server import READ, REPOSITORY, free_port, new_request_id
from postgres_cluster import PostgresCluster
from redis_server import RedisServer, RedisUnavailable, start_redis
from server.database import connection_name, tortoise_config

COMPOSE = yaml.safe_load((REPOSITORY / "deploy" / "compose.yaml").read_text())
LIMIT = 9
PEOPLE = 3
SECRET_KEY = "topology-test-secret-key-" + "k" * 32


@dataclass
class Service:
    name: str
    process: subprocess.Popen[bytes]
    log: Path
    port: int | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


def _argv(name: str) -> list[str]:
    command = COMPOSE["services"][name]["command"]
    assert command[0] == "scorelink"
    return [sys.executable, "-m", "server.cli", *command[1:]]


def _environ(name: str, database_url: str, redis_url: str, model_dir: Path) -> dict[str, str]:
    compose = COMPOSE["services"][name]["environment"]
    # The compose network's addresses become loopback ones; every other variable is as given.
    on_loopback = {
        "DATABASE_URL": database_url,
        "SCORELINK_SECRET_KEY": SECRET_KEY,
        "SCORELINK_RATE_LIMIT_STORAGE": redis_url,
    }
    assert set(on_loopback) <= set(compose), "the compose file sets these for every process"
    issuer = compose["SCORELINK_ISSUER"].split(":-", 1)[1].rstrip("}")
    return {
        "PATH": os.environ["PATH"],
        **dockerfile_environment(),
        **{variable: on_loopback.get(variable, value) for variable, value in compose.items()},
        "SCORELINK_ISSUER": issuer,
        "SCORELINK_HOST": "127.0.0.1",
        "SCORELINK_MODEL_DIR": str(model_dir),
        "SCORELINK_PARTNER_RATE_LIMIT": str(LIMIT),
    }


def _start(name: str, environ: dict[str, str], log: Path, port: int | None = None) -> Service:
    if port is not None:
        environ = {**environ, "SCORELINK_PORT": str(port)}
    with log.open("ab") as out:
        process = subprocess.Popen(  # noqa: S603 - the compose file's own command
            _argv(name), env=environ, cwd=REPOSITORY, stdout=out, stderr=subprocess.STDOUT
        )
    return Service(name, process, log, port)


def _wait_ready(service: Service, within: float = 120) -> None:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        assert service.process.poll() is None, service.log.read_text()[-3000:]
        try:
            if httpx.get(f"{service.base_url}/readyz", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    raise AssertionError(f"{service.name} not ready in {within} s:\n{service.log.read_text()}")


@dataclass
class Topology:
    database_url: str
    api: list[Service]
    worker: Service
    client_id: str
    client_secret: str
    subjects: list[str]
    operator: dict[str, str]  # the environment an operator's `scorelink` command gets


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


async def _seed(database_url: str) -> tuple[str, str, list[str]]:
    """A bank and people who granted it GRADE and SCORE; the service's first signing key."""
    await Tortoise.init(config=tortoise_config(database_url))
    try:
        await Keyring(SecretKeys(SECRET_KEY)).ensure_signing_key()
        bank = await register_partner("Topology Bank", PartnerType.BANK)
        subjects = []
        for _ in range(PEOPLE):
            person = await person_with_full_file()
            terms = Terms(
                [Scope.GRADE, Scope.SCORE], Purpose.CREDIT_APPLICATION, 90, Access.ONGOING
            )
            await grant_consent(
                person.id, bank.partner.id, PartnerType.BANK, terms, utc_now(), None
            )
            subjects.append(
                await subject_id_for(
                    bank.partner.id,
                    person.id,
                    Tortoise.get_connection(connection_name(database_url)),
                )
            )
    finally:
        await Tortoise.close_connections()
    return bank.partner.client_id, bank.client_secret, subjects


@pytest.fixture
def topology(
    postgres_cluster: PostgresCluster, redis: RedisServer, trained_model_dir: Path, tmp_path: Path
) -> Iterator[Topology]:
    database_url = create_postgres_database(postgres_cluster)
    environ = {
        name: _environ(name, database_url, redis.url, trained_model_dir)
        for name in ("migrate", "api-1", "api-2", "worker")
    }
    migrate = subprocess.run(  # noqa: S603 - the compose file's own command
        _argv("migrate"), env=environ["migrate"], cwd=REPOSITORY, capture_output=True, timeout=300
    )
    assert migrate.returncode == 0, migrate.stderr
    client_id, client_secret, subjects = asyncio.run(_seed(database_url))
    # The worker's first sweep makes the furthest month again: drop it to see the worker work.
    furthest = month_of(utc_now())
    for _ in range(MONTHS_AHEAD):
        furthest = next_month(furthest)
    asyncio.run(_execute(database_url, f"DROP TABLE {partition_name(furthest)}"))

    api = [
        _start(name, environ[name], tmp_path / f"{name}.log", free_port())
        for name in ("api-1", "api-2")
    ]
    worker = _start("worker", environ["worker"], tmp_path / "worker.log")
    try:
        for service in api:
            _wait_ready(service)
        yield Topology(
            database_url, api, worker, client_id, client_secret, subjects, environ["api-1"]
        )
    finally:
        for service in (*api, worker):
            service.process.terminate()
        for service in (*api, worker):
            assert service.process.wait(60) == 0, service.log.read_text()[-3000:]


async def _execute(database_url: str, statement: str) -> None:
    connection = await asyncpg.connect(database_url)
    try:
        await connection.execute(statement)
    finally:
        await connection.close()


async def _fetch(database_url: str, query: str) -> list[asyncpg.Record]:
    connection = await asyncpg.connect(database_url)
    try:
        return list(await connection.fetch(query))
    finally:
        await connection.close()


async def test_reads_over_both_servers_keep_one_log_one_sequence_and_one_limit(
    topology: Topology,
) -> None:
    first = topology.api[0]
    async with httpx.AsyncClient(timeout=30) as client:
        issued = await client.post(
            f"{first.base_url}/oauth/token",
            data={"grant_type": "client_credentials"},
            auth=(topology.client_id, topology.client_secret),
        )
        issued.raise_for_status()
        headers = {"authorization": f"Bearer {issued.json()['access_token']}"}

        served: dict[str, str] = {}  # request id -> the server that answered it
        statuses = []
        for n in range(3 * LIMIT):
            server = topology.api[n % 2]  # a token from one server is good at the other
            request_id = new_request_id()
            response = await client.post(
                f"{server.base_url}/graphql",
                json={"query": READ, "variables": {"id": topology.subjects[n % PEOPLE]}},
                headers={**headers, "x-request-id": request_id},
            )
            statuses.append(response.status_code)
            if response.status_code == 200:
                assert response.json()["data"]["partner"]["subject"]["grade"] is not None
                served[request_id] = server.name

    # One set of counters: the published limit, granted once across both servers.
    assert sorted(set(statuses)) == [200, 429]
    assert statuses.count(200) == LIMIT
    assert set(served.values()) == {"api-1", "api-2"}

    # One log, one sequence: every served read has exactly one entry, ids from one sequence.
    reads = await _fetch(
        topology.database_url,
        "SELECT id, request_id FROM access_log_entry WHERE event = 'READ' ORDER BY id",
    )
    assert sorted(row["request_id"] for row in reads) == sorted(served)
    everything = await _fetch(topology.database_url, "SELECT id FROM access_log_entry ORDER BY id")
    total = len(everything)  # the reads and the grants' entries

    # One tree: both servers come to serve the same signed checkpoint over every entry.
    async def checkpoints() -> list[dict[str, object]]:
        async with httpx.AsyncClient(timeout=10) as client:
            answers = [await client.get(f"{s.base_url}/log/checkpoint") for s in topology.api]
        return [a.json() for a in answers if a.status_code == 200]

    deadline = time.monotonic() + 60
    while True:
        heads = await checkpoints()
        if len(heads) == 2 and all(h["tree_size"] == total for h in heads):
            break
        assert time.monotonic() < deadline, heads
        await asyncio.sleep(0.3)
    assert heads[0] == heads[1]
    positions = await _fetch(
        topology.database_url, "SELECT log_index FROM access_log_entry ORDER BY log_index"
    )
    assert [row["log_index"] for row in positions] == list(range(total))
    verified = await asyncio.to_thread(
        subprocess.run,
        [sys.executable, "-m", "server.cli", "audit", "verify"],
        env=topology.operator,
        cwd=REPOSITORY,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert verified.returncode == 0, verified.stderr + verified.stdout
    assert f"access log verified: {total} entries" in verified.stdout

    # The worker's sweep made the furthest month's partition again.
    furthest = month_of(utc_now())
    for _ in range(MONTHS_AHEAD):
        furthest = next_month(furthest)
    deadline = time.monotonic() + 60
    while not await _fetch(
        topology.database_url,
        f"SELECT 1 FROM pg_class WHERE relname = '{partition_name(furthest)}'",  # noqa: S608
    ):
        assert topology.worker.process.poll() is None, topology.worker.log.read_text()
        assert time.monotonic() < deadline, topology.worker.log.read_text()
        await asyncio.sleep(0.3)
