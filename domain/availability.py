"""Telling a database outage apart from a bug, so callers get 503 "retry later", not a 500.

An outage is the database refusing or dropping connections, shutting down, or not answering
within the configured timeout. Anything else the database says (a constraint, bad SQL) is a
bug or an expected refusal and keeps its own handling.
"""

from __future__ import annotations

import asyncpg

# Exception classes whose instances may be an outage; `is_database_unavailable` decides.
# OSError covers refused and reset connections, the connect and command timeouts
# (TimeoutError) and Tortoise's DBConnectionError.
OUTAGE_EXCEPTIONS: tuple[type[Exception], ...] = (
    OSError,
    asyncpg.PostgresConnectionError,
    asyncpg.exceptions.OperatorInterventionError,
    asyncpg.InterfaceError,
)
_CHAIN_LIMIT = 8


def _is_outage(error: BaseException) -> bool:
    if isinstance(error, asyncpg.InterfaceError):
        # Most interface errors are misuse (a bug); a closed connection is an outage.
        return "closed" in str(error)
    return isinstance(error, OUTAGE_EXCEPTIONS)


def is_database_unavailable(error: BaseException | None) -> bool:
    """True when `error`, or an error it was raised from, says the database is unreachable."""
    for _ in range(_CHAIN_LIMIT):
        if error is None:
            return False
        if _is_outage(error):
            return True
        error = error.__cause__ or error.__context__
    return False
