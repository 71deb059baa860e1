"""Transactions that will write, safe when several processes share one SQLite file.

SQLite starts a transaction with a shared read lock and upgrades it at the first write; when
another process holds the write lock then, SQLite answers "database is locked" at once rather
than wait (waiting could deadlock). Taking the write lock with the transaction's first
statement makes the busy timeout apply instead, so concurrent writers queue. PostgreSQL needs
nothing here: its row locks already queue writers. On PostgreSQL the transaction runs on the
request's own connection when there is one (`storage.request_connection`).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import TypeVar

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.exceptions import IntegrityError, OperationalError
from tortoise.transactions import in_transaction

T = TypeVar("T")
# Appends from two processes can race for the access log's chain head (SQLite), and two
# requests for one unique key race to insert it; the loser retries on what the winner wrote.
_WRITE_ATTEMPTS = 5


@asynccontextmanager
async def writing() -> AsyncIterator[BaseDBAsyncClient]:
    async with in_transaction() as connection:
        if connection.capabilities.dialect == "sqlite":
            # Matches no row, but a write statement takes SQLite's write lock for the transaction.
            # Any table would do; the access log is in every migrated database.
            await connection.execute_query("UPDATE access_log_entry SET id = id WHERE 0")
        yield connection


async def retried(work: Callable[[BaseDBAsyncClient], Awaitable[T]]) -> T:
    """Run `work` in a writing transaction, again from the start if it lost a race."""
    for attempt in range(_WRITE_ATTEMPTS):
        try:
            async with writing() as connection:
                return await work(connection)
        except (IntegrityError, OperationalError):
            if attempt == _WRITE_ATTEMPTS - 1:
                raise
    raise AssertionError("unreachable")
