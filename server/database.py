"""Database wiring: the Tortoise configuration, migrations, and the readiness probe."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import urlsplit

from starlette.types import ASGIApp, Receive, Scope, Send
from tortoise import Tortoise, connections
from tortoise.backends.base.config_generator import expand_db_url
from tortoise.context import TortoiseContext
from tortoise.migrations.api import migrate

from storage.request_connection import check_in_as_is, request_connection

if TYPE_CHECKING:
    from server.settings import Settings

APP_LABEL = "scorelink"
MODEL_MODULES = [
    "domain.models",
    "consent.models",
    "domain.assessment_models",
    "domain.event_models",
    "domain.staff_models",
    "domain.rights_models",
]
MIGRATIONS_MODULE = "migrations"
# How long /readyz and a request wait for the database before saying it is unavailable.
READY_TIMEOUT_SECONDS = 2.0
# SQLite: several uvicorn workers share one file; wait for a lock rather than fail at once.
SQLITE_BUSY_TIMEOUT_MS = 5000


def connection_name(database_url: str) -> str:
    """Name the connection after its backend.

    Tortoise caches compiled SQL per connection name; one name for both backends would let a
    process that talks to SQLite and then PostgreSQL (the test suite, the benchmarks) reuse
    SQLite's placeholders against PostgreSQL.
    """
    return "sqlite" if urlsplit(database_url).scheme == "sqlite" else "postgres"


def tortoise_config(
    database_url: str, timeout_seconds: int | None = None, *, serving: bool = False
) -> dict[str, Any]:
    """`timeout_seconds` bounds each PostgreSQL connect and statement (none: asyncpg's own).

    `serving`: the API server's pool, whose connections are checked in without asyncpg's reset
    query (storage/request_connection.check_in_as_is says why that is safe). Other processes
    (the worker, the CLI) keep asyncpg's reset.
    """
    name = connection_name(database_url)
    connection: str | dict[str, Any] = _connection_url(database_url, timeout_seconds)
    if serving and name == "postgres":
        connection = expand_db_url(str(connection))
        connection["credentials"]["reset"] = check_in_as_is
    return {
        "connections": {name: connection},
        "apps": {
            APP_LABEL: {
                "models": MODEL_MODULES,
                "migrations": MIGRATIONS_MODULE,
                "default_connection": name,
            }
        },
        "use_tz": True,
        "timezone": "UTC",
    }


def _connection_url(database_url: str, timeout_seconds: int | None = None) -> str:
    parts = urlsplit(database_url)
    if parts.scheme in ("postgres", "postgresql"):
        url = "postgres" + database_url.removeprefix(parts.scheme)
        if timeout_seconds is None:
            return url
        # asyncpg's connect timeout and per-statement timeout: a database that stops answering
        # fails the request after this long instead of holding it open.
        separator = "&" if "?" in url else "?"
        return f"{url}{separator}timeout={timeout_seconds}&command_timeout={timeout_seconds}"
    if parts.scheme == "sqlite":
        path = database_url.removeprefix("sqlite://").split("?", 1)[0]
        if path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        separator = "&" if "?" in database_url else "?"
        return f"{database_url}{separator}busy_timeout={SQLITE_BUSY_TIMEOUT_MS}"
    return database_url


T = TypeVar("T")


async def in_database(settings: Settings, work: Callable[[], Awaitable[T]]) -> T:
    """Run one use case with the ORM open on the configured database, then close it."""
    async with TortoiseContext() as orm:
        await orm.init(config=tortoise_config(settings.database_url))
        return await work()


def __getattr__(name: str) -> Any:
    # `tortoise makemigrations` reads `server.database.TORTOISE_ORM` ([tool.tortoise] in
    # pyproject.toml); computing it lazily keeps importing this module free of side effects.
    if name == "TORTOISE_ORM":
        from server.settings import load_settings

        return tortoise_config(load_settings().database_url)
    raise AttributeError(name)


async def apply_migrations(database_url: str) -> None:
    """Apply every pending migration; a database already up to date is left untouched."""
    try:
        await migrate(config=tortoise_config(database_url))
    finally:
        await Tortoise.close_connections()


async def database_answers(database_url: str) -> bool:
    """True when the database runs a trivial query within the readiness timeout."""
    try:
        async with asyncio.timeout(READY_TIMEOUT_SECONDS):
            await connections.get(connection_name(database_url)).execute_query("SELECT 1")
    except Exception:
        return False
    return True


class OneConnectionPerRequest:
    """ASGI middleware: an HTTP request's database work shares one pooled connection, checked
    out at its first query and in when it ends (storage/request_connection.py)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        async with request_connection():
            await self.app(scope, receive, send)
