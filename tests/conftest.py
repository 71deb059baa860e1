"""Shared fixtures: a clean database per test, on SQLite and on a real PostgreSQL 15 server.

Every test that asks for `database_url` runs twice, once per backend. Migrations run once per
session into a template; each test gets a copy (a file copy for SQLite, `CREATE DATABASE ...
TEMPLATE` for PostgreSQL), so tests start clean without paying for migrations each time.
"""

from __future__ import annotations

import asyncio
import itertools
import os
import shutil
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path

import asyncpg
import httpx
import hypothesis
import pytest
from starlette.applications import Starlette
from tortoise.context import TortoiseContext

from domain.sms import OutboxSmsSender
from postgres_cluster import ClusterUnavailable, PostgresCluster, start_cluster
from server.app import create_app
from server.database import apply_migrations, tortoise_config
from server.settings import Settings, load_settings
from session_state import SessionStateWatch

pytest_plugins = [
    "login_support",
    "consent_support",
    "linking_support",
    "scoring_support",
    "sandbox_support",
]

# Hypothesis's deadline and too_slow check are timing assertions, which do not belong in tests
# on shared, loaded machines: a property fails on what it finds, never on how long it took.
hypothesis.settings.register_profile(
    "scorelink", deadline=None, suppress_health_check=[hypothesis.HealthCheck.too_slow]
)
hypothesis.settings.load_profile("scorelink")

BACKENDS = ("sqlite", "postgres")
_database_numbers = itertools.count()


def _in_ci() -> bool:
    return os.environ.get("CI", "").lower() == "true"


@pytest.fixture(scope="session")
def postgres_cluster() -> Iterator[PostgresCluster]:
    try:
        cluster = start_cluster()
    except ClusterUnavailable as exc:
        if _in_ci():
            pytest.fail(f"CI requires PostgreSQL and it did not start: {exc}")
        pytest.skip(f"PostgreSQL tests skipped: {exc}")
    yield cluster
    cluster.stop()


async def _admin(cluster: PostgresCluster, statement: str) -> None:
    connection = await asyncpg.connect(cluster.admin_url)
    try:
        await connection.execute(statement)
    finally:
        await connection.close()


def create_postgres_database(cluster: PostgresCluster, template: str | None = None) -> str:
    name = f"scorelink_test_{next(_database_numbers)}"
    suffix = f" TEMPLATE {template}" if template else ""
    asyncio.run(_admin(cluster, f"CREATE DATABASE {name}{suffix}"))
    return cluster.url(name)


@pytest.fixture(scope="session")
def postgres_template(postgres_cluster: PostgresCluster) -> str:
    asyncio.run(_admin(postgres_cluster, "CREATE DATABASE scorelink_template"))
    asyncio.run(apply_migrations(postgres_cluster.url("scorelink_template")))
    return "scorelink_template"


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "scorelink.sqlite3"
    asyncio.run(apply_migrations(f"sqlite://{path}"))
    return path


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def database_url(backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A migrated, empty database of the test's backend, private to this test."""
    if backend == "sqlite":
        template: Path = request.getfixturevalue("sqlite_template")
        path = tmp_path / "scorelink.sqlite3"
        shutil.copyfile(template, path)
        return f"sqlite://{path}"
    cluster: PostgresCluster = request.getfixturevalue("postgres_cluster")
    return create_postgres_database(cluster, request.getfixturevalue("postgres_template"))


@pytest.fixture
def empty_database_url(backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A database with no tables at all, for testing migrations themselves."""
    if backend == "sqlite":
        return f"sqlite://{tmp_path / 'empty.sqlite3'}"
    return create_postgres_database(request.getfixturevalue("postgres_cluster"))


@pytest.fixture
def make_settings(trained_model_dir: Path) -> Callable[..., Settings]:
    def make(database_url: str, **environ: str) -> Settings:
        return load_settings(
            {
                "DATABASE_URL": database_url,
                # Every app loads a model at start; one trained per session, not per test.
                "SCORELINK_MODEL_DIR": str(trained_model_dir),
                **environ,
            }
        )

    return make


@pytest.fixture
def settings(database_url: str, make_settings: Callable[..., Settings]) -> Settings:
    return make_settings(database_url)


@pytest.fixture
async def orm(database_url: str) -> AsyncIterator[TortoiseContext]:
    """The ORM open on the test's database, for tests of domain use cases."""
    async with TortoiseContext() as context:
        await context.init(config=tortoise_config(database_url))
        yield context


@pytest.fixture
def sms_outbox() -> OutboxSmsSender:
    """Where the app's text messages go in tests, so a test can read the code it was sent."""
    return OutboxSmsSender()


@pytest.fixture
def app(settings: Settings, sms_outbox: OutboxSmsSender) -> Starlette:
    return create_app(settings, sms=sms_outbox)


@pytest.fixture
async def client(
    app: Starlette, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client talking to the app in-process, with the app's lifespan running.

    On PostgreSQL every connection the app checks in is looked at for session state left
    behind (tests/session_state.py); the test fails if any was.
    """
    watch = SessionStateWatch()
    monkeypatch.setattr("server.database.check_in_as_is", watch)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1:8000") as c:
            yield c
    assert watch.left_behind == [], "a request left session state on its pooled connection"
