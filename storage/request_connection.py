"""One PostgreSQL connection per HTTP request, checked out at the request's first query.

Left to itself, Tortoise checks a connection out of asyncpg's pool for every query outside a
transaction and for every transaction, and every check-in costs a round trip of its own
(asyncpg resets the connection: `pg_advisory_unlock_all(); CLOSE ALL; UNLISTEN *; RESET ALL`).
A partner read used to check out three times. Inside `request_connection()` Tortoise's client
for the request is a `_RequestClient`: the request's first query checks one connection out,
every later query and transaction of the request reuses it, and it is checked in once when
the request ends.

Every database use of the request goes through that client, so a request never holds its
connection idle while waiting for another one from the pool (which, with every pooled
connection held so, would deadlock). The connection is shared only while free: work of the same
request that overlaps a query or transaction on it (two resolvers at once) takes a connection
from the pool as Tortoise always did, so statements never interleave on one connection. SQLite
has one connection per process and nothing to check out; there nothing changes.
"""

from __future__ import annotations

import asyncio
import logging
import weakref
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import asyncpg
from tortoise.backends.asyncpg.client import AsyncpgDBClient, TransactionWrapper
from tortoise.backends.base.client import (
    BaseDBAsyncClient,
    PoolConnectionWrapper,
    TransactionContext,
    TransactionContextPooled,
)
from tortoise.connection import get_connections
from tortoise.exceptions import TransactionManagementError

logger = logging.getLogger("scorelink.database")


async def check_in_as_is(connection: asyncpg.Connection) -> None:
    """The API servers' pool `reset`: nothing beyond what asyncpg always does at check-in.

    asyncpg rolls back a transaction left open and drops the connection's listeners before it
    calls this (`Connection._reset`); its default then sends `pg_advisory_unlock_all(); CLOSE
    ALL; UNLISTEN *; RESET ALL`, a round trip on every check-in that a partner read paid for
    in both processes. Nothing a request runs leaves anything for it to undo: advisory locks
    are transaction-scoped (`pg_advisory_xact_lock`), no session variable is set, no cursor is
    kept past its transaction and nothing waits for notifications. Tests hold both halves:
    tests/server/test_request_connection.py finds no such statement in the code, and
    tests/session_state.py looks at every check-in of the in-process suite on PostgreSQL.
    """


# Requests check connections out in the order they asked for them. asyncpg's pool queue lets a
# request that arrives as a connection comes back take it ahead of the one woken for it, which
# then waits again at the back of the line: with 16 reads at once on 5 connections a few waited
# over a second (p99 1.3 s) and some clients timed out, while the median fell. asyncio's
# Semaphore is first come, first served (Python 3.11), so a turn is taken there first.
_TURNS: weakref.WeakKeyDictionary[AsyncpgDBClient, tuple[asyncpg.Pool, asyncio.Semaphore]] = (
    weakref.WeakKeyDictionary()
)


def _turns(client: AsyncpgDBClient, pool: asyncpg.Pool) -> asyncio.Semaphore:
    """One turn per connection of the client's current pool (a reconnect makes a new pool)."""
    known = _TURNS.get(client)
    if known is None or known[0] is not pool:
        known = _TURNS[client] = (pool, asyncio.Semaphore(pool.get_max_size()))
    return known[1]


class _RequestClient(TransactionWrapper):
    """Tortoise's client for one request: the request's own connection when it is free,
    the pool otherwise. (A `TransactionWrapper` for its plumbing; it opens real transactions.)"""

    def __init__(self, pool_client: AsyncpgDBClient) -> None:
        super().__init__(pool_client)
        self._held: asyncpg.Connection | None = None
        self._turn: asyncio.Semaphore | None = None
        self._busy = False
        self._ended = False

    async def _take(self) -> asyncpg.Connection | None:
        """The request's connection, checked out now if need be; None when it is in use."""
        if self._busy or self._ended or self._parent._pool is None:
            return None
        self._busy = True
        if self._held is None:
            pool = self._parent._pool
            turn = _turns(self._parent, pool)
            try:
                await turn.acquire()
                try:
                    self._held = await pool.acquire()
                except BaseException:
                    turn.release()
                    raise
            except BaseException:
                self._busy = False
                raise
            self._turn = turn
        return self._held

    def _give_back(self) -> None:
        self._busy = False

    async def end(self) -> None:
        self._ended = True
        held, self._held = self._held, None
        turn, self._turn = self._turn, None
        try:
            if held is not None and self._parent._pool is not None:
                await self._parent._pool.release(held)
        except Exception as exc:
            # The check-in fails when the database went away after the request's last
            # statement (asyncpg's reset query then, or a rollback of a transaction left
            # open). asyncpg has terminated the connection and the pool replaces it; the
            # request's answer has already gone out, so raising would only make the server
            # drop the client's keep-alive connection.
            logger.warning(
                "database connection lost as it was returned to the pool: %s",
                type(exc).__name__,
            )
        finally:
            if turn is not None:
                turn.release()

    def acquire_connection(self) -> Any:
        return _Query(self)

    def _in_transaction(self) -> TransactionContext:
        return _Transaction(self)

    async def execute_many(self, query: str, values: list[Any]) -> None:
        # Outside a transaction, as the pool client does: its own transaction around the batch.
        async with self._in_transaction() as connection:
            await connection.execute_many(query, values)


class _Query:
    """`acquire_connection()` for one statement outside a transaction."""

    def __init__(self, client: _RequestClient) -> None:
        self.client = client
        self.pooled: PoolConnectionWrapper[asyncpg.Connection] | None = None

    async def __aenter__(self) -> asyncpg.Connection:
        held = await self.client._take()
        if held is not None:
            return held
        self.pooled = PoolConnectionWrapper(
            self.client._parent, self.client._parent._pool_init_lock
        )
        connection: asyncpg.Connection = await self.pooled.__aenter__()
        return connection

    async def __aexit__(self, *exc: object) -> None:
        if self.pooled is not None:
            await self.pooled.__aexit__(*exc)
        else:
            self.client._give_back()


class _Transaction(TransactionContext):
    """`in_transaction()` on the request's connection when free, else on a pooled one."""

    def __init__(self, client: _RequestClient) -> None:
        self.request_client = client
        self.pooled: TransactionContextPooled | None = None
        self.token: Any = None

    async def __aenter__(self) -> TransactionWrapper:
        held = await self.request_client._take()
        if held is None:
            parent = self.request_client._parent
            self.pooled = TransactionContextPooled(
                TransactionWrapper(parent), parent._pool_init_lock
            )
            return await self.pooled.__aenter__()  # type: ignore[return-value]
        # What Tortoise's pooled transaction context does, minus the checkout and check-in.
        wrapper = TransactionWrapper(self.request_client._parent)
        wrapper._connection = held
        self.client = wrapper
        self.token = get_connections().set(wrapper.connection_name, wrapper)
        try:
            await wrapper.begin()
        except BaseException:
            get_connections().reset(self.token)
            self.request_client._give_back()
            raise
        return wrapper

    async def __aexit__(self, exc_type: Any, exc_val: Any, exc_tb: Any) -> None:
        if self.pooled is not None:
            await self.pooled.__aexit__(exc_type, exc_val, exc_tb)
            return
        wrapper = self.client
        try:
            if not wrapper._finalized:
                if exc_type is None:
                    await wrapper.commit()
                elif exc_type is not TransactionManagementError:
                    await wrapper.rollback()
        finally:
            get_connections().reset(self.token)
            self.request_client._give_back()


def _default_client() -> BaseDBAsyncClient:
    handler = get_connections()
    (name,) = handler.db_config  # ScoreLink configures exactly one database
    return handler.get(name)


@asynccontextmanager
async def request_connection() -> AsyncIterator[None]:
    """Around one request: its database work shares one connection, checked in at the end.

    A task the request started that outlives it finds the request ended and uses the pool.
    """
    client = _default_client()
    if not isinstance(client, AsyncpgDBClient) or isinstance(client, TransactionWrapper):
        yield  # SQLite, or already inside a transaction: Tortoise's own rules apply
        return
    pinned = _RequestClient(client)
    token = get_connections().set(client.connection_name, pinned)
    try:
        yield
    finally:
        get_connections().reset(token)
        # Shielded: a cancelled request must still give its connection back.
        await asyncio.shield(pinned.end())


@asynccontextmanager
async def request_client() -> AsyncIterator[BaseDBAsyncClient]:
    """The client for statements outside a transaction: the request's, inside a request."""
    yield _default_client()
