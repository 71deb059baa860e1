"""The check-in guard for the API servers' pool, run at every check-in of the in-process tests.

The servers check connections in without asyncpg's reset query
(storage/request_connection.check_in_as_is), which is safe only while no request leaves
session state behind: what that query would have undone. The `client` fixture swaps this watch
in for it on PostgreSQL, so every request of the in-process test suite is checked, and fails
the test that left any.
"""

from __future__ import annotations

import asyncpg

# Each column is one kind of state asyncpg's reset query (pg_advisory_unlock_all, CLOSE ALL,
# UNLISTEN *, RESET ALL) clears. Only a cursor WITH HOLD outlives its transaction (and this
# query's own portal is listed in pg_cursors too). A setting counts only where it differs from
# what RESET ALL would restore: asyncpg's type introspection turns `jit` off and back on with
# set_config(..., false), which leaves the setting's source 'session' at its reset value.
LEFT_BEHIND = """
SELECT
  (SELECT count(*) FROM pg_locks
    WHERE locktype = 'advisory' AND pid = pg_backend_pid()) AS advisory_locks,
  (SELECT count(*) FROM pg_cursors WHERE is_holdable) AS open_cursors,
  (SELECT count(*) FROM pg_listening_channels()) AS listening_channels,
  (SELECT coalesce(array_agg(name ORDER BY name), '{}') FROM pg_settings
    WHERE source = 'session' AND setting IS DISTINCT FROM reset_val) AS session_settings
"""


class SessionStateWatch:
    """A pool `reset` that resets nothing, as in production, and records what it finds left."""

    def __init__(self) -> None:
        self.left_behind: list[dict[str, object]] = []

    async def __call__(self, connection: asyncpg.Connection) -> None:
        found = dict(await connection.fetchrow(LEFT_BEHIND))
        if any(found.values()):
            self.left_behind.append(found)
