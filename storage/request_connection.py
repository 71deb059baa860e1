"""One PostgreSQL connection per HTTP request, checked out at the request's first query.

Left to itself, Tortoise checks a connection out of asyncpg's pool for every query outside a
transaction and for every transaction, and every check-in costs a round trip of its own
(asyncpg resets the connection: `pg_advisory_unlock_all(); CLOSE ALL; UNLISTEN *; RESET ALL`).
A partner read used to check out three times. Inside `request_connection()` the first query
checks out one connection; the request's later queries and transactions reuse it, and it is
checked in once when the request ends.

The connection is shared only while it is free: work of the same request that overlaps a
transaction on it (two resolvers reading at once) takes a connection from the pool as before,
so two pieces of work never interleave their statements on one connection. SQLite has one
connection per process and nothing to check out; there nothing changes.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from contextvars import ContextVar
from dataclasses import dataclass

import asyncpg
from tortoise.backends.asyncpg.client import AsyncpgDBClient, TransactionWrapper
from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.connection import get_connections
from tortoise.exceptions import TransactionManagementError
from tortoise.transactions import in_transaction


@dataclass
class _Held:
    pool_client: AsyncpgDBClient | None = None
    connection: asyncpg.Connection | None = None
    busy: bool = False
    ended: bool = False


_held: ContextVar[_Held | None] = ContextVar("scorelink_request_connection", default=None)


@asynccontextmanager
async def request_connection() -> AsyncIterator[None]:
    """Around one request: its database work shares one connection, checked in at the end.

    A task the request started that outlives it finds the request ended and uses the pool.
    """
    held = _Held()
    token = _held.set(held)
    try:
        yield
    finally:
        _held.reset(token)
        held.ended = True
        if held.pool_client is not None and held.connection is not None:
            pool = held.pool_client._pool
            if pool is not None:
                await pool.release(held.connection)


def _default_client() -> BaseDBAsyncClient:
    handler = get_connections()
    (name,) = handler.db_config  # ScoreLink configures exactly one database
    return handler.get(name)


async def _claim() -> tuple[_Held, TransactionWrapper] | None:
    """The request's connection, checked out now if need be, when it is free; else None."""
    held = _held.get()
    if held is None or held.busy or held.ended:
        return None
    client = _default_client()
    if not isinstance(client, AsyncpgDBClient) or isinstance(client, TransactionWrapper):
        return None  # SQLite, or already inside a transaction: Tortoise's own rules apply
    pool = client._pool
    if pool is None:
        return None  # not connected yet: Tortoise connects on this query as it always did
    if held.connection is None:
        held.pool_client = client
        held.connection = await pool.acquire()
    held.busy = True
    # Tortoise's transactional client, bound to our connection instead of one from the pool.
    wrapper = TransactionWrapper(client)
    wrapper._connection = held.connection
    return held, wrapper


@asynccontextmanager
async def request_client() -> AsyncIterator[BaseDBAsyncClient]:
    """A client for statements outside a transaction, on the request's connection if free."""
    claimed = await _claim()
    if claimed is None:
        yield _default_client()
        return
    held, wrapper = claimed
    try:
        yield wrapper
    finally:
        held.busy = False


@asynccontextmanager
async def transaction() -> AsyncIterator[BaseDBAsyncClient]:
    """`in_transaction()`, on the request's connection when it is free."""
    claimed = await _claim()
    if claimed is None:
        async with in_transaction() as connection:
            yield connection
        return
    held, wrapper = claimed
    # What Tortoise's pooled transaction context does, minus the checkout and check-in.
    token = get_connections().set(wrapper.connection_name, wrapper)
    try:
        await wrapper.begin()
        try:
            yield wrapper
        except BaseException as exc:
            if not wrapper._finalized and not isinstance(exc, TransactionManagementError):
                await wrapper.rollback()
            raise
        if not wrapper._finalized:
            await wrapper.commit()
    finally:
        get_connections().reset(token)
        held.busy = False
