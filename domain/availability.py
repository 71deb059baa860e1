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
    asyncpg.exceptions.InternalClientError,
)
# PostgreSQL shutting down sends a FATAL error to every idle connection before closing it. asyncpg
# treats that unsolicited message as a protocol error and parks the connection in its
# error-consuming state (2); a query that takes the connection from the pool before the socket's
# close is processed fails with this message. asyncpg's other InternalClientErrors are bugs.
_SERVER_GOODBYE = "another operation (2) is in progress"
_CHAIN_LIMIT = 8


def _is_outage(error: BaseException) -> bool:
    if isinstance(error, asyncpg.InterfaceError):
        # Most interface errors are misuse (a bug); a closed connection is an outage.
        return "closed" in str(error)
    if isinstance(error, asyncpg.exceptions.InternalClientError):
        return _SERVER_GOODBYE in str(error)
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
