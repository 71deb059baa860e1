"""Racing a request against a transaction the test holds open, deterministically.

The test opens a transaction, writes, starts the request as another client would (outside the
test's transaction context), waits until the request queues behind the held transaction, and
only then commits: the request has read the old state and must cope with the new one.
"""

from __future__ import annotations

import asyncio
import contextvars
from collections.abc import Coroutine
from typing import Any, TypeVar

from tortoise.backends.base.client import BaseDBAsyncClient

T = TypeVar("T")


def as_another_client(
    work: Coroutine[Any, Any, T], outside: contextvars.Context
) -> asyncio.Task[T]:
    """Run `work` in `outside`, a context copied before the held transaction began."""
    return asyncio.create_task(work, context=outside)


async def until_it_waits(held: BaseDBAsyncClient, request: asyncio.Task[Any]) -> None:
    """Return once `request` waits behind `held`, so committing `held` races it.

    On PostgreSQL that is when the request waits for a row lock `held` took (it has read the
    row as it was); on SQLite, whose write lock queues whole transactions, once it has queued.
    """
    if held.capabilities.dialect != "postgres":
        await asyncio.sleep(0.05)
        return
    while not request.done():
        # pg_stat_activity is read once per transaction unless its snapshot is cleared.
        await held.execute_query("SELECT pg_stat_clear_snapshot()")
        rows = await held.execute_query_dict(
            "SELECT count(*) AS waiting FROM pg_stat_activity "
            "WHERE datname = current_database() AND wait_event_type = 'Lock'"
        )
        if rows[0]["waiting"]:
            return
        await asyncio.sleep(0.01)
    raise AssertionError(f"the request finished before the held transaction committed: {request}")
