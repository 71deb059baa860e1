"""Hand-written SQL that runs on both backends: parameter markers and values as each expects.

Used only where the ORM is the cost on a hot path (each caller says so in a comment).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from tortoise.backends.base.client import BaseDBAsyncClient


def is_postgres(connection: BaseDBAsyncClient) -> bool:
    return connection.capabilities.dialect == "postgres"


def marker(connection: BaseDBAsyncClient, position: int) -> str:
    """The marker of the `position`-th parameter (1-based): `$1` for asyncpg, `?` for SQLite."""
    return f"${position}" if is_postgres(connection) else "?"


def markers(connection: BaseDBAsyncClient, first: int, count: int) -> str:
    """`count` comma-separated markers starting at parameter `first`, for `IN (...)`."""
    return ", ".join(marker(connection, first + n) for n in range(count))


def uuid_values(connection: BaseDBAsyncClient, ids: Sequence[uuid.UUID]) -> list[object]:
    """UUIDs as the backend stores them: native on PostgreSQL, text on SQLite (as Tortoise)."""
    return list(ids) if is_postgres(connection) else [str(i) for i in ids]
